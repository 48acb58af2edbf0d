import type { Metadata } from "next";
import { Suspense } from "react";

import { LabDemo } from "@/components/LabDemo";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";

export const metadata: Metadata = {
  title: "Phase 8 · Protocol lab",
};

export default function ProtocolLabPhasePage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 8</p>
        <h1 className="text-3xl font-bold tracking-tight">Protocol lab: one stream, five ways to receive it</h1>
        <PhaseBookLinks number={8} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          The lab writes chat lines to a board at the rate you choose and receives the very same events five ways at once:
          by short polling, by long polling, over Server-Sent Events, over a WebSocket, and as webhooks the server sends to a
          receiver of its own. Each panel counts what arrived, how long after the page sent it (the 50th and 95th
          percentile), how many requests it took, how many bytes per event, and what it holds open.
        </p>
        <p>
          Bytes are what the page can see: a browser hides request headers, cookies and most response headers from
          it, so each figure is a lower bound, measured the same way for every run — polls count the request line,{" "}
          <code>Host</code>, <code>Origin</code>, the status line, the visible headers and the body; SSE counts each
          event&apos;s block; WebSocket each frame with its header; a webhook the request the server sent, as its
          receiver counted it. Latency is measured on the page&apos;s own clock, from sending the line to its arrival —
          for the webhook, arrival on the page, one more hop after the receiver.
        </p>
      </section>

      <Suspense fallback={<p className="text-sm text-slate-600">Loading…</p>}>
        <LabDemo />
      </Suspense>

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>Raise the short-polling interval: its latency climbs toward the interval, its requests fall — and at a low event rate, most of its bytes are empty answers.</li>
          <li>Raise the event rate: short polling starts carrying several events per answer and its bytes per event drop; the streams pay a little per event whatever the rate.</li>
          <li>Watch &ldquo;connections held&rdquo;: a long poll, an SSE stream and a socket each hold one for as long as the page is open; a short poll only while it asks.</li>
          <li>The webhook&apos;s latency includes the server&apos;s request to its receiver and the receiver&apos;s stream to this page; its delivery log is the server&apos;s own record.</li>
        </ul>
      </section>
    </article>
  );
}
