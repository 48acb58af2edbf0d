"use client";

import { useState, type FormEvent } from "react";

import type { RequestResult } from "@/lib/boardProtocol";
import type { ClientRequest } from "@/lib/generated/protocol";
import type { Identity } from "@/lib/presence";
import { isBoardName } from "@/lib/boardName";

export interface WsBoardRequestsProps {
  /** Sends a request and resolves with its answer (see `useWebSocket`). */
  readonly request: (request: ClientRequest) => Promise<RequestResult>;
  /** Boards this connection receives (from the acks). */
  readonly subscribed: readonly string[];
  /** Who to appear as in the board's presence list (a server with sessions uses the session's). */
  readonly identity: Identity | null;
  /** Called with one line describing each answer. */
  readonly onReply: (line: string) => void;
}

const BUTTON = "rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50";

function describe(request: ClientRequest, result: RequestResult): string {
  if (!result.ok) return `${request.type} failed: ${result.error.code}: ${result.error.message}`;
  const { event } = result;
  switch (event.type) {
    case "ack": {
      const board = event.payload.board ? ` ${event.payload.board}` : "";
      const at = event.payload.position ? ` at ${event.payload.position}` : "";
      return `${event.payload.request}${board}: ack${at}`;
    }
    case "pong":
      return `pong (server clock ${new Date(event.payload.serverTimeMs).toISOString()})`;
    default:
      return `${request.type}: ${event.type}`;
  }
}

/** Subscribe / unsubscribe, publish, ping: the board protocol's requests, each awaiting its answer. */
export function WsBoardRequests({ request, subscribed, identity, onReply }: WsBoardRequestsProps) {
  const [board, setBoard] = useState("demo");
  const [text, setText] = useState("");
  const boardOk = isBoardName(board);

  function ask(req: ClientRequest) {
    request(req).then(
      (result) => onReply(describe(req, result)),
      (error: unknown) => onReply(`${req.type}: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  function subscribe(e: FormEvent) {
    e.preventDefault();
    if (!boardOk) return;
    const person = identity ? { clientId: identity.clientId, name: identity.name, color: identity.color } : undefined;
    ask({ type: "subscribe", payload: person ? { board, person } : { board } });
  }

  function publish(e: FormEvent) {
    e.preventDefault();
    if (!boardOk || !text.trim()) return;
    ask({ type: "publish", payload: identity ? { board, text, name: identity.name } : { board, text } });
    setText("");
  }

  return (
    <div className="space-y-3">
      <form onSubmit={subscribe} className="flex flex-wrap items-end gap-2" aria-label="Board">
        <label className="flex flex-col text-sm">
          <span className="font-medium text-slate-600">Board</span>
          <input
            data-testid="ws-board-input"
            className="rounded-md border border-slate-300 px-2 py-1"
            value={board}
            onChange={(e) => setBoard(e.target.value)}
          />
        </label>
        <button type="submit" data-testid="ws-subscribe" className={BUTTON}>
          Subscribe
        </button>
        <button
          type="button"
          data-testid="ws-unsubscribe"
          className={BUTTON}
          onClick={() => boardOk && ask({ type: "unsubscribe", payload: { board } })}
        >
          Unsubscribe
        </button>
        <button type="button" data-testid="ws-ping" className={BUTTON} onClick={() => ask({ type: "ping", payload: {} })}>
          App ping
        </button>
        <span className="text-sm text-slate-500">
          Subscribed: <span data-testid="ws-subscriptions">{subscribed.length ? subscribed.join(", ") : "none"}</span>
          {identity ? ` · as ${identity.name}` : " · anonymously (choose a name above to appear in presence)"}
        </span>
        {!boardOk && <p className="w-full text-sm text-rose-700">1–64 characters of A–Z, a–z, 0–9, _ or -.</p>}
      </form>

      <form onSubmit={publish} className="flex flex-wrap gap-2" aria-label="Publish a message">
        <input
          data-testid="ws-publish-input"
          className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-sm"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={`Say something on board ${board}`}
        />
        <button
          type="submit"
          data-testid="ws-publish"
          className="rounded-md bg-slate-800 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-900"
        >
          Publish
        </button>
      </form>
    </div>
  );
}
