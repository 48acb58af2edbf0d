/**
 * The lab's five receivers of one board's events, each started with a {@link LabSink}
 * to report to and stopped by the function it returns:
 *
 * - **short polling**: `GET /boards/:board/poll?after=<cursor>` every `intervalMs`;
 * - **long polling**: the same with `&wait_ms=`, asked again as soon as it answers;
 * - **SSE**: `EventSource` on `/boards/:board/events`;
 * - **WebSocket**: the board protocol on `/ws`, subscribed to the board;
 * - **webhook**: a hook registered to the server's lab receiver (`--lab-receiver`), whose
 *   verified deliveries the page follows on the receiver's event stream.
 *
 * Polls ask with `cache: "no-store"`: the browser's cache would otherwise revalidate
 * with `If-None-Match` on its own and hand the page a `200` for the server's `304`, and
 * the bytes counted would be fiction. (A client that sends `If-None-Match` itself pays a
 * `304`'s head instead of an empty answer's body: phase 8's `ETag`.)
 */

import { requestHeadBytes, responseBytes, sseEventBytes, utf8Bytes, wsFrameBytes } from "./labBytes";
import { seqOfPosition } from "./labLatency";
import { SUBPROTOCOL } from "./generated/protocol";
import type { LabDelivery, LabReceiverCreated, PollAnswer, Webhook } from "./generated/protocolLab";
import { webSocketUrl } from "./webSocketUrl";

/** What a transport reports. */
export interface LabSink {
  /** Event `seq` of the board arrived (now). */
  arrived(seq: number): void;
  /** A request was made (or a stream or socket opened, or a delivery received) costing `bytes`. */
  request(bytes: number): void;
  /** Bytes on an open stream or socket. */
  bytes(bytes: number): void;
  /** Requests, streams or sockets held now. */
  connections(n: number): void;
  /** Something went wrong, in words (`null`: all is well again). */
  problem(text: string | null): void;
}

export interface LabTarget {
  readonly backendUrl: string;
  readonly board: string;
}

/** Longest wait of a long poll, ms (the server caps it with `--poll-max-wait-ms`). */
export const LONG_POLL_WAIT_MS = 20_000;
/** Pause after a failed request before the next, ms. */
const RETRY_MS = 1_000;

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The log's current end, as a cursor: the lab times only what it sends from now on. */
async function currentCursor({ backendUrl, board }: LabTarget, signal: AbortSignal): Promise<string> {
  const res = await fetch(`${backendUrl}/boards/${board}/poll?after=0`, { credentials: "include", cache: "no-store", signal });
  if (!res.ok) throw new Error(`GET /boards/${board}/poll answered ${res.status}`);
  const answer = (await res.json()) as PollAnswer;
  return `${answer.epoch}-${answer.head}`;
}

/** Short (`waitMs` 0, then `intervalMs()` between polls) or long polling. */
export function startPolling(target: LabTarget, sink: LabSink, waitMs: number, intervalMs: () => number): () => void {
  const abort = new AbortController();
  const { signal } = abort;
  void (async () => {
    let cursor: string | null = null;
    while (!signal.aborted) {
      try {
        cursor ??= await currentCursor(target, signal);
        const url = `${target.backendUrl}/boards/${target.board}/poll?after=${encodeURIComponent(cursor)}${waitMs > 0 ? `&wait_ms=${waitMs}` : ""}`;
        sink.connections(1);
        const res = await fetch(url, { credentials: "include", cache: "no-store", signal });
        const text = await res.text();
        sink.connections(0);
        sink.request(requestHeadBytes("GET", url, window.location.origin) + responseBytes(res.status, res.statusText, res.headers, text));
        if (res.status === 410) {
          cursor = null; // another epoch: start again from the log's end
          continue;
        }
        if (!res.ok) throw new Error(`the poll answered ${res.status}`);
        const answer = JSON.parse(text) as PollAnswer;
        for (const e of answer.events) if (e.event === "message") sink.arrived(e.seq);
        cursor = answer.next;
        sink.problem(null);
        if (waitMs === 0 || answer.retryAfterMs !== undefined) await pause(answer.retryAfterMs ?? intervalMs(), signal);
      } catch (e) {
        sink.connections(0);
        if (signal.aborted) return;
        sink.problem(message(e));
        await pause(RETRY_MS, signal);
      }
    }
  })();
  return () => {
    abort.abort();
    sink.connections(0);
  };
}

