/**
 * Phase 5's two messages on `/ws`, checked before the page trusts them, and the retry hint
 * a close reason may carry. The types come from the Rust code (`lib/generated/hardening.ts`,
 * made from `phases/5-hardening/src/protocol.rs`):
 *
 * ```text
 * ◀─ {"type":"connection.policy","payload":{"backoff":{...},"heartbeat":{"intervalMs":20000,"deadlineMs":50000}}}
 * ◀─ {"type":"heartbeat","payload":{"serverTimeMs":1764600000000}}     every intervalMs
 * close 1012 "service restarting retry-after-ms=2300"                   a floor for the next delay
 * ```
 *
 * Pure (hardeningMessages.test.ts).
 */

import type { BackoffPolicy, ConnectionPolicy, HeartbeatPolicy, Jitter } from "./generated/hardening";
import { RETRY_HINT } from "./generated/hardening";

/** The heartbeat timing the page assumes until the server advertises its own: the server's defaults. */
export const DEFAULT_HEARTBEAT: HeartbeatPolicy = { intervalMs: 20_000, deadlineMs: 50_000 };

/** A phase 5 message, sorted. */
export type HardeningMessage =
  | { readonly kind: "policy"; readonly policy: ConnectionPolicy }
  | { readonly kind: "heartbeat"; readonly serverTimeMs: number };

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A finite number of milliseconds, at least `min`. */
const ms = (v: unknown, min = 0): v is number => typeof v === "number" && Number.isFinite(v) && v >= min;

function toJitter(value: unknown): Jitter | null {
  if (!isRecord(value)) return null;
  switch (value.kind) {
    case "full":
      return { kind: "full" };
    case "none":
      return { kind: "none" };
    case "clampedProportional":
      return typeof value.ratio === "number" && value.ratio >= 0 && value.ratio <= 1 ? { kind: "clampedProportional", ratio: value.ratio } : null;
    default:
      return null;
  }
}

function toBackoff(value: unknown): BackoffPolicy | null {
  if (!isRecord(value)) return null;
  const { baseMs, factor, capMs, minMs, stableAfterMs } = value;
  const jitter = toJitter(value.jitter);
  // A factor below 1 or a zero window would make "backoff" a tight loop: refuse it.
  if (!jitter || !ms(baseMs, 1) || !ms(factor, 1) || !ms(capMs, 1) || !ms(minMs) || !ms(stableAfterMs)) return null;
  return { baseMs, factor, capMs, minMs, jitter, stableAfterMs };
}

function toHeartbeat(value: unknown): HeartbeatPolicy | null {
  if (!isRecord(value)) return null;
  const { intervalMs, deadlineMs } = value;
  return ms(intervalMs, 1) && ms(deadlineMs, 1) ? { intervalMs, deadlineMs } : null;
}

/** A `connection.policy` or `heartbeat` message (its JSON), or `null` for anything else or a bad field. */
export function hardeningMessageOf(json: unknown): HardeningMessage | null {
  if (!isRecord(json) || !isRecord(json.payload)) return null;
  const { type, payload } = json;
  if (type === "heartbeat") {
    return ms(payload.serverTimeMs) ? { kind: "heartbeat", serverTimeMs: payload.serverTimeMs } : null;
  }
  if (type === "connection.policy") {
    const backoff = toBackoff(payload.backoff);
    const heartbeat = toHeartbeat(payload.heartbeat);
    return backoff && heartbeat ? { kind: "policy", policy: { backoff, heartbeat } } : null;
  }
  return null;
}

/**
 * The retry hint at the end of a close reason (`"… retry-after-ms=2300"` → 2300), or `null`;
 * the same rule as `retry_hint` in `protocol.rs`: the last occurrence, digits only.
 */
export function retryHintOf(reason: string): number | null {
  const at = reason.lastIndexOf(RETRY_HINT);
  if (at < 0) return null;
  const digits = reason.slice(at + RETRY_HINT.length);
  return /^\d+$/.test(digits) ? Number(digits) : null;
}
