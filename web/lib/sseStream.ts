/**
 * Pure helpers for phase 2's event streams (unit-tested in sseStream.test.ts).
 *
 * Every stream opens with a control event: `ready` (`{position, recovered, replayed}`)
 * when the server could replay everything we missed (or we had nothing to resume), or
 * `reset` (`{reason, position}`) when it could not — recovery is all or nothing, so after
 * a reset the page must throw its state away and reload it.
 */

/** How the current connection started. */
export type Resume =
  | { readonly kind: "fresh"; readonly position: string }
  | { readonly kind: "recovered"; readonly position: string; readonly replayed: number }
  | { readonly kind: "reset"; readonly position: string; readonly reason: string };

/** Reads a `ready` or `reset` event's data; `null` for anything else. */
export function parseResume(event: string, data: string): Resume | null {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null) return null;
  const v = json as Record<string, unknown>;
  const position = typeof v.position === "string" ? v.position : "";
  if (event === "reset") {
    return { kind: "reset", position, reason: typeof v.reason === "string" ? v.reason : "" };
  }
  if (event === "ready") {
    return v.recovered === true
      ? { kind: "recovered", position, replayed: typeof v.replayed === "number" ? v.replayed : 0 }
      : { kind: "fresh", position };
  }
  return null;
}

/**
 * `url` with `lastEventId` set, for a page that opens a *new* EventSource and wants to
 * resume (a browser only sends the `Last-Event-ID` header on its own reconnections).
 * An empty id leaves the URL alone.
 */
export function withLastEventId(url: string, lastEventId: string): string {
  if (!lastEventId) return url;
  const u = new URL(url);
  u.searchParams.set("lastEventId", lastEventId);
  return u.toString();
}

/** One line of the page's event log. */
export interface LogEntry {
  /** Local counter, for React keys. */
  readonly n: number;
  readonly event: string;
  /**
   * The event's id: set for {@link NUMBERED_EVENTS} only. Presence events are state, not
   * history, and carry no id; the browser would report the previous event's id for them,
   * so they show none.
   */
  readonly id: string;
  readonly data: string;
  /** `Date.now()` at arrival. */
  readonly at: number;
  /** Missed while disconnected, and replayed by the server on the reconnection. */
  readonly replayed?: boolean;
}

/**
 * The events that carry an id of their own, their place in the board's history: chat
 * messages, and the board's changes when the server keeps boards (phase 4). With a board
 * store, the store's log numbers both in one sequence per board, so each chat message has
 * its own id there too and is replayed after a reconnection like a note change.
 */
export const NUMBERED_EVENTS: ReadonlySet<string> = new Set(["message", "note.created", "note.updated", "note.moved", "note.deleted"]);

/**
 * The log when a connection's `ready` arrives: its newest `replayed` numbered entries marked
 * replayed, and only those (an earlier reconnection's marks go). The server sends the events
 * a reconnection missed first, then `ready` with their count (`{recovered: true, replayed}`),
 * so they are the numbered entries just before it.
 */
export function markReplayed(log: readonly LogEntry[], replayed: number): readonly LogEntry[] {
  let left = replayed;
  return log.map((entry) => {
    if (left > 0 && NUMBERED_EVENTS.has(entry.event)) {
      left -= 1;
      return { ...entry, replayed: true };
    }
    if (!entry.replayed) return entry;
    const { replayed: _earlier, ...rest } = entry;
    return rest;
  });
}

/** Adds `entry` at the front, keeping at most `max` entries. */
export function pushLog(log: readonly LogEntry[], entry: LogEntry, max = 200): readonly LogEntry[] {
  return [entry, ...log].slice(0, max);
}
