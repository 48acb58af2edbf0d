import type { Metadata } from "next";
import { Suspense } from "react";

import { BoardFromQuery } from "@/components/BoardFromQuery";
import { BoardLoading } from "@/components/BoardLoading";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";

export const metadata: Metadata = {
  title: "Phase 5 · Hardening",
};

const SUPERVISOR = `connecting ──open──▶ open ──nothing heard for deadlineMs──▶ waiting ──delay──▶ connecting
                          └──close (verdict: reconnect)──────▶ waiting
                          └──close (verdict: stop)───────────▶ stopped
           offline ◀── "offline" event          "online" ──▶ connecting at once

delay(attempt, draw) = minMs + ⌊draw × min(capMs, baseMs × factor^attempt)⌋   (full jitter)
next delay           = max(that, retry-after-ms from the close reason)`;

export default function HardeningPhasePage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 5</p>
        <h1 className="text-3xl font-bold tracking-tight">Hardening: links that fail, and a page that notices</h1>
        <PhaseBookLinks number={5} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          A WebSocket does not come back by itself. When it closes, the page decides whether and when to open a new
          one, and a thousand pages deciding &ldquo;right now&rdquo; at once is how a restarting server is knocked
          over again. So the server <strong>advertises a policy</strong> after <code>welcome</code>, and every page
          waits a <strong>random</strong> delay inside a window that doubles per failed attempt (full jitter). The
          attempt counter resets only after a connection stayed up for a while; a close reason may carry the
          server&apos;s own <code>retry-after-ms</code>, a floor for the wait; and a close code whose verdict is
          &ldquo;stop&rdquo; is not retried at all.
        </p>
        <p>
          Worse than a closed link is one that only <em>looks</em> open: a frozen server, a NAT that forgot the
          connection, a laptop that slept. No close event ever comes. The browser answers the server&apos;s pings by
          itself but never tells the page, so the server also sends a <code>heartbeat</code> message the page can
          see. Any message proves the link alive; when nothing arrived for the <strong>deadline</strong>, the page
          closes the socket itself and reconnects. It checks by the wall clock, and at once when the tab is shown
          again or the browser comes back online, because a background tab&apos;s timers may run once a minute.
        </p>
        <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          <code>{SUPERVISOR}</code>
        </pre>
      </section>

      <Suspense fallback={<BoardLoading />}>
        <BoardFromQuery hardening />
      </Suspense>

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>
            <em>Drop the link</em>: the timeline shows the close, the delay chosen (attempt, draw, delay) and the
            resume, with how many missed events were replayed.
          </li>
          <li>
            <em>Stop answering</em>: the page ignores everything it receives, as if the link were half-open. The
            server still looks fine to the socket; the page&apos;s own deadline fires and the badge says so.
          </li>
          <li>
            <em>Go offline</em>, add a note (it waits, and the badge counts it), then <em>Back online</em>: the page
            reconnects at once and sends it.
          </li>
          <li>
            Stop the backend and watch the delays grow, each one drawn at random inside a doubling window; start it
            again and the next attempt gets in.
          </li>
        </ul>
      </section>
    </article>
  );
}
