"use client";

/**
 * A typed React hook around the browser's `WebSocket`, with an inspector's memory.
 *
 * What the browser does for us (HTML §9.3, RFC 6455): the opening handshake (`GET` with
 * `Upgrade: websocket`, a random `Sec-WebSocket-Key`, checking the server's
 * `Sec-WebSocket-Accept`), framing and masking every message it sends, unmasking nothing
 * (servers never mask), reassembling fragments, answering pings, and the closing handshake.
 * What it does **not** do, unlike `EventSource`: reconnect. When a WebSocket closes it stays
 * closed; whether to come back is the page's decision, and the close code is the input to
 * it. This hook surfaces that code explained by the shared close-code table
 * ({@link CloseReport}: meaning and verdict) and leaves the decision to its caller:
 * {@link WebSocketHandle.connect} opens a fresh socket, the seam phase 5's backoff plugs into.
 *
 * The connection's state is the pure reducer of `wsConnection.ts` (connecting → open →
 * closing → closed, a bounded frame log, totals, pending request ids). Around it the hook
 * keeps the socket itself and the promises of {@link WebSocketHandle.request}.
 *
 * **Listening.** Callers hear the connection through callbacks, called as things happen:
 * {@link UseWebSocketOptions.onSocketEvent} with every event of the current socket in order
 * (`connecting`, `open`, each `message`, `close`), and `onEvent` with the phase 3 envelopes
 * only. Each text message is JSON-parsed once, on arrival; the frame log, the request
 * tracker and the callbacks share that value. The frame log is for people (the
 * inspector): it is bounded, and code should not read messages back out of it.
 *
 * The socket opens when the caller asks ({@link WebSocketHandle.connect}, or at mount with
 * `autoConnect`), and is closed when the component unmounts or `url` changes.
 */

import { useCallback, useEffect, useReducer, useRef, useState } from "react";

import { encodeRequest, PendingRequests, serverEnvelopeOf, type RequestResult } from "./boardProtocol";
import type { ClientRequest, ServerEnvelope } from "./generated/protocol";
import {
  closeArgumentsProblem,
  connectionReducer,
  initialConnectionState,
  type ConnectionState,
  DEFAULT_MAX_LOG,
} from "./wsConnection";
import { textPayload, type FramePayload } from "./wsFrames";

/**
 * One thing that happened to the hook's current socket (numbered 1, 2, … per connect), at
 * `at` (`Date.now()`).
 */
export type SocketEvent = { readonly socket: number; readonly at: number } & (
  /** A new socket is opening; the previous one, if any, is done (its later events are not reported). */
  | { readonly type: "connecting" }
  | { readonly type: "open"; readonly protocol: string }
  /** A message from the server: text with its JSON (`undefined`: not JSON), or binary. */
  | { readonly type: "message"; readonly payload: FramePayload }
  | { readonly type: "close"; readonly code: number; readonly reason: string; readonly wasClean: boolean }
);

export interface UseWebSocketOptions {
  /** Subprotocols to offer in `Sec-WebSocket-Protocol`, most preferred first. */
  readonly protocols?: readonly string[];
  /** Open the first socket at mount, without waiting for {@link WebSocketHandle.connect}. */
  readonly autoConnect?: boolean;
  /** Most entries kept in the frame log. Default {@link DEFAULT_MAX_LOG}. */
  readonly maxLog?: number;
  /** How long {@link WebSocketHandle.request} waits for an answer. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Called with every server message that is a known envelope of phase 3's board protocol. */
  readonly onEvent?: (envelope: ServerEnvelope) => void;
  /**
   * Called with everything that happens to the current socket, in order: the stream a
   * protocol on top (phase 4's board) reads. It may change on every render.
   */
  readonly onSocketEvent?: (event: SocketEvent) => void;
}

export interface WebSocketHandle extends ConnectionState {
  /** Opens a new socket (closing the current one first, if any). */
  readonly connect: () => void;
  /**
   * Starts the closing handshake. The browser allows 1000 or 3000–4999 and a reason of at
   * most 123 bytes; returns why not, or `null` when the close was started.
   */
  readonly disconnect: (code?: number, reason?: string) => string | null;
  /** Sends a text message as is. Returns false when the socket is not open. */
  readonly sendText: (text: string) => boolean;
  /** Sends a binary message. Returns false when the socket is not open. */
  readonly sendBinary: (bytes: Uint8Array) => boolean;
  /**
   * Sends a board-protocol request with a fresh id and resolves with its answer (`ack`,
   * `pong` or `error`). Rejects with `RequestFailed` when it cannot be sent, the
   * connection closes first, or no answer comes in time.
   */
  readonly request: (request: ClientRequest) => Promise<RequestResult>;
  /** Empties the frame log (totals stay). */
  readonly clearLog: () => void;
}

/**
 * Converts a received `MessageEvent`'s data (text, or an `ArrayBuffer` with binaryType
 * arraybuffer); text is JSON-parsed here, the one time it is.
 */
function payloadOf(data: unknown): FramePayload {
  if (data instanceof ArrayBuffer) return { kind: "binary", bytes: new Uint8Array(data) };
  return textPayload(typeof data === "string" ? data : String(data));
}

