"use client";

import { useState, type FormEvent } from "react";

import type { SocketState } from "@/lib/wsConnection";
import type { WebSocketHandle } from "@/lib/useWebSocket";

import { WsCloseReport } from "./WsCloseReport";

export interface WsConnectionPanelProps {
  readonly socket: WebSocketHandle;
  /** Prefix of the `data-testid`s (`ws`, `echo`). */
  readonly idPrefix: string;
}

const STATE_STYLE: Record<SocketState, string> = {
  connecting: "bg-amber-100 text-amber-800",
  open: "bg-emerald-100 text-emerald-800",
  closing: "bg-orange-100 text-orange-800",
  closed: "bg-rose-100 text-rose-800",
};

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** State, address, subprotocol and totals; connect, and close with a chosen code and reason. */
export function WsConnectionPanel({ socket, idPrefix }: WsConnectionPanelProps) {
  const [code, setCode] = useState("1000");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const live = socket.state === "open" || socket.state === "connecting";

  function close(e: FormEvent) {
    e.preventDefault();
    setProblem(socket.disconnect(Number(code), reason));
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <span
          data-testid={`${idPrefix}-state`}
          className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STATE_STYLE[socket.state]}`}
        >
          {socket.state}
        </span>
        <button
          type="button"
          data-testid={`${idPrefix}-connect`}
          onClick={() => {
            setProblem(null);
            socket.connect();
          }}
          className="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50"
        >
          {socket.socket === 0 ? "Connect" : live ? "Reconnect" : "Connect again"}
        </button>
        <form onSubmit={close} className="flex flex-wrap items-center gap-2" aria-label="Close the connection">
          <label className="flex items-center gap-1 text-sm">
            <span className="text-slate-600">code</span>
            <input
              data-testid={`${idPrefix}-close-code-input`}
              className="w-20 rounded-md border border-slate-300 px-2 py-1 font-mono"
              inputMode="numeric"
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <label className="flex items-center gap-1 text-sm">
            <span className="text-slate-600">reason</span>
            <input
              data-testid={`${idPrefix}-close-reason-input`}
              className="w-36 rounded-md border border-slate-300 px-2 py-1"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
          <button
            type="submit"
            data-testid={`${idPrefix}-disconnect`}
            disabled={!live}
            className="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50 disabled:opacity-50"
          >
            Disconnect
          </button>
        </form>
      </div>
      {problem && (
        <p data-testid={`${idPrefix}-close-problem`} className="text-sm text-rose-700">
          {problem}
        </p>
      )}

      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
        <dt className="font-medium text-slate-500">Address</dt>
        <dd className="break-all">
          <code>{socket.url ?? "–"}</code>
        </dd>
        <dt className="font-medium text-slate-500">Subprotocol</dt>
        <dd data-testid={`${idPrefix}-protocol`} className="font-mono">
          {socket.state === "open" || socket.state === "closing" ? socket.protocol || "(none)" : "–"}
        </dd>
        <dt className="font-medium text-slate-500">Messages</dt>
        <dd data-testid={`${idPrefix}-totals`}>
          {socket.totals.framesOut} out ({formatBytes(socket.totals.bytesOut)}), {socket.totals.framesIn} in (
          {formatBytes(socket.totals.bytesIn)})
        </dd>
      </dl>

      {socket.close && <WsCloseReport report={socket.close} idPrefix={idPrefix} />}
    </div>
  );
}
