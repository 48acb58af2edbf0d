import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";

import { PhaseBookLinks } from "@/components/PhaseBookLinks";
import { ThirdPartyDemo } from "@/components/ThirdPartyDemo";

export const metadata: Metadata = {
  title: "Phase 6 · Third-party libraries",
};

export default function ThirdPartyPhasePage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 6</p>
        <h1 className="text-3xl font-bold tracking-tight">Third-party libraries: the same protocol, other code</h1>
        <PhaseBookLinks number={6} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          Everything so far was written by hand, so that every byte could be explained. Real projects reach for
          libraries, and the question is what they change. On the wire, nothing: the same{" "}
          <code>text/event-stream</code>, the same frames, the same board protocol. What changes is what the code
          around the wire can do: send a header, come back after an error, notice silence, and what it costs to
          download.
        </p>
        <p>
          In the browser, the native <code>EventSource</code> cannot set headers and gives up for good on a{" "}
          <code>5xx</code>. <code>event-source-polyfill</code> reads the stream with <code>fetch</code>, so it can
          send <code>Last-Event-ID</code> (or <code>Authorization</code>) from the first request on;{" "}
          <code>reconnecting-eventsource</code> wraps the native one and opens a new one when it gives up. On the
          server, the same board is served by our hand-rolled WebSocket code and by <code>tokio-tungstenite</code>,
          behind one seam: both share the hub, the limits, the heartbeat and the shutdown.
        </p>
      </section>

      <Suspense fallback={<p className="text-sm text-slate-600">Loading…</p>}>
        <ThirdPartyDemo />
      </Suspense>

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>
            Add notes to the same board on <Link className="text-indigo-700 underline" href="/phases/4">phase 4&apos;s page</Link> (same{" "}
            <code>?board=</code>) and switch options while they arrive: the log keeps going, nothing is missed or shown
            twice, because each new stream resumes from the last id.
          </li>
          <li>
            Reload the page with the polyfill chosen: its first request already carries <code>Last-Event-ID</code>,
            and the connection says <em>recovered</em>.
          </li>
          <li>
            Tick &ldquo;a path that answers 404&rdquo;: the native one and the polyfill stop (<em>closed</em>),
            reconnecting-eventsource keeps trying (<em>retrying</em>) and its history grows.
          </li>
          <li>
            Restart the backend: each option reconnects in its own way, and the history shows how.
          </li>
          <li>
            Switch the WebSocket transport: same messages, a different library underneath, and the per-transport
            counts move. A backend without a transport says so in its own words.
          </li>
        </ul>
      </section>
    </article>
  );
}
