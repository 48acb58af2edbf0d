import type { Metadata } from "next";

import { BackendCommand } from "@/components/BackendCommand";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";
import { SseDemo } from "@/components/SseDemo";

export const metadata: Metadata = {
  title: "Phase 2 · Server-Sent Events",
};

export default function SsePage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 2</p>
        <h1 className="text-3xl font-bold tracking-tight">Server-Sent Events: a response that never ends</h1>
        <PhaseBookLinks number={2} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          An <code>EventSource</code> is an ordinary <code>GET</code> whose response never finishes. The server
          answers <code>200</code> with <code>Content-Type: text/event-stream</code> and then keeps writing
          lines: <code>event: message</code>, <code>id: 3fk2…-42</code>, <code>data: {"{…}"}</code>, and an
          empty line that says &ldquo;dispatch this event&rdquo;. Lines starting with a colon are comments; the
          server sends <code>: keep-alive</code> when it has been quiet, so proxies do not close the connection.
        </p>
        <p>
          When the connection drops, the browser waits <code>retry</code> milliseconds and reconnects{" "}
          <strong>by itself</strong>, sending the last id it saw as <code>Last-Event-ID</code>. Our server then
          replays exactly what was missed and says <code>ready</code> (recovered), or, if it cannot (the gap is
          older than its history, or it restarted), says <code>reset</code>: recovery is all or nothing.
        </p>
        <p>
          Who you are is the server&apos;s call: joining signs in (<code>POST /session</code>), the answer sets an{" "}
          <code>HttpOnly</code> session cookie, and the stream is opened with{" "}
          <code>new EventSource(url, {"{ withCredentials: true }"})</code> so the cookie goes with it — the backend is
          another origin, and without that flag the browser would send no cookie at all.
        </p>
        <p>
          The catch: over HTTP/1.1 a browser opens at most <strong>six connections per origin</strong>, and
          every open stream holds one. Open this page in seven tabs and the seventh hangs, along with every
          other request to the backend. HTTP/2 multiplexes streams over one connection (about 100 by
          default); otherwise, share one stream between tabs.
        </p>
      </section>

      <SseDemo />

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>Open this page in a second tab: you are still one person in the list (same session, same clientId).</li>
          <li>
            Open it in a private window: a second person, with a session of their own. The backend&apos;s boards are
            private by default, so the first person to open a board owns it and the second is refused (403) until the
            owner shares it: the Share panel on <code>/phases/4?board=demo</code>. (A backend started with{" "}
            <code>--board-access open</code> lets everyone in.)
          </li>
          <li>
            <em>Drop</em> the stream, send a message or change the board in another window (add a note on{" "}
            <code>/?board=demo</code>), then <em>Reconnect</em>: the server replays what you missed before{" "}
            <code>ready</code>, and the log marks those events <em>replayed</em>. On the full server the board&apos;s
            store numbers its history — chat messages and note changes in one sequence — so every message has an id
            of its own and is replayed like a note change.
          </li>
          <li>Stop the backend and start it again: the state goes <code>connecting</code>, then the stream resumes with a <code>reset</code> (a restarted server has a new epoch).</li>
          <li>
            Watch the raw stream: <BackendCommand path="/boards/demo/events" />, and who is here:{" "}
            <BackendCommand path="/boards/demo/presence" />. curl carries no session cookie, so a private backend (the
            default) answers <code>403 forbidden</code>: the stream is the board&apos;s, and only its owner and members may
            read it. Started with <code>--board-access open</code>, it streams to anyone.
          </li>
        </ul>
      </section>
    </article>
  );
}
