"use client";

import { useBackendUrl } from "@/lib/useRuntimeConfig";

/** The page footer: which backend this page talks to. */
export function BackendFooter() {
  const backendUrl = useBackendUrl();
  return (
    <footer className="mx-auto max-w-4xl px-4 pb-8 text-sm text-slate-500 sm:px-6">
      Backend: <code data-testid="backend-url">{backendUrl ?? "…"}</code>
    </footer>
  );
}
