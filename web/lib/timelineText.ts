/**
 * One line of the connection timeline in words, for the `/phases/5` page: what happened,
 * and the numbers behind it (the attempt, the draw, the delay and who decided it).
 *
 * Pure (timelineText.test.ts).
 */

import { describeVerdict } from "./closeReport";
import { formatDuration } from "./connectionSupervisor";
import type { TimelineEntry } from "./connectionTimeline";

/** What the entry's row says. */
export function timelineText(entry: TimelineEntry): string {
  switch (entry.kind) {
    case "state":
      return `${entry.to}: ${entry.detail}`;
    case "delay": {
      const hint = entry.hintMs === null ? "" : `, hint ${formatDuration(entry.hintMs)}`;
      const decided = entry.why === "hint" ? "the server's hint" : "the policy";
      return `retry #${entry.attempt + 1} in ${formatDuration(entry.delayMs)} (attempt ${entry.attempt}, draw ${entry.draw.toFixed(3)}: policy ${formatDuration(entry.policyMs)}${hint}; decided by ${decided})`;
    }
    case "verdict":
      return `closed ${entry.code} ${entry.meaning}: ${describeVerdict(entry.verdict)} — no retry`;
    case "policy":
      return `policy from the server: backoff ${formatDuration(entry.backoff.baseMs)} × ${entry.backoff.factor}^n up to ${formatDuration(entry.backoff.capMs)} (+${formatDuration(entry.backoff.minMs)}, ${entry.backoff.jitter.kind} jitter, stable after ${formatDuration(entry.backoff.stableAfterMs)}); heartbeat every ${formatDuration(entry.heartbeat.intervalMs)}, deadline ${formatDuration(entry.heartbeat.deadlineMs)}`;
    case "heartbeat":
      return entry.sinceLastMs === null ? "heartbeat (first on this connection)" : `heartbeat, ${formatDuration(entry.sinceLastMs)} after the previous one`;
    case "deadline":
      return `nothing heard for ${formatDuration(entry.silentMs)} (deadline ${formatDuration(entry.deadlineMs)}): the link is dead`;
    case "resume":
      return entry.recovered ? `resumed: ${entry.replayed} missed event${entry.replayed === 1 ? "" : "s"} replayed` : "resumed, but not every missed event could be replayed";
    case "reset":
      return `reset (${entry.reason}): the board starts over from a snapshot`;
    case "snapshot":
      return `snapshot: ${entry.notes} note${entry.notes === 1 ? "" : "s"}`;
    case "simulation":
      return `you ${entry.what}`;
  }
}
