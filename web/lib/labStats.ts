/**
 * The lab's figures, per transport: what arrived, how late, and what it cost.
 *
 * Each transport of the lab page (short poll, long poll, SSE, WebSocket, webhook) feeds a
 * {@link TransportFigures} with three kinds of facts — a request made, bytes seen on the
 * wire, an event delivered with its latency — and the page draws the summaries. All of it
 * is plain data and pure functions, so it is tested here without a browser.
 */

/** The five ways the lab receives the same events. */
export type TransportId = "short-poll" | "long-poll" | "sse" | "websocket" | "webhook";

export const TRANSPORT_IDS: readonly TransportId[] = ["short-poll", "long-poll", "sse", "websocket", "webhook"];

/** Latencies kept per transport for the percentiles and the chart (the newest). */
export const KEPT_LATENCIES = 200;

/** What one transport has done since the lab started. */
export interface TransportFigures {
  /** Events of this run delivered (each counted once, however often it arrived). */
  readonly received: number;
  /** HTTP requests made, or streams and sockets opened, or deliveries received. */
  readonly requests: number;
  /** Bytes on the wire, as the transport's panel measures them. */
  readonly bytes: number;
  /** Requests, streams or sockets held open right now. */
  readonly connections: number;
  /** The latest latencies, in milliseconds, oldest first (at most {@link KEPT_LATENCIES}). */
  readonly latencies: readonly number[];
  /** Sequence numbers already counted (an event delivered twice is counted once). */
  readonly seen: ReadonlySet<number>;
}

export const NO_FIGURES: TransportFigures = { received: 0, requests: 0, bytes: 0, connections: 0, latencies: [], seen: new Set() };

/** A request (or stream, socket, delivery) that cost `bytes`. */
export function addRequest(f: TransportFigures, bytes: number): TransportFigures {
  return { ...f, requests: f.requests + 1, bytes: f.bytes + bytes };
}

/** Bytes that belong to no new request (an event on an open stream or socket). */
export function addBytes(f: TransportFigures, bytes: number): TransportFigures {
  return { ...f, bytes: f.bytes + bytes };
}

/** Requests or streams held now. */
export function setConnections(f: TransportFigures, connections: number): TransportFigures {
  return f.connections === connections ? f : { ...f, connections };
}

/** Event `seq` delivered `latencyMs` after the page sent it; a repeat changes nothing. */
export function addDelivery(f: TransportFigures, seq: number, latencyMs: number): TransportFigures {
  if (f.seen.has(seq)) return f;
  const seen = new Set(f.seen);
  seen.add(seq);
  const latencies = [...f.latencies, Math.max(0, latencyMs)].slice(-KEPT_LATENCIES);
  return { ...f, received: f.received + 1, latencies, seen };
}

/** The `p`-th percentile (0–100) of `values` by the nearest-rank method; `null` if none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] ?? null;
}

/** What a panel shows. */
export interface Summary {
  readonly received: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly requests: number;
  /** Bytes per delivered event; `null` before the first one. */
  readonly bytesPerEvent: number | null;
  readonly connections: number;
}

export function summarize(f: TransportFigures): Summary {
  return {
    received: f.received,
    p50: percentile(f.latencies, 50),
    p95: percentile(f.latencies, 95),
    requests: f.requests,
    bytesPerEvent: f.received === 0 ? null : Math.round(f.bytes / f.received),
    connections: f.connections,
  };
}
