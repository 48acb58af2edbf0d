/**
 * The inspector's frame log: one entry per WebSocket message, in or out, plus the
 * connection's own events (connect, open, close, error).
 *
 * A browser never shows a page the frames themselves: `WebSocket` hands over whole
 * messages, and answers pings, reassembles fragments and unmasks on its own. What we can
 * show is each message's direction, type, size and time, and compute what its frame cost on
 * the wire (RFC 6455 §5.2): a 2-byte header, 2 or 8 more bytes for lengths over 125 or
 * 65 535, and a 4-byte masking key on every frame a client sends (§5.3) — never on the
 * server's. (This assumes one frame per message, which is what browsers and our server send.)
 *
 * Pure (wsFrames.test.ts).
 */

import { envelopeHeader, parseJson } from "./boardProtocol";

/** `in`: from the server; `out`: from this page; `local`: something the browser reported. */
export type FrameDirection = "in" | "out" | "local";

/** What an entry records. */
export type FrameKind = "text" | "binary" | "connect" | "open" | "closing" | "close" | "error";

/**
 * A message's content, as the browser hands it over or as the page sends it. A text
 * message carries its JSON value, parsed once ({@link textPayload}; `undefined`: not JSON).
 */
export type FramePayload =
  | { readonly kind: "text"; readonly text: string; readonly json: unknown }
  | { readonly kind: "binary"; readonly bytes: Uint8Array };

/** A text payload, its JSON parsed here, once, for everyone who reads it. */
export function textPayload(text: string): Extract<FramePayload, { kind: "text" }> {
  return { kind: "text", text, json: parseJson(text) };
}

/** One line of the inspector. */
export interface FrameLogEntry {
  /** Position in the log, from 1; stable React key. */
  readonly n: number;
  /** Which socket of the hook (1, 2, … one per connect) it belongs to. */
  readonly socket: number;
  readonly direction: FrameDirection;
  readonly kind: FrameKind;
  /** The envelope's `type` for JSON envelopes; otherwise `text`, `binary` or the kind. */
  readonly type: string;
  /** The envelope's `id`, if it has one. */
  readonly id: string | null;
  /** Payload bytes (UTF-8 for text); 0 for local entries. */
  readonly bytes: number;
  /** Payload plus frame header (and masking key when sent by the page); 0 for local ones. */
  readonly wireBytes: number;
  /** `Date.now()` when it happened. */
  readonly at: number;
  /** The raw text, a hex dump of binary data, or a description of a local event. */
  readonly text: string;
  /** For an answer (`ack`, `error`, `pong` with an id): which request, and how long it took. */
  readonly reply: { readonly to: string; readonly rttMs: number } | null;
}

const encoder = new TextEncoder();

/** How many bytes `text` takes in UTF-8: what a text frame's length field counts. */
export function utf8ByteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The size of a frame header for a payload of `payloadBytes` (RFC 6455 §5.2): 2 bytes, plus
 * 2 for a 16-bit length (126–65 535), or 8 for a 64-bit one (above), plus 4 for the masking
 * key when `masked` (every client-to-server frame, §5.3).
 */
export function frameHeaderBytes(payloadBytes: number, masked: boolean): number {
  const extended = payloadBytes <= 125 ? 0 : payloadBytes <= 0xffff ? 2 : 8;
  return 2 + extended + (masked ? 4 : 0);
}

/** The first `max` bytes as hex pairs, `…` when there are more. */
export function hexPreview(bytes: Uint8Array, max = 32): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > max ? `${shown} …` : shown;
}

/** `text` re-indented when it is JSON, else `null`. */
export function prettyJson(text: string): string | null {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return null;
  }
}

/** What a message adds to the log (the reducer adds `n`, `socket` and `reply`). */
export function describeMessage(
  direction: "in" | "out",
  payload: FramePayload,
  at: number,
): Omit<FrameLogEntry, "n" | "socket" | "reply"> {
  const masked = direction === "out";
  if (payload.kind === "binary") {
    const bytes = payload.bytes.length;
    return {
      direction,
      kind: "binary",
      type: "binary",
      id: null,
      bytes,
      wireBytes: bytes + frameHeaderBytes(bytes, masked),
      at,
      text: hexPreview(payload.bytes),
    };
  }
  const bytes = utf8ByteLength(payload.text);
  const envelope = envelopeHeader(payload.json);
  return {
    direction,
    kind: "text",
    type: envelope?.type ?? "text",
    id: envelope?.id ?? null,
    bytes,
    wireBytes: bytes + frameHeaderBytes(bytes, masked),
    at,
    text: payload.text,
  };
}

/** Appends `entry`, keeping the newest `max` entries (the log must not grow forever). */
export function appendBounded<T>(log: readonly T[], entry: T, max: number): readonly T[] {
  const next = [...log, entry];
  return next.length > max ? next.slice(next.length - max) : next;
}
