/**
 * The connection's history, as the `/phases/5` page draws it: every state change, every
 * reconnection delay with the numbers that chose it, heartbeats with their inter-arrival
 * time, and how each resume went. The supervisor (`connectionSupervisor.ts`) writes most
 * entries; the board (`useBoard.ts`) adds what only it sees (`ready`, `reset`, snapshots).
 *
 * Pure and bounded: the newest {@link MAX_TIMELINE} entries are kept.
 */

import type { ReconnectVerdict } from "./generated/closeCodes";
import type { BackoffPolicy, HeartbeatPolicy } from "./generated/hardening";

/** Entries kept; older ones fall off the front. */
export const MAX_TIMELINE = 300;

/** What the supervisor's link is doing, in one word (the timeline's `state` entries). */
export type LinkPhaseName = "connecting" | "open" | "waiting" | "offline" | "stopped";

/** Why a reconnection waits as long as it does: the policy's own draw, or the server's hint (a floor above it). */
export type DelayReason = "policy" | "hint";

/** One thing that happened to the connection, at `at` (`Date.now()`). */
export type TimelineEntry = { readonly at: number } & (
  | { readonly kind: "state"; readonly to: LinkPhaseName; readonly detail: string }
  /** A reconnection delay chosen: `delay(attempt, draw)` under the policy, raised to `hintMs` when that is larger. */
  | {
      readonly kind: "delay";
      readonly attempt: number;
      readonly draw: number;
      readonly policyMs: number;
      readonly hintMs: number | null;
      readonly delayMs: number;
      readonly why: DelayReason;
    }
  /** A close whose verdict is not "reconnect": no delay, no retry. */
  | { readonly kind: "verdict"; readonly code: number; readonly meaning: string; readonly verdict: ReconnectVerdict }
  | { readonly kind: "policy"; readonly backoff: BackoffPolicy; readonly heartbeat: HeartbeatPolicy }
  /** A `heartbeat` arrived; `sinceLastMs`: the time since the previous one on this connection. */
  | { readonly kind: "heartbeat"; readonly serverTimeMs: number; readonly sinceLastMs: number | null }
  /** Nothing arrived for `silentMs` (≥ the deadline): the page gave up on the link. */
  | { readonly kind: "deadline"; readonly silentMs: number; readonly deadlineMs: number }
  /** The server answered `subscribe` with `ready`: `recovered` when every missed event was replayed. */
  | { readonly kind: "resume"; readonly recovered: boolean; readonly replayed: number }
  /** The server could not replay: the page starts over from a snapshot. */
  | { readonly kind: "reset"; readonly reason: string }
  | { readonly kind: "snapshot"; readonly notes: number }
  /** Something the person did on the page to the link (drop it, go deaf, go offline, come back). */
  | { readonly kind: "simulation"; readonly what: string }
);

/** `timeline` with `entries` appended, bounded to the newest {@link MAX_TIMELINE}. */
export function appendTimeline(timeline: readonly TimelineEntry[], entries: readonly TimelineEntry[]): readonly TimelineEntry[] {
  if (entries.length === 0) return timeline;
  const next = [...timeline, ...entries];
  return next.length > MAX_TIMELINE ? next.slice(next.length - MAX_TIMELINE) : next;
}
