/**
 * A WebSocket connection's life as a pure state machine, for {@link useWebSocket} and its
 * inspector.
 *
 * ```text
 *            connect                open                 close() by the page
 *   closed ──────────▶ connecting ───────▶ open ──────────────────────────▶ closing
 *     ▲                    │                 │                                 │
 *     │                    │ close event     │ close event (server closed,     │ close event
 *     └────────────────────┴─────────────────┴── or the connection dropped) ◀──┘
 * ```
 *
 * The browser's `WebSocket.readyState` has the same four values (HTML §9.3), but the page only
 * learns of changes through events, and only one of them, `closing`, is something the page
 * does itself: when the *server* starts the closing handshake, the browser answers it and
 * reports `close` with no `closing` in between.
 *
 * Every action names the socket it comes from. A hook that reconnects has an old socket
 * whose last events (its `close`, typically) arrive after the new one started; the reducer
 * drops them, so a late `close` of socket 1 cannot mark socket 2 as closed.
 *
 * The state also holds the inspector's frame log (bounded to `maxLog` entries), running
 * totals, and the requests waiting for an answer, so each `ack`/`error`/`pong` in the log
 * says which request it answers and after how long.
 *
 * Pure (wsConnection.test.ts).
 */

import { explainClose, type CloseReport } from "./closeReport";
import { appendBounded, describeMessage, type FrameKind, type FrameLogEntry, type FramePayload } from "./wsFrames";

/** `WebSocket.readyState`, by name. */
export type SocketState = "connecting" | "open" | "closing" | "closed";

/** Messages and bytes, per direction, since the hook was created. */
export interface FrameTotals {
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** A request sent with an `id` and not answered yet. */
export interface PendingRequest {
  readonly type: string;
  readonly at: number;
}

export interface ConnectionState {
  /** The current socket (1, 2, …); 0 before the first connect. */
  readonly socket: number;
  readonly state: SocketState;
  /** Where the current socket connects. */
  readonly url: string | null;
  /** The subprotocol the server chose (`WebSocket.protocol`), "" if none. */
  readonly protocol: string;
  /** When the current socket opened. */
  readonly openedAt: number | null;
  /** How the last socket ended; `null` while one is connecting or open. */
  readonly close: CloseReport | null;
  /** Set when the page called `close()` on the current socket. */
  readonly closeRequested: { readonly code: number; readonly reason: string } | null;
  /** The inspector's log, oldest first, at most {@link maxLog} entries. */
  readonly log: readonly FrameLogEntry[];
  /** The next entry's number. */
  readonly nextEntry: number;
  readonly maxLog: number;
  readonly totals: FrameTotals;
  /** Requests on the current socket waiting for their answer, by id. */
  readonly pending: Readonly<Record<string, PendingRequest>>;
}

export type ConnectionAction =
  | {
      readonly type: "connect";
      readonly socket: number;
      readonly url: string;
      readonly protocols: readonly string[];
      readonly at: number;
    }
  | { readonly type: "open"; readonly socket: number; readonly protocol: string; readonly at: number }
  | { readonly type: "send"; readonly socket: number; readonly payload: FramePayload; readonly at: number }
  | { readonly type: "receive"; readonly socket: number; readonly payload: FramePayload; readonly at: number }
  | {
      readonly type: "close-requested";
      readonly socket: number;
      readonly code: number;
      readonly reason: string;
      readonly at: number;
    }
  | { readonly type: "error"; readonly socket: number; readonly at: number }
  | {
      readonly type: "close";
      readonly socket: number;
      readonly code: number;
      readonly reason: string;
      readonly wasClean: boolean;
      readonly at: number;
    }
  | { readonly type: "clear-log" };

/** The default bound on the log: enough to scroll back, small enough to render. */
export const DEFAULT_MAX_LOG = 500;

const NO_TOTALS: FrameTotals = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };

/** Before the first connect: closed, with no close to explain. */
export function initialConnectionState(maxLog = DEFAULT_MAX_LOG): ConnectionState {
  return {
    socket: 0,
    state: "closed",
    url: null,
    protocol: "",
    openedAt: null,
    close: null,
    closeRequested: null,
    log: [],
    nextEntry: 1,
    maxLog: Math.max(1, maxLog),
    totals: NO_TOTALS,
    pending: {},
  };
}

function addEntry(state: ConnectionState, entry: Omit<FrameLogEntry, "n">): ConnectionState {
  return {
    ...state,
    log: appendBounded(state.log, { ...entry, n: state.nextEntry }, state.maxLog),
    nextEntry: state.nextEntry + 1,
  };
}

