import type { Metadata } from "next";

import { BackendCommand } from "@/components/BackendCommand";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";
import { WsCloseCodeTable } from "@/components/WsCloseCodeTable";
import { WsDemo } from "@/components/WsDemo";

export const metadata: Metadata = {
  title: "Phase 3 · WebSocket",
};

const HANDSHAKE = `GET /ws HTTP/1.1
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
Sec-WebSocket-Protocol: liveboard.v1
Origin: http://localhost:3000

HTTP/1.1 101 Switching Protocols
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
Sec-WebSocket-Protocol: liveboard.v1`;

const FRAME = `81 85 37 fa 21 3d 7f 9f 4d 51 58
│  │  └─────────┘ └────────────┘
│  │  masking key  "Hello" XOR key, byte i with key[i % 4]
│  └ 1 0000101: MASK=1, payload length 5 (126 → 16-bit length follows, 127 → 64-bit)
└ 1 000 0001: FIN=1 (last fragment), RSV1-3=0, opcode 1 (text)`;

export default function WebSocketPage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 3</p>
        <h1 className="text-3xl font-bold tracking-tight">WebSocket: one connection, both directions</h1>
        <PhaseBookLinks number={3} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          A WebSocket starts as an HTTP request that asks to stop being HTTP. The browser sends a <code>GET</code>{" "}
          with <code>Upgrade: websocket</code> and a random <code>Sec-WebSocket-Key</code>; the server answers{" "}
          <code>101 Switching Protocols</code> with <code>Sec-WebSocket-Accept</code>, the base64 of the SHA-1 of the
          key joined to a fixed GUID. That proves the server understood a WebSocket handshake (it is not a cache
          replaying an old answer); it proves nothing about who you are. After the 101, the same TCP connection
          carries <strong>frames</strong>, in both directions, whenever either side likes.
        </p>
        <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          <code>{HANDSHAKE}</code>
        </pre>
        <p>
          A frame is a 2-byte header (FIN bit, opcode: text, binary, close, ping, pong, continuation; mask bit;
          length), an extended length for payloads over 125 bytes, a masking key, and the payload. Here is the
          masked &ldquo;Hello&rdquo; of RFC 6455 §5.7, byte by byte:
        </p>
        <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          <code>{FRAME}</code>
        </pre>
        <p>
          <strong>Masking</strong>: every frame a browser sends is XORed with a fresh random 4-byte key, and the
          server must refuse unmasked ones. It is not encryption (the key travels in the frame); it stops a hostile
          page from choosing the exact bytes on the wire, which could otherwise trick a transparent proxy into
          caching a forged HTTP response. Server frames are never masked: in the inspector below, your frames cost
          4 bytes more than the server&apos;s for the same payload.
        </p>
        <p>
          <strong>Closing</strong> is a handshake too: one side sends a Close frame with a status code and a reason,
          the other answers, then TCP closes. The code is the answer to the question users ask most, &ldquo;why was
          I disconnected?&rdquo;, and whether to come back. Unlike <code>EventSource</code>, a WebSocket{" "}
          <strong>never reconnects by itself</strong>: that is the page&apos;s job (phase 5).
        </p>
        <p>
          What the browser hides: pings and pongs (it answers pings itself), fragments (it hands over whole
          messages) and the frames themselves. The inspector shows what a page <em>can</em> see: every message, its
          type, size and time, and the answer to each request matched by its <code>id</code>.
        </p>
      </section>

      <WsDemo />

      <section className="space-y-3 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Close codes, and what a client should do</h2>
        <p className="max-w-2xl">
          One table, defined in the server&apos;s Rust and generated into this app, so both ends agree on every code.
          A page may itself only close with 1000 or 3000–4999; 1005, 1006 and 1015 are made up by the browser to report
          a close without a code, a connection lost without any Close frame, and a failed TLS handshake.
        </p>
        <WsCloseCodeTable />
      </section>

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>
            Open this page in a second tab, subscribe both to the same board, publish from one: the other gets a{" "}
            <code>message</code>. The handshake carried your session cookie, so the server knows who subscribed; a
            private window is someone else, refused with <code>forbidden</code> on your board (boards are private by
            default) until you share it from <code>/phases/4?board=demo</code>.
          </li>
          <li>Send <code>{"{oops"}</code> as raw text: an <code>error</code> with <code>malformed_json</code> comes back, and the connection stays open.</li>
          <li>Disconnect with code 4000 and a reason, then stop the backend while connected: compare the two close reports (a dead server gives 1006, a stopping one 1001).</li>
          <li>
            Without the upgrade headers, the endpoint says what it wants: <BackendCommand path="/ws" />. Live
            counters: <BackendCommand path="/ws/stats" />.
          </li>
        </ul>
      </section>
    </article>
  );
}
