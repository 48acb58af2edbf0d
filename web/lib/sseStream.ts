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

/** Board names the server accepts (`board_name.rs`). */
export function isBoardName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}

/** One line of the page's event log. */
export interface LogEntry {
  /** Local counter, for React keys. */
  readonly n: number;
  readonly event: string;
  /** `lastEventId` when it arrived ("" before any id). */
  readonly id: string;
  readonly data: string;
  /** `Date.now()` at arrival. */
  readonly at: number;
}

/** Adds `entry` at the front, keeping at most `max` entries. */
export function pushLog(log: readonly LogEntry[], entry: LogEntry, max = 200): readonly LogEntry[] {
  return [entry, ...log].slice(0, max);
}
