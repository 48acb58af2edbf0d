/**
 * The connection in words a person understands, for the board's status badge: not "1006"
 * or "CLOSED", but what is happening and what happens next.
 *
 * ```text
 * live · syncing… · connecting… · reconnecting in 3 s · offline — 2 changes waiting
 * connection lost: no answer for 50 s — reconnecting in 1 s · stopped: 1009 message too big
 * ```
 *
 * The countdown is of the delay the supervisor actually chose (`connectionSupervisor.ts`),
 * a random draw, not the policy's window: in tenths of a second under 10 s (a 2.3 s delay
 * reads "reconnecting in 2.3 s", not "3 s"), whole seconds above; always rounded up, so it
 * never says 0 while there is still a wait. Pure (connectionWords.test.ts).
 */

import { formatDuration, type LinkLoss, type SupervisorState } from "./connectionSupervisor";

/** What the board's connection is doing, as the badge shows it. */
export type LinkStatus =
  | { readonly kind: "no-identity" }
  | { readonly kind: "connecting" }
  /** Open, but the board has no base yet (waiting for the snapshot or the resume). */
  | { readonly kind: "syncing" }
  | { readonly kind: "live" }
  /** The next attempt starts at `at`, after a delay of `delayMs`. */
  | { readonly kind: "reconnecting"; readonly at: number; readonly delayMs: number; readonly loss: LinkLoss }
  | { readonly kind: "offline" }
  | { readonly kind: "stopped"; readonly reason: string };

/** The status of a supervised link; `synced`: the board has its base on the open socket. */
export function linkStatus(supervisor: SupervisorState, synced: boolean): LinkStatus {
  const { phase } = supervisor;
  switch (phase.kind) {
    case "connecting":
      return { kind: "connecting" };
    case "open":
      return synced ? { kind: "live" } : { kind: "syncing" };
    case "waiting":
      return { kind: "reconnecting", at: phase.until, delayMs: phase.delayMs, loss: phase.loss };
    case "offline":
      return { kind: "offline" };
    case "stopped":
      return { kind: "stopped", reason: phase.reason };
  }
}

/** The time left until `at`, rounded up: `2.3 s` under 10 s, `12 s` above, `0 s` once past. */
export function timeUntil(at: number, now: number): string {
  const leftMs = Math.max(0, at - now);
  if (leftMs >= 10_000) return `${Math.ceil(leftMs / 1_000)} s`;
  const tenths = Math.ceil(leftMs / 100);
  return tenths % 10 === 0 ? `${tenths / 10} s` : `${(tenths / 10).toFixed(1)} s`;
}

function changes(waiting: number): string {
  return waiting === 1 ? "1 change waiting" : `${waiting} changes waiting`;
}

/** The badge's text at `now`; `waiting`: our changes the server has not confirmed. */
export function statusWords(status: LinkStatus, waiting: number, now: number): string {
  const queued = waiting > 0 ? ` — ${changes(waiting)}` : "";
  switch (status.kind) {
    case "no-identity":
      return "pick a name to join";
    case "connecting":
      return "connecting…";
    case "syncing":
      return "syncing…";
    case "live":
      return "live";
    case "reconnecting": {
      const countdown = `reconnecting in ${timeUntil(status.at, now)}`;
      if (status.loss.kind === "deadline") {
        return `connection lost: no answer for ${formatDuration(status.loss.deadlineMs)} — ${countdown}${queued}`;
      }
      return `${countdown}${queued}`;
    }
    case "offline":
      return `offline${queued}`;
    case "stopped":
      return `stopped: ${status.reason}`;
  }
}

/**
 * The badge's coarse state (its `data-state`): `live`, `open` (syncing), `connecting`,
 * `offline` (waiting to reconnect, offline or stopped), `no-identity`.
 */
export function badgeState(status: LinkStatus): "live" | "open" | "connecting" | "offline" | "no-identity" {
  switch (status.kind) {
    case "live":
    case "connecting":
    case "no-identity":
      return status.kind;
    case "syncing":
      return "open";
    default:
      return "offline";
  }
}
