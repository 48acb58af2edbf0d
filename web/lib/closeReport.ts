/**
 * "Why was I disconnected?": a browser `CloseEvent` explained with the close-code table.
 *
 * When a WebSocket ends, the browser hands the page three facts (HTML §9.3, the `close`
 * event): the status `code` from the peer's Close frame, its `reason` text, and whether the
 * closing handshake completed (`wasClean`). The code alone rarely tells a user anything, so
 * we look it up in **the** close-code table: the one the server defines in Rust
 * (`phases/3-websocket/src/rfc6455/close.rs`) and generates into `lib/generated/closeCodes.ts`.
 * Each row says what the code means and what a client should do next: `reconnect` (with
 * backoff, phase 5), `stop`, or `reauthenticate`.
 *
 * Three codes never travel in a Close frame (RFC 6455 §7.4.1); the browser makes them up:
 * 1005 (a Close frame arrived without a code), 1006 (the connection dropped with no Close
 * frame at all: a crash, a network cut, a refused handshake) and 1015 (TLS failed).
 *
 * Codes outside the table are explained by their range (§7.4.2): 3000–3999 belong to
 * libraries and frameworks, 4000–4999 to applications. We do not know what an unknown
 * application meant, so the verdict for them is `stop`: reconnecting blindly in a loop is the
 * worst default.
 *
 * Everything here is pure (closeReport.test.ts).
 */

import { closeCodeInfo, type ReconnectVerdict } from "./generated/closeCodes";

/**
 * Who ended the connection, as far as the page can tell: `client` when the page called
 * `close()` first, `server` when a Close frame arrived first, `lost` when there was no
 * closing handshake at all (a drop, a crash, a refused handshake: `wasClean` is false).
 */
export type CloseInitiator = "client" | "server" | "lost";

/** What the page shows after a disconnection. */
export interface CloseReport {
  /** The status code the browser reported (1005/1006 when there was none on the wire). */
  readonly code: number;
  /** The reason text from the Close frame ("" when there was none). */
  readonly reason: string;
  /** Whether the closing handshake completed (false after a drop: code 1006). */
  readonly wasClean: boolean;
  /** Who ended it. */
  readonly initiatedBy: CloseInitiator;
  /** The table's name for the code (e.g. `MessageTooBig`), or the range's name. */
  readonly name: string;
  /** What the code means, in words. */
  readonly meaning: string;
  /** What a client should do now. */
  readonly verdict: ReconnectVerdict;
  /** False for codes the browser reports but no endpoint may send (1005, 1006, 1015). */
  readonly sentOnWire: boolean;
  /** `Date.now()` when the close event fired. */
  readonly at: number;
}

/** The raw facts of a `CloseEvent`. */
export interface CloseFacts {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  readonly initiatedBy: CloseInitiator;
  readonly at: number;
}

/** What a code means when it is not in the table: its range per RFC 6455 §7.4.2. */
function byRange(code: number): { name: string; meaning: string } {
  if (code >= 4000 && code <= 4999) {
    return { name: "Application", meaning: "application-defined code (4000–4999, private use)" };
  }
  if (code >= 3000 && code <= 3999) {
    return { name: "Library", meaning: "library or framework code (3000–3999, registered with IANA)" };
  }
  if (code >= 1000 && code <= 2999) {
    return { name: "Reserved", meaning: "reserved for the WebSocket protocol, not assigned (1000–2999)" };
  }
  return { name: "Invalid", meaning: "not a valid close code (below 1000 or above 4999)" };
}

/** Explains a close with the generated table (or the code's range). */
export function explainClose(facts: CloseFacts): CloseReport {
  const row = closeCodeInfo(facts.code);
  if (row) {
    return { ...facts, name: row.name, meaning: row.reason, verdict: row.verdict, sentOnWire: row.sentOnWire };
  }
  return { ...facts, ...byRange(facts.code), verdict: "stop", sentOnWire: true };
}

/** One line for people: "1009 message too big: stop". */
export function describeVerdict(verdict: ReconnectVerdict): string {
  switch (verdict) {
    case "reconnect":
      return "reconnect (with backoff)";
    case "stop":
      return "do not reconnect";
    case "reauthenticate":
      return "sign in again, then reconnect";
  }
}
