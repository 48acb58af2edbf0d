"use client";

import Link from "next/link";
import { useEffect } from "react";

export interface ErrorPageProps {
  /** What was thrown: an `Error` from a Server Component (message hidden in production), or anything. */
  readonly error: unknown;
  /** Renders the failed segment again. */
  readonly retry: () => void;
}

/** When a page breaks: say so inside the site's frame, and offer a retry and a way back. */
export default function ErrorPage({ error, retry }: ErrorPageProps) {
  useEffect(() => {
    // The browser console is where a student looks first.
    console.error(error);
  }, [error]);
  const message = error instanceof Error ? error.message : String(error);
  const digest = error instanceof Error && "digest" in error && typeof error.digest === "string" ? error.digest : null;

  return (
    <section role="alert" className="max-w-2xl space-y-4">
      <h1 className="text-3xl font-bold tracking-tight">Something broke on this page</h1>
      <p className="text-slate-700">
        The page threw an error while it was drawn. The rest of the site still works; the browser console has the
        details.
      </p>
      <pre data-testid="error-message" className="overflow-x-auto rounded-md bg-rose-50 p-3 text-sm text-rose-900">
        {message}
        {digest ? `\n(digest ${digest}: the same id is in the web server's log)` : ""}
      </pre>
      <div className="flex flex-wrap gap-3">
        <button type="button" onClick={retry} className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700">
          Try again
        </button>
        <Link href="/" className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-white">
          Back to the board
        </Link>
      </div>
    </section>
  );
}
