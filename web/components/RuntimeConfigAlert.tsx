"use client";

import { useRuntimeConfig } from "@/lib/useRuntimeConfig";

/** Says so, at the top of every page, when the web server's configuration cannot be used. */
export function RuntimeConfigAlert() {
  const state = useRuntimeConfig();
  if (state.status !== "failed") return null;
  return (
    <p role="alert" className="mb-6 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
      This page does not know where the backend is: {state.problem}
    </p>
  );
}
