/**
 * The board's messages on the wire: phase 3's session envelopes (`welcome`, `ready`,
 * `presence.*`, …) and phase 4's note envelopes (`ack` of a note op, `error`, `snapshot`,
 * `note.*`) share one `/ws` connection and one envelope, `{ type, id?, payload }`.
 *
 * The types come from the Rust code (`lib/generated/protocol.ts`, `lib/generated/board.ts`);
 * what no type can do is check what actually arrives, so {@link boardMessageOf} checks
 * every field the optimistic reducer relies on before the app trusts a message, and sorts
 * it into what the reducer needs: a note `ack`, an `error`, a `snapshot`, a board event
 * (a note event, or a chat line: both take the board's next `seq`), or anything else of the
 * session.
 *
 * Pure (boardMessages.test.ts).
 */

import { serverEnvelopeOf } from "./boardProtocol";
import type { BoardEvent, NoteEvent, NoteOpRequest, RequestError } from "./boardState";
import type {
  BoardSnapshot,
  Note,
  NoteAck,
  NoteClientEnvelope,
  NoteErrorCode,
  NoteRequest,
  NoteServerEvent,
} from "./generated/board";
import type { ErrorCode, ServerEnvelope } from "./generated/protocol";

/** The `type`s of board events. */
export const NOTE_EVENT_TYPES = ["note.created", "note.updated", "note.moved", "note.deleted"] as const satisfies readonly NoteEvent["type"][];

// If the Rust side adds an event, this stops compiling until the list above has it.
type UnlistedEvent = Exclude<NoteEvent["type"], (typeof NOTE_EVENT_TYPES)[number]>;
const _everyEventListed: [UnlistedEvent] extends [never] ? true : UnlistedEvent = true;
void _everyEventListed;

/** Every `type` phase 4 sends (`ack` and `error` are shared with phase 3); the same guard follows. */
export const NOTE_SERVER_TYPES = ["ack", "error", "snapshot", ...NOTE_EVENT_TYPES, "note.editing"] as const satisfies readonly NoteServerEvent["type"][];
type UnlistedServer = Exclude<NoteServerEvent["type"], (typeof NOTE_SERVER_TYPES)[number]>;
const _everyServerTypeListed: [UnlistedServer] extends [never] ? true : UnlistedServer = true;
void _everyServerTypeListed;

const NOTE_ERROR_CODES = [
  "validation",
  "not_found",
  "version_conflict",
  "rate_limited",
  "too_many_notes",
  "too_many_boards",
  "unavailable",
  "forbidden",
] as const satisfies readonly NoteErrorCode[];
type UnlistedCode = Exclude<NoteErrorCode, (typeof NOTE_ERROR_CODES)[number]>;
const _everyCodeListed: [UnlistedCode] extends [never] ? true : UnlistedCode = true;
void _everyCodeListed;

/** A server message, sorted by what the board does with it. */
export type BoardMessage =
  | { readonly kind: "ack"; readonly id?: string; readonly ack: NoteAck }
  | { readonly kind: "error"; readonly id?: string; readonly error: RequestError }
  | { readonly kind: "snapshot"; readonly id?: string; readonly snapshot: BoardSnapshot }
  /** A note event, or a chat line numbered by the board's log (it takes a `seq` too). */
  | { readonly kind: "event"; readonly event: BoardEvent }
  /** Everything else: phase 3's session messages (welcome, subscribe's ack, ready, reset, presence, …). */
  | { readonly kind: "session"; readonly envelope: ServerEnvelope };

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const str = (v: unknown): v is string => typeof v === "string";
const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A note from untrusted JSON, or `null` when a field is missing or of the wrong type. */
export function toNote(value: unknown): Note | null {
  if (!isRecord(value)) return null;
  const { id, board, text, color, column, order, author, createdAtMs, updatedAtMs, version } = value;
  if (!str(id) || !str(board) || !str(text) || !str(color) || !str(column) || !str(author)) return null;
  if (!num(order) || !num(createdAtMs) || !num(updatedAtMs) || !num(version)) return null;
  // A note logged before `updatedBy` existed lacks it: its author is the best answer.
  const updatedBy = str(value.updatedBy) ? value.updatedBy : author;
  return { id, board, text, color, column, order, author, updatedBy, createdAtMs, updatedAtMs, version };
}

function toAck(p: Json): NoteAck | null {
  const { request, board, position, seq, opId, noteId, version, duplicate } = p;
  if (!str(request) || !str(board) || !str(position) || !num(seq) || !str(opId) || !str(noteId) || !num(version)) return null;
  const note = p.note === null ? null : toNote(p.note);
  if (p.note !== null && note === null) return null;
  return { request, board, position, seq, opId, noteId, version, note, duplicate: duplicate === true };
}

