import Link from "next/link";

import { PHASES } from "@/lib/phases";

export default function HomePage() {
  return (
    <div className="space-y-8">
      <section className="space-y-3">
        <h1 className="text-3xl font-bold tracking-tight">Real-time web communication, by running it</h1>
        <p className="max-w-2xl text-lg text-slate-600">
          Liveboard is a shared board built step by step. Each phase adds one way for a server and a
          browser to talk (polling, Server-Sent Events, WebSocket, webhooks), with a hand-written Rust
          backend and a page here that shows the protocol at work.
        </p>
        <p className="max-w-2xl text-slate-600">
          Start the backend (<code>cargo run</code> in the repository root), then open a phase.
        </p>
      </section>

      <section aria-labelledby="phases-heading" className="space-y-3">
        <h2 id="phases-heading" className="text-xl font-semibold">
          Phases
        </h2>
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