function localEntry(state: ConnectionState, kind: FrameKind, text: string, at: number): ConnectionState {
  return addEntry(state, {
    socket: state.socket,
    direction: "local",
    kind,
    type: kind,
    id: null,
    bytes: 0,
    wireBytes: 0,
    at,
    text,
    reply: null,
  });
}

function without(pending: Readonly<Record<string, PendingRequest>>, id: string): Readonly<Record<string, PendingRequest>> {
  const { [id]: _answered, ...rest } = pending;
  return rest;
}

/** The next state. Actions from a socket other than the current one are ignored. */
export function connectionReducer(state: ConnectionState, action: ConnectionAction): ConnectionState {
  if (action.type === "clear-log") return { ...state, log: [] };
  if (action.type === "connect") {
    const next: ConnectionState = {
      ...state,
      socket: action.socket,
      state: "connecting",
      url: action.url,
      protocol: "",
      openedAt: null,
      close: null,
      closeRequested: null,
      pending: {},
    };
    const offer = action.protocols.length ? ` (Sec-WebSocket-Protocol: ${action.protocols.join(", ")})` : "";
    return localEntry(next, "connect", `GET ${action.url}${offer}`, action.at);
  }
  if (action.socket !== state.socket || state.state === "closed") return state;

  switch (action.type) {
    case "open": {
      if (state.state !== "connecting") return state;
      const next: ConnectionState = { ...state, state: "open", protocol: action.protocol, openedAt: action.at };
      const agreed = action.protocol ? `subprotocol ${action.protocol}` : "no subprotocol";
      return localEntry(next, "open", `101 Switching Protocols, ${agreed}`, action.at);
    }
    case "send": {
      if (state.state !== "open") return state;
      const described = describeMessage("out", action.payload, action.at);
      const next: ConnectionState = {
        ...state,
        totals: {
          ...state.totals,
          framesOut: state.totals.framesOut + 1,
          bytesOut: state.totals.bytesOut + described.bytes,
        },
        pending:
          described.id !== null ? { ...state.pending, [described.id]: { type: described.type, at: action.at } } : state.pending,
      };
      return addEntry(next, { ...described, socket: state.socket, reply: null });
    }
    case "receive": {
      const described = describeMessage("in", action.payload, action.at);
      const asked = described.id !== null ? state.pending[described.id] : undefined;
      const next: ConnectionState = {
        ...state,
        totals: {
          ...state.totals,
          framesIn: state.totals.framesIn + 1,
          bytesIn: state.totals.bytesIn + described.bytes,
        },
        pending: asked && described.id !== null ? without(state.pending, described.id) : state.pending,
      };
      const reply = asked ? { to: asked.type, rttMs: action.at - asked.at } : null;
      return addEntry(next, { ...described, socket: state.socket, reply });
    }
    case "close-requested": {
      if (state.state === "closing") return state;
      const next: ConnectionState = {
        ...state,
        state: "closing",
        closeRequested: { code: action.code, reason: action.reason },
      };
      const why = action.reason ? ` "${action.reason}"` : "";
      return localEntry(next, "closing", `close(${action.code}${why}) called by the page`, action.at);
    }
    case "error":
      return localEntry(state, "error", "error event (the browser gives no details; the close event follows)", action.at);
    case "close": {
      const report = explainClose({
        code: action.code,
        reason: action.reason,
        wasClean: action.wasClean,
        initiatedBy: state.closeRequested ? "client" : action.wasClean ? "server" : "lost",
        at: action.at,
      });
      const next: ConnectionState = { ...state, state: "closed", close: report, pending: {} };
      const why = action.reason ? ` "${action.reason}"` : "";
      return localEntry(
        next,
        "close",
        `${action.code}${why}: ${report.meaning}${action.wasClean ? "" : " (not clean)"}`,
        action.at,
      );
    }
  }
}

/**
 * Why `close(code, reason)` would throw in a browser, or `null` if it is fine. HTML §9.3.3:
 * the page may only send 1000 or 3000–4999, and the reason must fit in 123 bytes of UTF-8
 * (a Close frame's payload is 125 bytes at most, two of which hold the code).
 */
export function closeArgumentsProblem(code: number, reason: string): string | null {
  if (!Number.isInteger(code) || (code !== 1000 && (code < 3000 || code > 4999))) {
    return "A page may only close with 1000 or a code from 3000 to 4999.";
  }
  if (new TextEncoder().encode(reason).length > 123) {
    return "The reason must fit in 123 bytes of UTF-8.";
  }
  return null;
}