/** Connects to `url` (a `ws://` or `wss://` URL) when asked; `null` means "nowhere yet". */
export function useWebSocket(url: string | null, options: UseWebSocketOptions = {}): WebSocketHandle {
  const { autoConnect = false, maxLog = DEFAULT_MAX_LOG, requestTimeoutMs = 10_000 } = options;
  const protocolsKey = (options.protocols ?? []).join(",");

  const [status, dispatch] = useReducer(connectionReducer, maxLog, initialConnectionState);
  const [tracker] = useState(() => new PendingRequests(requestTimeoutMs));
  // `session` counts calls to connect(): each value is one socket to open.
  const [session, setSession] = useState(autoConnect ? 1 : 0);
  const socketRef = useRef<{ readonly id: number; readonly ws: WebSocket } | null>(null);
  const lastSocketId = useRef(0);
  const onEventRef = useRef(options.onEvent);
  const onSocketEventRef = useRef(options.onSocketEvent);
  useEffect(() => {
    onEventRef.current = options.onEvent;
    onSocketEventRef.current = options.onSocketEvent;
  });

  useEffect(() => {
    if (url === null || session === 0) return;
    lastSocketId.current += 1;
    const id = lastSocketId.current;
    const protocols = protocolsKey ? protocolsKey.split(",") : [];
    const ws = new WebSocket(url, protocols);
    // Binary messages as ArrayBuffer (the default, Blob, would need an async read).
    ws.binaryType = "arraybuffer";
    socketRef.current = { id, ws };
    const at = () => Date.now();
    // Like the reducer, callers hear only the newest socket: once another one started,
    // this one's late events (its close, typically) are not theirs any more.
    const report = (event: SocketEvent) => {
      if (lastSocketId.current === id) onSocketEventRef.current?.(event);
    };
    const started = at();
    dispatch({ type: "connect", socket: id, url, protocols, at: started });
    report({ type: "connecting", socket: id, at: started });

    ws.onopen = () => {
      const now = at();
      dispatch({ type: "open", socket: id, protocol: ws.protocol, at: now });
      report({ type: "open", socket: id, protocol: ws.protocol, at: now });
    };
    ws.onerror = () => dispatch({ type: "error", socket: id, at: at() });
    ws.onmessage = (event: MessageEvent<unknown>) => {
      if (lastSocketId.current !== id) return;
      const payload = payloadOf(event.data);
      const now = at();
      dispatch({ type: "receive", socket: id, payload, at: now });
      if (payload.kind === "text") {
        const envelope = serverEnvelopeOf(payload.json);
        if (envelope) {
          tracker.settle(envelope);
          onEventRef.current?.(envelope);
        }
      }
      report({ type: "message", socket: id, payload, at: now });
    };
    ws.onclose = (event: CloseEvent) => {
      const closed = { socket: id, code: event.code, reason: event.reason, wasClean: event.wasClean, at: at() };
      report({ type: "close", ...closed });
      dispatch({ type: "close", ...closed });
      tracker.failAll(`the connection closed (${event.code}) before the answer came`);
      if (socketRef.current?.id === id) socketRef.current = null;
    };

    return () => {
      // Unmount, a new url, or connect() again: this socket is done. Its close event still
      // reaches the reducer, which ignores it once a newer socket exists.
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        dispatch({ type: "close-requested", socket: id, code: 1000, reason: "page moved on", at: at() });
        ws.close(1000, "page moved on");
      }
      tracker.failAll("the connection was replaced");
    };
  }, [url, session, protocolsKey, tracker]);

  const connect = useCallback(() => setSession((s) => s + 1), []);

  const disconnect = useCallback((code = 1000, reason = ""): string | null => {
    const problem = closeArgumentsProblem(code, reason);
    if (problem) return problem;
    const current = socketRef.current;
    if (!current || current.ws.readyState === WebSocket.CLOSING || current.ws.readyState === WebSocket.CLOSED) {
      return "not connected";
    }
    dispatch({ type: "close-requested", socket: current.id, code, reason, at: Date.now() });
    current.ws.close(code, reason);
    return null;
  }, []);

  const sendText = useCallback((text: string): boolean => {
    const current = socketRef.current;
    if (!current || current.ws.readyState !== WebSocket.OPEN) return false;
    current.ws.send(text);
    dispatch({ type: "send", socket: current.id, payload: textPayload(text), at: Date.now() });
    return true;
  }, []);

  const sendBinary = useCallback((bytes: Uint8Array): boolean => {
    const current = socketRef.current;
    if (!current || current.ws.readyState !== WebSocket.OPEN) return false;
    // A copy in a plain ArrayBuffer: what is logged is exactly what was sent.
    const copy = new Uint8Array(bytes);
    current.ws.send(copy);
    dispatch({ type: "send", socket: current.id, payload: { kind: "binary", bytes: copy }, at: Date.now() });
    return true;
  }, []);

  const request = useCallback(
    (req: ClientRequest): Promise<RequestResult> => {
      const id = tracker.nextId();
      const answer = tracker.wait(id);
      if (!sendText(encodeRequest(req, id))) tracker.fail(id, "not connected: open the connection first");
      return answer;
    },
    [tracker, sendText],
  );

  const clearLog = useCallback(() => dispatch({ type: "clear-log" }), []);

  // Without a url there is no socket, whatever the reducer last saw.
  const state = url === null ? { ...status, state: "closed" as const } : status;
  return { ...state, connect, disconnect, sendText, sendBinary, request, clearLog };
}
