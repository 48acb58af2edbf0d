import type { Metadata } from "next";
import { Suspense } from "react";

import { BoardLoading } from "@/components/BoardLoading";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";
import { ScaleDemo } from "@/components/ScaleDemo";

export const metadata: Metadata = {
  title: "Phase 7 · Scale-out",
};

const TOPOLOGY = `window 1 ─/i/a/ws─▶ ┌─────────┐ ─▶ instance a ─┐
                    │ HAProxy │                ├─▶ Redis: boards, numbered logs
window 2 ─/i/b/ws─▶ └─────────┘ ─▶ instance b ─┤
                                               └─▶ NATS: each event, to all`;

export default function ScaleOutPhasePage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 7</p>
        <h1 className="text-3xl font-bold tracking-tight">Scale-out: several servers, one board</h1>
        <PhaseBookLinks number={7} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          Starting a second copy of the server does not copy its connections. A WebSocket or an event stream is one TCP
          connection to <em>one</em> process: when Ana is connected to instance a and Bo to instance b, a note Ana adds
          reaches a&apos;s hub and a&apos;s clients, and b never hears of it. Two things fix that.
        </p>
        <p>
          <strong>The store</strong> (Redis) holds every board and numbers its events, so two instances never hand out
          the same number and a client&apos;s last position means the same thing everywhere. <strong>The bus</strong>{" "}
          (NATS) carries each event an instance committed to all the others, which hand it to their own clients in order
          (filling a gap from the store first). Presence travels on the bus too. In front, a balancer gives everyone one
          address; <code>/i/&lt;name&gt;/</code> pins a window to one instance, so you can watch a change cross from one
          server to another.
        </p>
        {/* Focusable: on a narrow screen it scrolls sideways, and a keyboard must reach it. */}
        <pre tabIndex={0} className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          <code>{TOPOLOGY}</code>
        </pre>
      </section>

      <Suspense fallback={<BoardLoading />}>
        <ScaleDemo />
      </Suspense>

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>
            Pin this window to instance a and open the link to instance b in a private window: add a note in one, it
            appears in the other, and each sees the other in the avatars, though no connection is shared.
          </li>
          <li>
            Crash an instance (<code>kill -9</code> with the PID <code>make scale</code> printed): its row turns red. A
            window pinned to it stays down (the balancer answers 503: a pin is a pin); a window through the balancer
            reconnects to another instance and resumes where it was.
          </li>
          <li>
            Stop NATS: every instance says <em>degraded</em>, its bus <em>down</em> with the last error. Notes are still
            saved (the store is up), but other instances&apos; windows see them only when the bus comes back and they
            resynchronise with the store.
          </li>
        </ul>
      </section>
    </article>
  );
}
