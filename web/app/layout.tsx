import type { Metadata } from "next";
import type { ReactNode } from "react";

import { BackendFooter } from "@/components/BackendFooter";
import { RuntimeConfigAlert } from "@/components/RuntimeConfigAlert";
import { SiteHeader } from "@/components/SiteHeader";
import { RuntimeConfigProvider } from "@/lib/useRuntimeConfig";

import "./globals.css";

export const metadata: Metadata = {
  title: {
    default: "Liveboard",
    template: "%s · Liveboard",
  },
  description: "Learn real-time web communication (polling, SSE, WebSocket, webhooks) by running it.",
};

// Static: the backend's address is not part of the page. The browser asks for it at start
// (`GET /runtime-config`, see lib/runtimeConfig.ts and README.md).
export default function RootLayout({ children }: { readonly children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <RuntimeConfigProvider>
          <SiteHeader />
          <main className="mx-auto max-w-4xl px-4 py-8 sm:px-6">
            <RuntimeConfigAlert />
            {children}
          </main>
          <BackendFooter />
        </RuntimeConfigProvider>
      </body>
    </html>
  );
}
