import type { Metadata } from "next";

import { BackendCommand } from "@/components/BackendCommand";
import { HealthPanel } from "@/components/HealthPanel";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";

export const metadata: Metadata = {
  title: "Phase 1 · Foundations",
};

export default function FoundationsPage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 1</p>
        <h1 className="text-3xl font-bold tracking-tight">Foundations: request, response, and nothing more</h1>
        <PhaseBookLinks number={1} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          HTTP is a conversation the <em>client</em> starts. The browser opens a connection, sends a
          request (<code>GET /health</code>), and the server sends back exactly one response: a status
          line, headers, a body. Then the exchange is over. That model gives us a lot for free: every
          request is independent, easy to cache, retry, log and load-balance.
        </p>
        <p>
          What it cannot do is let the server speak first. When something changes on the server, it
          has no request to answer, so it has no way to tell the browser. The only thing a page can do
          with plain request/response is <strong>ask again</strong>: poll.
        </p>
        <p>
          The panel below does exactly that: it asks the backend for <code>/health</code> every two
          seconds. Most answers repeat the previous one, and when the backend stops, the page only
          notices at the next poll. Later phases replace this loop with a connection the server can
          push on: Server-Sent Events in phase 2, WebSocket in phase 3.
        </p>
      </section>

      <HealthPanel />

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>
            Stop the backend (<kbd>Ctrl</kbd>+<kbd>C</kbd>) and watch the badge turn <code>down</code> at
            the next poll; start it again and watch it recover.
          </li>
          <li>
            Open the browser&apos;s developer tools, Network tab: one request every two seconds, each a
            full HTTP exchange, whether anything changed or not.
          </li>
          <li>
            Ask for yourself: <BackendCommand path="/health" />, then a route that does not exist,{" "}
            <BackendCommand path="/nope" />, to see the JSON error body every endpoint uses.
          </li>
        </ul>
      </section>
    </article>
  );
}
