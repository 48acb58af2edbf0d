import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";

import { SiteHeader } from "@/components/SiteHeader";
import { BackendProvider } from "@/lib/backend";
import { resolveBackendUrl } from "@/lib/backendUrl";

import "./globals.css";

export const metadata: Metadata = {
  title: {
    default: "Liveboard",
    template: "%s · Liveboard",
  },
  description: "Learn real-time web communication (polling, SSE, WebSocket, webhooks) by running it.",
};

export default async function RootLayout({ children }: { readonly children: ReactNode }) {
  // Render per request, so `LIVEBOARD_BACKEND_URL` is read when `next start` serves the
  // page, not frozen into the build (see lib/backendUrl.ts and README.md).
  await connection();
  const backendUrl = resolveBackendUrl({
    runtime: process.env.LIVEBOARD_BACKEND_URL,
    buildTime: process.env.NEXT_PUBLIC_BACKEND_URL,
  });

  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <BackendProvider url={backendUrl}>
          <SiteHeader />
          <main className="mx-auto max-w-4xl px-4 py-8 sm:px-6">{children}</main>
          <footer className="mx-auto max-w-4xl px-4 pb-8 text-sm text-slate-500 sm:px-6">
            Backend: <code>{backendUrl}</code>
          </footer>
        </BackendProvider>
      </body>
    </html>
  );
}