/** The board's event stream; each chat line's block counted as it arrives. */
export function startSse({ backendUrl, board }: LabTarget, sink: LabSink): () => void {
  const source = new EventSource(`${backendUrl}/boards/${board}/events`, { withCredentials: true });
  source.onopen = () => {
    sink.request(0);
    sink.connections(1);
    sink.problem(null);
  };
  source.onerror = () => {
    sink.connections(0);
    sink.problem(source.readyState === EventSource.CLOSED ? "the stream was refused" : "reconnecting…");
  };
  source.addEventListener("message", (ev: MessageEvent<string>) => {
    sink.bytes(sseEventBytes(ev.lastEventId, "message", ev.data));
    const seq = seqOfPosition(ev.lastEventId);
    if (seq !== null) sink.arrived(seq);
  });
  return () => {
    source.close();
    sink.connections(0);
  };
}

/** The board protocol on `/ws`: subscribe, then count every frame that arrives. */
export function startWebSocket({ backendUrl, board }: LabTarget, sink: LabSink): () => void {
  let closed = false;
  const socket = new WebSocket(webSocketUrl(backendUrl, "/ws"), [SUBPROTOCOL]);
  socket.onopen = () => {
    sink.request(0);
    sink.connections(1);
    sink.problem(null);
    socket.send(JSON.stringify({ type: "subscribe", id: "lab", payload: { board } }));
  };
  socket.onclose = (ev) => {
    sink.connections(0);
    if (!closed) sink.problem(`the socket closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`);
  };
  socket.onmessage = (ev: MessageEvent) => {
    if (typeof ev.data !== "string") return;
    sink.bytes(wsFrameBytes(utf8Bytes(ev.data)));
    try {
      const frame = JSON.parse(ev.data) as { type?: string; payload?: { position?: string } };
      if (frame.type === "message" && typeof frame.payload?.position === "string") {
        const seq = seqOfPosition(frame.payload.position);
        if (seq !== null) sink.arrived(seq);
      }
    } catch {
      // not JSON: counted, not timed
    }
  };
  return () => {
    closed = true;
    socket.close(1000, "lab stopped");
    sink.connections(0);
  };
}

/** Why the webhook transport cannot run on this backend. */
export const NO_LAB_RECEIVER = "This backend serves no lab receiver: start it with --lab-receiver (make dev does).";

/**
 * A receiver on the server, a hook on the board targeting it, and the receiver's stream:
 * each verified delivery counts as a request of its head and body, as the receiver
 * measured them. `onHook` is told the hook's id (for its delivery log), then `null` when
 * it is removed.
 */
export function startWebhook({ backendUrl, board }: LabTarget, sink: LabSink, onHook: (id: string | null) => void): () => void {
  let stopped = false;
  let source: EventSource | null = null;
  let receiver: LabReceiverCreated | null = null;
  let hook: Webhook | null = null;
  void (async () => {
    try {
      const made = await fetch(`${backendUrl}/lab/receivers`, { method: "POST" });
      if (made.status === 404) throw new Error(NO_LAB_RECEIVER);
      if (!made.ok) throw new Error(`POST /lab/receivers answered ${made.status}`);
      receiver = (await made.json()) as LabReceiverCreated;
      const registered = await fetch(`${backendUrl}/boards/${board}/webhooks`, {
        method: "POST",
        credentials: "include",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: receiver.url, events: ["message"] }),
      });
      if (!registered.ok) {
        const body = (await registered.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(`registering the hook: ${body?.error?.message ?? registered.status}`);
      }
      hook = (await registered.json()) as Webhook;
      if (stopped) return cleanUp();
      onHook(hook.id);
      source = new EventSource(`${backendUrl}/lab/receivers/${receiver.id}/events`);
      source.onopen = () => sink.problem(null);
      source.onerror = () => sink.problem("the receiver's stream is reconnecting…");
      source.addEventListener("delivery", (ev: MessageEvent<string>) => {
        const d = JSON.parse(ev.data) as LabDelivery;
        if (d.board !== board) return;
        sink.request(d.headBytes + d.bodyBytes);
        sink.arrived(d.seq);
      });
      sink.problem(null);
    } catch (e) {
      sink.problem(message(e));
      void cleanUp();
    }
  })();

  async function cleanUp() {
    source?.close();
    const [h, r] = [hook, receiver];
    hook = null;
    receiver = null;
    // The hook first: a receiver deleted under a live hook would answer its next delivery 410.
    if (h) await fetch(`${backendUrl}/boards/${board}/webhooks/${h.id}`, { method: "DELETE", credentials: "include" }).catch(() => undefined);
    if (r) await fetch(`${backendUrl}/lab/receivers/${r.id}`, { method: "DELETE" }).catch(() => undefined);
  }

  return () => {
    stopped = true;
    void cleanUp();
  };
}