function toError(p: Json): RequestError | null {
  const { code, message } = p;
  if (!str(code) || !str(message)) return null;
  // `detail`: for developers and operators (shown under "details"), when the server gives one.
  const detail = str(p.detail) ? { detail: p.detail } : {};
  if (!(NOTE_ERROR_CODES as readonly string[]).includes(code)) {
    // One of phase 3's codes (e.g. `invalid_payload`): only `code` and `message`.
    return { code: code as ErrorCode, message, ...detail };
  }
  const current = p.current === undefined ? undefined : toNote(p.current);
  return {
    code: code as NoteErrorCode,
    message,
    ...detail,
    ...(str(p.opId) ? { opId: p.opId } : {}),
    ...(current ? { current } : {}),
    ...(num(p.retryAfterMs) ? { retryAfterMs: p.retryAfterMs } : {}),
  };
}

function toSnapshot(p: Json): BoardSnapshot | null {
  const { board, position, seq, notes } = p;
  if (!str(board) || !str(position) || !num(seq) || !Array.isArray(notes)) return null;
  const parsed = notes.map(toNote);
  if (parsed.some((n) => n === null)) return null;
  return { board, position, seq, notes: parsed as Note[] };
}

function toEvent(type: string, p: Json): NoteEvent | null {
  const { board, position, seq, opId, author, summary } = p;
  if (!str(board) || !str(position) || !num(seq) || !str(opId) || !str(author) || !str(summary)) return null;
  const common = { board, position, seq, opId, author, summary };
  if (type === "note.deleted") {
    return str(p.noteId) && num(p.version) ? { type, payload: { ...common, noteId: p.noteId, version: p.version } } : null;
  }
  const note = toNote(p.note);
  if (!note) return null;
  switch (type) {
    case "note.created":
      return { type, payload: { ...common, note } };
    case "note.updated": {
      const changed = Array.isArray(p.changed) ? p.changed.filter((f): f is "text" | "color" => f === "text" || f === "color") : [];
      return { type, payload: { ...common, changed, note } };
    }
    case "note.moved":
      return str(p.fromColumn) ? { type, payload: { ...common, fromColumn: p.fromColumn, note } } : null;
    default:
      return null;
  }
}

/**
 * A `message` (chat line) as the board's sequence sees it: its board, its position and the
 * `seq` in it. Every chat line has its own position — the board's log numbers it between
 * the note events — so it advances the board's `seq` like one; `null` if malformed.
 */
function toChatLine(p: Json): BoardEvent | null {
  const { board, position } = p;
  if (!str(board) || !str(position)) return null;
  const dash = position.lastIndexOf("-");
  const seq = Number(position.slice(dash + 1));
  if (dash <= 0 || !/^\d+$/.test(position.slice(dash + 1)) || !Number.isSafeInteger(seq)) return null;
  return { type: "message", payload: { board, position, seq } };
}

/**
 * One text message from `/ws` (its JSON, parsed once on arrival by `useWebSocket`), sorted
 * for the board; `null` when it is not JSON, not an envelope, of an unknown type, or missing
 * a field the board needs (a bad message must not break the page).
 */
export function boardMessageOf(json: unknown): BoardMessage | null {
  if (!isRecord(json) || !str(json.type) || !isRecord(json.payload)) return null;
  if (json.id !== undefined && !str(json.id)) return null;
  const { type, payload } = json;
  const id = str(json.id) ? { id: json.id } : {};
  if (type === "ack" && str(payload.opId)) {
    const ack = toAck(payload);
    return ack && { kind: "ack", ...id, ack };
  }
  if (type === "error") {
    const error = toError(payload);
    return error && { kind: "error", ...id, error };
  }
  if (type === "snapshot") {
    const snapshot = toSnapshot(payload);
    return snapshot && { kind: "snapshot", ...id, snapshot };
  }
  if ((NOTE_EVENT_TYPES as readonly string[]).includes(type)) {
    const event = toEvent(type, payload);
    return event && { kind: "event", event };
  }
  if (type === "message") {
    const event = toChatLine(payload);
    return event && { kind: "event", event };
  }
  const envelope = serverEnvelopeOf(json);
  return envelope && { kind: "session", envelope };
}

/** The JSON text of a note request with envelope id `id`. */
export function encodeNoteRequest(request: NoteOpRequest | Extract<NoteRequest, { type: "board_snapshot" }>, id: string): string {
  const envelope: NoteClientEnvelope = { id, ...request };
  return JSON.stringify(envelope);
}
