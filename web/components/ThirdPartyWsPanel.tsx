"use client";

import { useRef, useState, type FormEvent } from "react";

import { SUBPROTOCOL } from "@/lib/generated/protocol";
import { useTransportProbe, useTransportCounts } from "@/lib/useTransportProbe";
import { useWebSocket, type SocketEvent } from "@/lib/useWebSocket";
import { webSocketUrl } from "@/lib/webSocketUrl";
import { TRANSPORTS, transportPath, type TransportId, type WsMode } from "@/lib/wsTransports";

const MODES: readonly { readonly id: WsMode; readonly label: string }[] = [
  { id: "board", label: "Board subscription" },
  { id: "echo", label: "Echo" },
];
const BOARD_PROTOCOLS = [SUBPROTOCOL];
const NO_PROTOCOLS: readonly string[] = [];
const MAX_RECEIVED = 20;
const BUTTON = "rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50";

interface ConnectionProps {
  readonly backendUrl: string;
  readonly path: string;
  readonly mode: WsMode;
  readonly board: string;
  /** Called when the socket opens or closes (the stats change then). */
  readonly onChange: () => void;
}

/** One socket to a path the server serves: subscribe to the board, or echo. */
function TransportConnection({ backendUrl, path, mode, board, onChange }: ConnectionProps) {
  const [received, setReceived] = useState<readonly { readonly n: number; readonly text: string }[]>([]);
  const [subscribed, setSubscribed] = useState<string | null>(null);
  const [text, setText] = useState("");
  const lines = useRef(0);
  const socket = useWebSocket(webSocketUrl(backendUrl, path), {
    autoConnect: true,
    protocols: mode === "board" ? BOARD_PROTOCOLS : NO_PROTOCOLS,
    onSocketEvent: (event: SocketEvent) => {
      if (event.type === "open") {
        onChange();
        if (mode === "board") {
          socket.request({ type: "subscribe", payload: { board } }).then(
            (result) => setSubscribed(result.ok ? `subscribed to ${board}` : `refused: ${result.error.message}`),
            (error: unknown) => setSubscribed(`no answer: ${error instanceof Error ? error.message : String(error)}`),
          );
        }
      }
      if (event.type === "close") onChange();
      if (event.type === "message" && event.payload.kind === "text") {
        lines.current += 1;
        const line = { n: lines.current, text: event.payload.text };
        setReceived((r) => [line, ...r].slice(0, MAX_RECEIVED));
      }
    },
  });

  function send(e: FormEvent) {
    e.preventDefault();
    if (text && socket.sendText(text)) setText("");
  }

  return (
    <div className="space-y-3">
      <p className="text-sm">
        <code>{webSocketUrl(backendUrl, path)}</code>:{" "}
        <span role="status" data-testid="ws6-state" className="font-medium">
          {socket.state}
        </span>
        {socket.close && <span className="text-slate-600"> (closed {socket.close.code})</span>}
      </p>
      {mode === "board" ? (
        <p data-testid="ws6-subscribed" className="text-sm">
          {subscribed ?? "subscribing…"}
        </p>
      ) : (
        <form onSubmit={send} className="flex flex-wrap items-end gap-2" aria-label="Echo">
          <label className="flex flex-col text-sm">
            <span className="font-medium text-slate-600">Text to echo</span>
            <input data-testid="ws6-echo-input" className="rounded-md border border-slate-300 px-2 py-1" value={text} onChange={(e) => setText(e.target.value)} />
          </label>
          <button type="submit" data-testid="ws6-echo-send" className={BUTTON} disabled={socket.state !== "open"}>
            Send
          </button>
        </form>
      )}
      <section aria-labelledby="ws6-received-heading">
        <h3 id="ws6-received-heading" className="text-sm font-semibold text-slate-700">
          Received ({received.length})
        </h3>
        <div role="log" aria-live="polite" aria-labelledby="ws6-received-heading" tabIndex={0} className="max-h-64 overflow-y-auto">
          <ol className="space-y-1 font-mono text-xs break-all">
            {received.map((r) => (
              <li key={r.n} data-testid="ws6-received">
                {r.text}
              </li>
            ))}
          </ol>
        </div>
      </section>
    </div>
  );
}

function ProbedConnection(props: Omit<ConnectionProps, "path"> & { readonly transport: TransportId }) {
  const path = transportPath(props.transport, props.mode);
  const verdict = useTransportProbe(props.backendUrl, path);
  if (verdict === null) return <p className="text-sm text-slate-600">Asking the server about {path}…</p>;
  if (verdict.kind === "missing") {
    return (
      <p role="alert" data-testid="ws6-missing" className="rounded-md bg-amber-50 p-3 text-sm text-amber-900">
        {verdict.message}
      </p>
    );
  }
  return <TransportConnection key={path} {...props} path={path} />;
}

/** The two WebSocket transports side by side: switch live, and see the per-transport counts. */
export function ThirdPartyWsPanel({ backendUrl, board }: { readonly backendUrl: string; readonly board: string }) {
  const [transport, setTransport] = useState<TransportId>("hand-rolled");
  const [mode, setMode] = useState<WsMode>("board");
  const { stats, refresh } = useTransportCounts(backendUrl);
  const counts = stats ? Object.entries(stats.perTransport) : [];

  return (
    <section aria-labelledby="ws6-heading" className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id="ws6-heading" className="text-lg font-semibold">
        Two WebSocket transports, one protocol
      </h2>
      <div className="flex flex-wrap gap-6">
        <fieldset className="flex flex-wrap gap-4">
          <legend className="mb-1 text-sm font-medium text-slate-600">Transport</legend>
          {TRANSPORTS.map((t) => (
            <label key={t.id} className="flex min-h-11 items-center gap-2 text-sm sm:min-h-0">
              <input type="radio" name="ws6-transport" data-testid={`ws6-transport-${t.id}`} checked={transport === t.id} onChange={() => setTransport(t.id)} />
              {t.label}
            </label>
          ))}
        </fieldset>
        <fieldset className="flex flex-wrap gap-4">
          <legend className="mb-1 text-sm font-medium text-slate-600">What to do</legend>
          {MODES.map((m) => (
            <label key={m.id} className="flex min-h-11 items-center gap-2 text-sm sm:min-h-0">
              <input type="radio" name="ws6-mode" data-testid={`ws6-mode-${m.id}`} checked={mode === m.id} onChange={() => setMode(m.id)} />
              {m.label}
            </label>
          ))}
        </fieldset>
      </div>

      <ProbedConnection key={`${transport} ${mode}`} backendUrl={backendUrl} transport={transport} mode={mode} board={board} onChange={refresh} />

      <div className="text-sm" data-testid="ws6-stats">
        <span className="font-medium text-slate-600">Open connections (/ws/transports): </span>
        {stats === null
          ? "– (this backend does not count them per transport)"
          : `${counts.map(([name, open]) => `${name} ${open}`).join(" · ")}${stats.serving ? ` — /ws is served by ${stats.serving}` : ""}`}
        <button type="button" onClick={refresh} className="ml-3 rounded border border-slate-300 px-2 text-xs hover:bg-slate-50">
          Refresh
        </button>
      </div>
    </section>
  );
}
