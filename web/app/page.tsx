import Link from "next/link";
import { Suspense } from "react";

import { BoardFromQuery } from "@/components/BoardFromQuery";
import { BoardLoading } from "@/components/BoardLoading";
import { PHASES } from "@/lib/phases";

export default function HomePage() {
  return (
    <div className="space-y-8">
      <section className="space-y-2">
        <h1 className="text-3xl font-bold tracking-tight">The board</h1>
        <p className="max-w-2xl text-slate-600">
          Notes that several people edit at once. Open this page in two windows side by side: add a note, edit it,
          drag it to another column, and watch the other window follow. Your changes show at once and are marked{" "}
          <em>saving…</em> until the server confirms them; <Link href="/phases/4" className="text-indigo-700 underline">phase 4</Link>{" "}
          shows how.
        </p>
      </section>

      <Suspense fallback={<BoardLoading />}>
        <BoardFromQuery />
      </Suspense>

      <section aria-labelledby="phases-heading" className="space-y-3">
        <h2 id="phases-heading" className="text-xl font-semibold">
          How it is built, phase by phase
        </h2>
        <p className="max-w-2xl text-sm text-slate-600">
          Liveboard is built step by step: each phase adds one way for a server and a browser to talk, with a
          hand-written Rust backend and a page that shows the protocol at work.
        </p>
        <ol className="grid gap-3 sm:grid-cols-2">
          {PHASES.map((phase) => (
            <li key={phase.number}>
              <Link
                href={phase.href}
                className="block h-full rounded-lg border border-slate-200 bg-white p-4 shadow-sm transition hover:border-indigo-300 hover:shadow"
              >
                <span className="text-sm font-medium text-indigo-700">Phase {phase.number}</span>
                <span className="mt-1 block text-lg font-semibold">{phase.title}</span>
                <span className="mt-1 block text-sm text-slate-600">{phase.summary}</span>
              </Link>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
