/**
 * Optimistic UI for the board, as one pure reducer.
 *
 * A person drags a note to "Done". Waiting a round trip before the note moves feels broken,
 * so the page moves it **at once** and tells the server afterwards. The server may agree
 * (an `ack`, and the change comes back as a `note.moved` event with a sequence number), or
 * refuse (an `error`: someone edited the note first, the text is too long, …). Meanwhile
 * other people's changes keep arriving. This file keeps all of that straight with two
 * pieces of state:
 *
 * - **confirmed**: the board as the server has told us, built *only* from server messages:
 *   a snapshot, then the board's events applied in `seq` order. Out-of-order events wait in
 *   a buffer; an event at or below the last applied `seq` is a duplicate and is dropped; a
 *   hole that stays open means something was lost, so we ask for a snapshot.
 * - **pending**: our own operations the server has not confirmed yet, in the order the
 *   person made them.
 *
 * What the page draws, the **view**, is never stored: it is `confirmed` with the pending
 * operations re-applied on top, in order ({@link boardView}). When a remote event changes
 * `confirmed`, the next view re-applies our pending ops on the new base: that is the
 * *rebase*, and it costs nothing because nothing was mutated in place. A rejected op simply
 * leaves the list, and the view falls back to the confirmed note: that is the *rollback*.
 *
 * ```text
 *   view = pending.reduce(apply, confirmed)
 *
 *   local op ──▶ pending += op ─────────────────────▶ view changes at once (marked pending)
 *   ack       ──▶ op "acked", kept until its seq is applied (so the note does not flicker back)
 *   event     ──▶ confirmed += event (in seq order); an op with the event's opId leaves pending
 *   error     ──▶ pending -= op, a message says why (version_conflict: confirmed := current)
 *   snapshot  ──▶ confirmed := snapshot, pending kept (rebased on it)
 * ```
 *
 * **Versions and the conflict rule.** Each change names the note `version` it was based on
 * (`baseVersion`); the server refuses it when someone else changed the same field since
 * (see phases/4-board/PROTOCOL.md). If a person makes two quick edits, the second was made
 * on top of the first, whose resulting version only the server knows. So an op made on top
 * of an unconfirmed op records that op (`after`) and is held back until it is confirmed,
 * then sent with the version the server gave it. Ops on different notes travel in parallel.
 *
 * **Idempotency.** Every op has an `opId` chosen here. After a lost connection every sent,
 * unconfirmed op is sent again *unchanged* (same `opId`, same request): if the server had
 * applied it, it answers with the first `ack` again (`duplicate: true`), never twice.
 *
 * **Drafts: no silent lost update.** An open editor is state here, not in the card: a
 * {@link Draft} keeps what the person typed *and* the text and version it started from (its
 * base). A save is a `note_update` based on that version, so if someone else changed the
 * text since, the server refuses it (`version_conflict`, with the note as it is now) instead
 * of overwriting what nobody here saw. A remote change that arrives while the editor is
 * open is compared with the base at once ({@link followNote}): same text, nothing to say;
 * an untouched editor follows it; typed words under a new text make a *conflict*, and the
 * person chooses — keep mine (sent again, now knowingly based on their version), take
 * theirs, or keep both (mine becomes a new note beside it). A note deleted under an editor
 * leaves its draft as a ghost that can be restored as a new note.
 *
 * **Undo** never rewinds state: it makes a *new* op that reverses one of mine (create ↔
 * delete, previous text/color, previous place; a deleted note comes back as a new note,
 * since ids are never reused), sent through the same pipeline. It is based on the version
 * *my action* produced (from its ack), not on the latest: if someone changed the note
 * since, the server refuses the undo, and their change stands.
 *
 * ```text
 *   draft-open ─▶ drafts[id] = { text, base: {version, text} }
 *   remote text change ─▶ same as base: base moves on │ untouched: follow │ typed: conflict
 *   draft-save ─▶ note_update(baseVersion = base.version) ─▶ ack: draft done
 *                                                        └▶ version_conflict: conflict, text kept
 *   undo ─▶ inverse op, baseVersion = version my action produced ─▶ conflict: "Can't undo"
 * ```
 *
 * Everything is pure: time and ids come in the actions (boardState.test.ts,
 * boardState.property.test.ts, boardState.drafts.test.ts).
 */

import type {
  BoardSnapshot,
  Note,
  NoteAck,
  NoteError,
  NoteRequest,
  NoteServerEvent,
} from "./generated/board";
import type { ErrorPayload } from "./generated/protocol";

/** A note operation as sent on the wire (every `NoteRequest` but `board_snapshot` and `note_editing`). */
export type NoteOpRequest = Exclude<NoteRequest, { type: "board_snapshot" | "note_editing" }>;

/** A board event: `note.created`, `note.updated`, `note.moved` or `note.deleted` (not `note.editing`, which is never in the log). */
export type NoteEvent = Exclude<Extract<NoteServerEvent, { type: `note.${string}` }>, { type: "note.editing" }>;

/**
 * A chat line (phase 3's `message`) as the board's log numbers it: it takes the next `seq`
 * in the board's one sequence, between note events, and changes no note. The reducer
 * applies it in order like any event — it only advances `seq` — so the seq it takes is not
 * mistaken for a gap (which would ask for a snapshot).
 */
export interface ChatLineEvent {
  readonly type: "message";
  readonly payload: { readonly board: string; readonly position: string; readonly seq: number };
}

/** What the reducer applies in `seq` order: note events and numbered chat lines. */
export type BoardEvent = NoteEvent | ChatLineEvent;

/** What the person did, before the reducer adds board, opId, author and baseVersion. */
export type NoteIntent =
  | {
      readonly kind: "create";
      readonly noteId: string;
      readonly text: string;
      readonly color: string;
      readonly column: string;
      readonly order: number;
    }
  | { readonly kind: "update"; readonly noteId: string; readonly text?: string; readonly color?: string }
  | { readonly kind: "move"; readonly noteId: string; readonly column: string; readonly order: number }
  | { readonly kind: "delete"; readonly noteId: string };

// ANCHOR: pending_op
/**
 * Where an op is: `queued` (not sent, or to be sent again), `sent` (waiting for the answer),
 * `acked` (the server accepted it; kept until the event with its `seq` reaches `confirmed`).
 */
export type PendingStatus = "queued" | "sent" | "acked";

/** One of our operations the confirmed state does not include yet. */
export interface PendingOp {
  readonly opId: string;
  readonly intent: NoteIntent;
  /** Display name sent as `author`. */
  readonly author: string;
  readonly createdAt: number;
  /**
   * The earlier pending op on the same note whose result this op was made on. It is sent
   * once that op is confirmed, with the version the server gave it as `baseVersion`.
   */
  readonly after: string | null;
  /** The note version this op is based on (meaningful when `after` is null; 0 for a create). */
  readonly baseVersion: number;
  readonly status: PendingStatus;
  /** The request as first sent; a resend repeats it exactly (same `opId`, same fields). */
  readonly request: NoteOpRequest | null;
  /** The envelope `id` of the latest send. */
  readonly requestId: string | null;
  /** How many times it was sent. */
  readonly sends: number;
  /** After `rate_limited` or `unavailable`: not to be sent again before this time. */
  readonly notBefore: number;
  /** Once acknowledged: the log position it got and the note after it (`null`: deleted). */
  readonly acked: { readonly seq: number; readonly version: number; readonly note: Note | null } | null;
  /** An undo (a new op reversing an earlier one): a refusal says "Can't undo". */
  readonly isUndo?: boolean;
}
// ANCHOR_END: pending_op

/** The board as the server has confirmed it. */
export interface ConfirmedBoard {
  readonly notes: Readonly<Record<string, Note>>;
  /** The last sequence number applied (0: nothing yet). */
  readonly seq: number;
  /** The last position applied (`<epoch>-<seq>`), what a reconnection resumes from. */
  readonly position: string | null;
}

/**
 * A note being edited: what the person typed, and what it was typed on (`base`).
 * Kept here, not in the card, so that a remote change can be compared with it, a refused
 * save can give the text back, and a reload keeps it (`boardPersistence.ts`).
 */
export interface Draft {
  readonly noteId: string;
  /** What the editor shows. */
  readonly text: string;
  /** The note's text and version when the editor opened (or when the person last chose to build on a newer one). */
  readonly base: { readonly version: number; readonly text: string };
  /** Someone else changed the text since `base` while this draft differs from it: the person chooses. */
  readonly conflict: { readonly text: string; readonly version: number; readonly by: string } | null;
  /** Someone deleted the note: the draft stays, as a ghost card, until restored or discarded. */
  readonly deleted: { readonly by: string; readonly note: Note } | null;
  /** The op saving it, while in flight: the editor is closed, but the text comes back if refused. */
  readonly saving: string | null;
  /** Why the last save was refused (not a conflict): the server's message, and its detail. */
  readonly error: { readonly message: string; readonly detail?: string } | null;
}

/** One of my actions that Ctrl+Z can reverse, newest last (at most {@link MAX_UNDO}). */
export interface UndoEntry {
  /** The op of the action. */
  readonly opId: string;
  readonly noteId: string;
  /** The note's text, for messages ("Can't undo: Bo changed “Buy milk” since"). */
  readonly label: string;
  /** What reverses it (a delete is reversed by creating a *new* note: ids are never reused). */
  readonly inverse:
    | { readonly kind: "delete" }
    | { readonly kind: "update"; readonly text?: string; readonly color?: string }
    | { readonly kind: "move"; readonly column: string; readonly order: number }
    | { readonly kind: "create"; readonly text: string; readonly color: string; readonly column: string; readonly order: number };
  /** The note's version my action produced (from its ack or event): the undo's `baseVersion`. */
  readonly version: number | null;
}

/** Something to tell the person. */
export interface Notice {
  readonly id: number;
  /**
   * `rejected`: the server refused our op; `dropped`: a remote change made it moot; `remote`:
   * someone else's change; `deleted`: my own delete (its toast offers Undo).
   */
  readonly kind: "rejected" | "dropped" | "remote" | "deleted";
  readonly text: string;
  readonly at: number;
  readonly opId?: string;
  readonly code?: string;
  readonly noteId?: string;
  /** The server's own words, when `text` says it more simply. */
  readonly detail?: string;
  /** A refused new note: its text, to put back into its column's input. */
  readonly restore?: { readonly column: string; readonly text: string };
  /** For `deleted`: the undo entry that brings the note back. */
  readonly undoOpId?: string;
}

/** One line of the reconciliation log (shown live on /phases/4). */
export interface ReconcileEntry {
  readonly n: number;
  readonly at: number;
  readonly kind:
    | "local"
    | "sent"
    | "ack"
    | "confirmed"
    | "event"
    | "buffered"
    | "duplicate"
    | "rejected"
    | "retry"
    | "rebased"
    | "dropped"
    | "snapshot"
    | "resync"
    | "ignored";
  readonly text: string;
}

export interface BoardState {
  readonly board: string;
  /** True once `confirmed` has a base (a snapshot, or a resume from a known position). */
  readonly synced: boolean;
  readonly confirmed: ConfirmedBoard;
  /** Events that arrived ahead of a missing one, by ascending `seq`, all above `confirmed.seq`. */
  readonly buffered: readonly BoardEvent[];
  readonly pending: readonly PendingOp[];
  /** The `id` of the `board_snapshot` request in flight, if any. */
  readonly snapshotRequest: string | null;
  /** After a refused snapshot request: not to ask again before this time. */
  readonly snapshotNotBefore: number;
  /** Newest last, at most {@link MAX_NOTICES}. */
  readonly notices: readonly Notice[];
  readonly nextNotice: number;
  /** Newest last, at most {@link MAX_LOG}. */
  readonly log: readonly ReconcileEntry[];
  readonly nextLog: number;
  /** Open editors (and ghosts of notes deleted under them), by note id. */
  readonly drafts: Readonly<Record<string, Draft>>;
  /** My undoable actions, newest last. */
  readonly undo: readonly UndoEntry[];
  /** The board was restored from the browser after a reload: it is the last known one until a snapshot. */
  readonly restored: boolean;
}

/** The errors a request can get: the note protocol's, or phase 3's (e.g. `invalid_payload`). */
export type RequestError = NoteError | ErrorPayload;

/** Who acts, and when: what every action that makes an op carries. */
interface ActionOrigin {
  readonly opId: string;
  readonly author: string;
  readonly at: number;
}

export type BoardAction =
  /**
   * The person did something: apply it to the view at once. `baseVersion` (when no earlier
   * op of ours on the note is unconfirmed) overrides the version it is based on.
   */
  | (ActionOrigin & { readonly type: "local"; readonly intent: NoteIntent; readonly baseVersion?: number; readonly isUndo?: boolean })
  /** The editor of a note opens (on the note as drawn). */
  | { readonly type: "draft-open"; readonly noteId: string; readonly at: number }
  | { readonly type: "draft-change"; readonly noteId: string; readonly text: string }
  /** Save the draft: a `note_update` based on the draft's base version. */
  | (ActionOrigin & { readonly type: "draft-save"; readonly noteId: string })
  /**
   * After a conflict: `mine` re-sends my text on the current version, `theirs` drops my
   * draft, `both` keeps theirs and makes mine a new note (`newNoteId`) next to it. For a
   * ghost (deleted note), `both` restores the draft as a new note.
   */
  | (ActionOrigin & { readonly type: "draft-resolve"; readonly noteId: string; readonly choice: "mine" | "theirs" | "both"; readonly newNoteId: string })
  /** Cancel (or discard a ghost): the draft goes. */
  | { readonly type: "draft-close"; readonly noteId: string }
  /** Undo my latest action (or the one of op `entry`), as a new op; `newNoteId` for re-creating a deleted note. */
  | (ActionOrigin & { readonly type: "undo"; readonly newNoteId: string; readonly entry?: string })
  /** What a previous page left in the browser (`boardPersistence.ts`). */
  | { readonly type: "restore"; readonly saved: RestoredBoard; readonly at: number }
  /** The hook sent `request` for op `opId` with envelope id `requestId`. */
  | {
      readonly type: "sent";
      readonly opId: string;
      readonly requestId: string;
      readonly request: NoteOpRequest;
      readonly at: number;
    }
  | { readonly type: "snapshot-requested"; readonly requestId: string; readonly at: number }
  | { readonly type: "ack"; readonly requestId?: string; readonly ack: NoteAck; readonly at: number }
  | { readonly type: "error"; readonly requestId?: string; readonly error: RequestError; readonly at: number }
  | { readonly type: "event"; readonly event: BoardEvent; readonly at: number }
  | { readonly type: "snapshot"; readonly requestId?: string; readonly snapshot: BoardSnapshot; readonly at: number }
  /** The subscription (re)started: `ready` (`recovered` says whether every missed event was replayed). */
  | { readonly type: "resumed"; readonly recovered: boolean; readonly at: number }
  /** The server cannot resume our position (`reset`): a snapshot is needed. */
  | { readonly type: "reset"; readonly reason: string; readonly at: number }
  /** The connection closed: whatever was in flight must be sent again. */
  | { readonly type: "connection-lost"; readonly at: number }
  | { readonly type: "dismiss"; readonly id: number };

/** How many notices are kept. */
export const MAX_NOTICES = 20;
/** How many reconciliation log lines are kept. */
export const MAX_LOG = 200;
/** How long to wait before asking again after a refused snapshot request (e.g. a server without phase 4). */
export const SNAPSHOT_RETRY_MS = 3_000;
/** How many actions Ctrl+Z can reverse. */
export const MAX_UNDO = 50;

/** What survives a reload (`boardPersistence.ts` checks it): the board, my unsent ops, my drafts. */
export interface RestoredBoard {
  readonly confirmed: ConfirmedBoard;
  readonly pending: readonly PendingOp[];
  readonly drafts: Readonly<Record<string, Draft>>;
}

export function initialBoardState(board: string): BoardState {
  return {
    board,
    synced: false,
    confirmed: { notes: {}, seq: 0, position: null },
    buffered: [],
    pending: [],
    snapshotRequest: null,
    snapshotNotBefore: 0,
    notices: [],
    nextNotice: 1,
    log: [],
    nextLog: 1,
    drafts: {},
    undo: [],
    restored: false,
  };
}

// ---------------------------------------------------------------------------------------
// Small helpers

/** The epoch part of a position `<epoch>-<seq>` (everything before the last `-`). */
export function epochOf(position: string | null): string | null {
  if (position === null) return null;
  const dash = position.lastIndexOf("-");
  return dash <= 0 ? null : position.slice(0, dash);
}

/** The note an event is about. */
export function eventNoteId(event: NoteEvent): string {
  return event.type === "note.deleted" ? event.payload.noteId : event.payload.note.id;
}

/** The note's version after the event. */
function eventVersion(event: NoteEvent): number {
  return event.type === "note.deleted" ? event.payload.version : event.payload.note.version;
}

const INTENT_WORD: Record<NoteIntent["kind"], string> = {
  create: "new note",
  update: "edit",
  move: "move",
  delete: "delete",
};

function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

function log(state: BoardState, at: number, kind: ReconcileEntry["kind"], text: string): BoardState {
  const entry: ReconcileEntry = { n: state.nextLog, at, kind, text };
  const next = state.log.length >= MAX_LOG ? [...state.log.slice(state.log.length - MAX_LOG + 1), entry] : [...state.log, entry];
  return { ...state, log: next, nextLog: state.nextLog + 1 };
}

function notify(state: BoardState, notice: Omit<Notice, "id">): BoardState {
  const full: Notice = { ...notice, id: state.nextNotice };
  const kept = state.notices.length >= MAX_NOTICES ? state.notices.slice(state.notices.length - MAX_NOTICES + 1) : state.notices;
  return { ...state, notices: [...kept, full], nextNotice: state.nextNotice + 1 };
}

function replaceOp(pending: readonly PendingOp[], opId: string, change: (op: PendingOp) => PendingOp): readonly PendingOp[] {
  return pending.map((op) => (op.opId === opId ? change(op) : op));
}

/** Ops that waited for `opId` are now based on `version` and may be sent. */
function release(pending: readonly PendingOp[], opId: string, version: number): readonly PendingOp[] {
  return pending.map((op) => (op.after === opId ? { ...op, after: null, baseVersion: version } : op));
}

/** Acked ops whose event is now part of `confirmed` are done. */
function dropCovered(state: BoardState): BoardState {
  const seq = state.confirmed.seq;
  const pending = state.pending.filter((op) => !(op.acked && op.acked.seq <= seq));
  return pending.length === state.pending.length ? state : { ...state, pending };
}

// ---------------------------------------------------------------------------------------
// Building requests

/** The wire request for `op` on `board`: the frozen one if it was sent before. */
export function buildRequest(board: string, op: PendingOp): NoteOpRequest {
  if (op.request) return op.request;
  const { intent, opId, author, baseVersion } = op;
  switch (intent.kind) {
    case "create":
      return {
        type: "note_create",
        payload: {
          board,
          opId,
          noteId: intent.noteId,
          text: intent.text,
          color: intent.color,
          column: intent.column,
          order: intent.order,
          author,
        },
      };
    case "update":
      return {
        type: "note_update",
        payload: {
          board,
          opId,
          noteId: intent.noteId,
          baseVersion,
          ...(intent.text !== undefined ? { text: intent.text } : {}),
          ...(intent.color !== undefined ? { color: intent.color } : {}),
          author,
        },
      };
    case "move":
      return {
        type: "note_move",
        payload: { board, opId, noteId: intent.noteId, baseVersion, column: intent.column, order: intent.order, author },
      };
    case "delete":
      return { type: "note_delete", payload: { board, opId, noteId: intent.noteId, baseVersion, author } };
  }
}

/** The ops that may be sent now, in order: queued, not waiting for another op, not held back. */
export function sendableOps(state: BoardState, now: number): readonly PendingOp[] {
  return state.pending.filter((op) => op.status === "queued" && op.after === null && op.notBefore <= now);
}

/** The earliest time a held-back op (after `rate_limited`) may go, or `null`. */
export function nextRetryAt(state: BoardState): number | null {
  let next: number | null = null;
  for (const op of state.pending) {
    if (op.status === "queued" && op.after === null && op.notBefore > 0) {
      next = next === null ? op.notBefore : Math.min(next, op.notBefore);
    }
  }
  return next;
}

/**
 * Whether a `board_snapshot` should be requested (at time `now`; by default, at some
 * point): no base yet, or a hole in the events, and no request in flight or held back.
 */
export function snapshotWanted(state: BoardState, now = Number.POSITIVE_INFINITY): boolean {
  if (state.snapshotRequest !== null || state.snapshotNotBefore > now) return false;
  return !state.synced || state.buffered.length > 0;
}

// ---------------------------------------------------------------------------------------
// The view

/** A note as drawn: the confirmed note with our pending ops applied. */
export interface ViewNote extends Note {
  /** True while one of our ops on it waits for the server. */
  readonly pending: boolean;
}

export interface BoardView {
  /** By column, then `order`, then `id` (the server's order). */
  readonly notes: readonly ViewNote[];
  readonly byId: Readonly<Record<string, ViewNote>>;
}

/** Sorts notes the way the server does: column, then order, then id. */
export function compareNotes(a: Note, b: Note): number {
  if (a.column !== b.column) return a.column < b.column ? -1 : 1;
  if (a.order !== b.order) return a.order - b.order;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Applies one pending op to a map of notes (in place: the map is the view's own copy). */
function applyOp(notes: Record<string, Note>, op: PendingOp, board: string): boolean {
  // EXERCISE(ch4-optimistic-op): apply a pending op to the view (optimistic UI)
  const { intent } = op;
  const current = notes[intent.noteId];
  if (op.acked) {
    // The server's own note after this op: more exact than re-applying the intent
    // (normalised color, real timestamps), and never older than what we have.
    if (op.acked.note === null) delete notes[intent.noteId];
    else if (!current || current.version <= op.acked.note.version) notes[intent.noteId] = op.acked.note;
    return false;
  }
  switch (intent.kind) {
    case "create":
      if (current) return false; // already confirmed (e.g. a snapshot included it)
      notes[intent.noteId] = {
        id: intent.noteId,
        board,
        text: intent.text,
        color: intent.color,
        column: intent.column,
        order: intent.order,
        author: op.author,
        updatedBy: op.author,
        createdAtMs: op.createdAt,
        updatedAtMs: op.createdAt,
        version: 1,
      };
      return true;
    case "update":
      if (!current) return false;
      notes[intent.noteId] = {
        ...current,
        ...(intent.text !== undefined ? { text: intent.text } : {}),
        ...(intent.color !== undefined ? { color: intent.color } : {}),
        version: current.version + 1,
        updatedAtMs: op.createdAt,
      };
      return true;
    case "move":
      if (!current) return false;
      notes[intent.noteId] = {
        ...current,
        column: intent.column,
        order: intent.order,
        version: current.version + 1,
        updatedAtMs: op.createdAt,
      };
      return true;
    case "delete":
      delete notes[intent.noteId];
      return false;
  }
  // EXERCISE_END(ch4-optimistic-op)
}

// ANCHOR: board_view
/** The board as drawn: confirmed state, pending ops re-applied in order. */
export function boardView(state: BoardState): BoardView {
  const notes: Record<string, Note> = { ...state.confirmed.notes };
  const pendingIds = new Set<string>();
  for (const op of state.pending) {
    if (applyOp(notes, op, state.board)) pendingIds.add(op.intent.noteId);
  }
  const list = Object.values(notes)
    .sort(compareNotes)
    .map((note): ViewNote => ({ ...note, pending: pendingIds.has(note.id) }));
  const byId: Record<string, ViewNote> = {};
  for (const note of list) byId[note.id] = note;
  return { notes: list, byId };
}
// ANCHOR_END: board_view

// ---------------------------------------------------------------------------------------
// Words for people

/** A note named in a sentence: its first line, quoted and cut short (“Buy milk”). */
export function quoteNote(text: string | undefined): string {
  const line = (text ?? "").trim().split("\n")[0] ?? "";
  if (!line) return "a note";
  return `“${line.length > 40 ? `${line.slice(0, 39)}…` : line}”`;
}

/**
 * The server's message as people should read it: configuration names (`LIVEBOARD_…`) are
 * for operators, so they go to the details, never into the sentence.
 */
export function userMessage(message: string): string {
  return message.replace(/\s*\(?`?LIVEBOARD_[A-Z0-9_]+`?\)?/g, "").trim();
}

/** What to show under "details": the error's `detail`, or the raw message when it was cleaned. */
function detailOf(error: RequestError): string | undefined {
  if ("detail" in error && typeof error.detail === "string") return error.detail;
  return userMessage(error.message) === error.message ? undefined : error.message;
}

/** Who last changed a note, when the server says so (`Note.updatedBy`). */
export function changedBy(note: Note): string | null {
  const by = (note as Note & { readonly updatedBy?: unknown }).updatedBy;
  return typeof by === "string" && by ? by : null;
}

/** A toast for someone else's change, naming the note ("Bo moved “Buy milk” to Done"). */
export function describeEvent(event: NoteEvent, before: Note | undefined): string {
  const { author } = event.payload;
  switch (event.type) {
    case "note.created":
      return `${author} added ${quoteNote(event.payload.note.text)} to ${event.payload.note.column}`;
    case "note.updated":
      return event.payload.changed.includes("text")
        ? `${author} edited ${quoteNote(before?.text)}: now ${quoteNote(event.payload.note.text)}`
        : `${author} recolored ${quoteNote(event.payload.note.text)}`;
    case "note.moved":
      return `${author} moved ${quoteNote(event.payload.note.text)} to ${event.payload.note.column}`;
    case "note.deleted":
      return before ? `${author} deleted ${quoteNote(before.text)}` : event.payload.summary;
  }
}

// ---------------------------------------------------------------------------------------
// Drafts: an edit is based on the text it started from

function withDraft(state: BoardState, noteId: string, draft: Draft | null): BoardState {
  const drafts = { ...state.drafts };
  if (draft) drafts[noteId] = draft;
  else delete drafts[noteId];
  return { ...state, drafts };
}

function onDraftOpen(state: BoardState, noteId: string): BoardState {
  const existing = state.drafts[noteId];
  if (existing && existing.saving === null) return state;
  const note = boardView(state).byId[noteId];
  if (!note) return state;
  const acked = state.pending.filter((o) => o.intent.noteId === noteId && o.acked).map((o) => o.acked?.version ?? 0);
  const version = Math.max(state.confirmed.notes[noteId]?.version ?? 0, ...acked);
  return withDraft(state, noteId, { noteId, text: note.text, base: { version, text: note.text }, conflict: null, deleted: null, saving: null, error: null });
}

// ANCHOR: follow_note
/**
 * The confirmed note changed (`note`, changed by `by`): what it means for a draft of it.
 * Same text as the base: nothing to say (the base moves on). Another text, and the person
 * has not typed: the editor follows it. Another text under typed words: a conflict, and
 * the person chooses — never a silent overwrite in either direction.
 */
export function followNote(draft: Draft, note: Note, by: string): Draft {
  // EXERCISE(ch4-follow-note): compare a remote change with an open draft (no silent lost update)
  if (draft.deleted || draft.saving !== null || note.version <= draft.base.version) return draft;
  const base = { version: note.version, text: note.text };
  if (note.text === draft.base.text) return { ...draft, base };
  if (note.text === draft.text) return { ...draft, base, conflict: null };
  if (draft.text === draft.base.text && draft.conflict === null) return { ...draft, text: note.text, base };
  return { ...draft, conflict: { text: note.text, version: note.version, by } };
  // EXERCISE_END(ch4-follow-note)
}
// ANCHOR_END: follow_note

function followDrafts(state: BoardState, noteId: string, note: Note, by: string): BoardState {
  const draft = state.drafts[noteId];
  if (!draft) return state;
  const next = followNote(draft, note, by);
  return next === draft ? state : withDraft(state, noteId, next);
}

/** My save `opId` is confirmed: its draft is done. */
function draftSaved(state: BoardState, opId: string): BoardState {
  const draft = Object.values(state.drafts).find((d) => d.saving === opId);
  return draft ? withDraft(state, draft.noteId, null) : state;
}

// ANCHOR: draft_save
function onDraftSave(state: BoardState, action: ActionOrigin & { readonly noteId: string }): BoardState {
  const draft = state.drafts[action.noteId];
  if (!draft || draft.saving !== null || draft.conflict || draft.deleted) return state;
  const note = boardView(state).byId[action.noteId];
  if (!note) return state;
  if (draft.text === note.text) return withDraft(state, action.noteId, null);
  // Based on the version the draft started from: if someone changed the text since, the
  // server refuses (version_conflict) instead of letting this overwrite what nobody here saw.
  const next = onLocal(state, action, { kind: "update", noteId: action.noteId, text: draft.text }, { baseVersion: draft.base.version });
  return withDraft(next, action.noteId, { ...draft, saving: action.opId, error: null });
}
// ANCHOR_END: draft_save

/** Where a copy of `note` goes: right after it in its column. */
function orderAfter(state: BoardState, note: Note): number {
  const next = boardView(state)
    .notes.filter((n) => n.column === note.column && n.order > note.order)
    .reduce<number | null>((min, n) => (min === null || n.order < min ? n.order : min), null);
  return next === null ? note.order + 1 : (note.order + next) / 2;
}

// ANCHOR: draft_resolve
function onDraftResolve(state: BoardState, action: Extract<BoardAction, { type: "draft-resolve" }>): BoardState {
  const { noteId, choice, newNoteId } = action;
  const draft = state.drafts[noteId];
  if (!draft || (!draft.conflict && !draft.deleted)) return state;
  if (choice === "theirs") return withDraft(state, noteId, null);
  if (draft.deleted) {
    if (choice !== "both") return state;
    // Ids are never reused: the restored draft is a new note, where the old one was.
    const { note } = draft.deleted;
    const intent: NoteIntent = { kind: "create", noteId: newNoteId, text: draft.text, color: note.color, column: note.column, order: note.order };
    return withDraft(onLocal(state, action, intent), noteId, null);
  }
  const conflict = draft.conflict;
  if (!conflict) return state;
  if (choice === "mine") {
    // Keep mine, knowingly: now based on their version, so this save is an informed overwrite.
    const rebased: Draft = { ...draft, base: { version: conflict.version, text: conflict.text }, conflict: null };
    return onDraftSave(withDraft(state, noteId, rebased), action);
  }
  const theirs = boardView(state).byId[noteId];
  if (!theirs) return state;
  const intent: NoteIntent = { kind: "create", noteId: newNoteId, text: draft.text, color: theirs.color, column: theirs.column, order: orderAfter(state, theirs) };
  return withDraft(onLocal(state, action, intent), noteId, null);
}
// ANCHOR_END: draft_resolve

// ---------------------------------------------------------------------------------------
// Undo: new operations that reverse mine

function recordUndo(state: BoardState, op: PendingOp): BoardState {
  const { intent } = op;
  const note = boardView(state).byId[intent.noteId];
  let inverse: UndoEntry["inverse"];
  switch (intent.kind) {
    case "create":
      inverse = { kind: "delete" };
      break;
    case "update":
      if (!note) return state;
      inverse = {
        kind: "update",
        ...(intent.text !== undefined ? { text: note.text } : {}),
        ...(intent.color !== undefined ? { color: note.color } : {}),
      };
      break;
    case "move":
      if (!note) return state;
      inverse = { kind: "move", column: note.column, order: note.order };
      break;
    case "delete":
      if (!note) return state;
      inverse = { kind: "create", text: note.text, color: note.color, column: note.column, order: note.order };
      break;
  }
  const label = intent.kind === "create" ? intent.text : (note?.text ?? "");
  const entry: UndoEntry = { opId: op.opId, noteId: intent.noteId, label, inverse, version: null };
  let next: BoardState = { ...state, undo: [...state.undo, entry].slice(-MAX_UNDO) };
  if (intent.kind === "delete") {
    next = notify(next, { kind: "deleted", text: `Deleted ${quoteNote(label)}`, at: op.createdAt, noteId: intent.noteId, undoOpId: op.opId });
  }
  return next;
}

/**
 * My op `opId` on `noteId` produced `version`: an undo of it will be based on that. And an
 * earlier action of mine whose result was the version just before (nobody changed the note
 * in between, only I did) moves on with it: undoing my own later changes first must not
 * make the earlier undo conflict with me. A change by someone else in between stops that,
 * so undoing across it is refused by the server when it touches the same field.
 */
function settleUndo(state: BoardState, opId: string, noteId: string, version: number): BoardState {
  if (!state.undo.some((e) => e.noteId === noteId && (e.opId === opId ? e.version === null : e.version === version - 1))) return state;
  const undo = state.undo.map((e) => {
    if (e.opId === opId) return e.version === null ? { ...e, version } : e;
    return e.noteId === noteId && e.version === version - 1 ? { ...e, version } : e;
  });
  return { ...state, undo };
}

function forgetUndo(state: BoardState, opIds: readonly string[]): BoardState {
  const undo = state.undo.filter((e) => !opIds.includes(e.opId));
  return undo.length === state.undo.length ? state : { ...state, undo };
}

// ANCHOR: on_undo
function onUndo(state: BoardState, action: Extract<BoardAction, { type: "undo" }>): BoardState {
  const entry = action.entry === undefined ? state.undo.at(-1) : state.undo.find((e) => e.opId === action.entry);
  if (!entry) return state;
  const next: BoardState = { ...forgetUndo(state, [entry.opId]), notices: state.notices.filter((n) => n.undoOpId !== entry.opId) };
  const { inverse, noteId } = entry;
  if (inverse.kind === "create") {
    return onLocal(next, action, { ...inverse, noteId: action.newNoteId }, { isUndo: true });
  }
  if (!boardView(state).byId[noteId]) {
    return notify(next, { kind: "rejected", text: `Can't undo: ${quoteNote(entry.label)} was deleted.`, at: action.at, noteId, code: "not_found" });
  }
  const intent: NoteIntent = inverse.kind === "delete" ? { kind: "delete", noteId } : { ...inverse, noteId };
  // Based on the version MY action produced, not on the latest: if someone changed the
  // note since, the server refuses, and their change is not overwritten by an undo.
  return onLocal(next, action, intent, { isUndo: true, ...(entry.version !== null ? { baseVersion: entry.version } : {}) });
}
// ANCHOR_END: on_undo

// ---------------------------------------------------------------------------------------
// After a reload

function onRestore(state: BoardState, saved: RestoredBoard, at: number): BoardState {
  const known = new Set(state.pending.map((o) => o.opId));
  const ops = saved.pending.filter((o) => !known.has(o.opId));
  let next: BoardState = { ...state, pending: [...ops, ...state.pending], drafts: { ...saved.drafts, ...state.drafts } };
  if (!state.synced && state.confirmed.position === null) next = { ...next, confirmed: saved.confirmed, restored: true };
  return log(next, at, "local", `restored from the browser: ${ops.length} unsent op(s), ${Object.keys(saved.drafts).length} draft(s), ${Object.keys(saved.confirmed.notes).length} note(s) last known`);
}

// ---------------------------------------------------------------------------------------
// The reducer

// ANCHOR: on_local
interface OpOptions {
  readonly baseVersion?: number;
  readonly isUndo?: boolean;
}

function onLocal(state: BoardState, origin: ActionOrigin, intent: NoteIntent, options: OpOptions = {}): BoardState {
  const { opId, author, at } = origin;
  if (state.pending.some((op) => op.opId === opId)) return state;
  // The latest op of ours on this note decides what this one is based on.
  const earlier = [...state.pending].reverse().find((op) => op.intent.noteId === intent.noteId);
  let after: string | null = null;
  let baseVersion = 0;
  if (intent.kind !== "create") {
    if (earlier && !earlier.acked) after = earlier.opId;
    else baseVersion = options.baseVersion ?? Math.max(earlier?.acked?.version ?? 0, state.confirmed.notes[intent.noteId]?.version ?? 0);
  }
  const op: PendingOp = {
    opId,
    intent,
    author,
    createdAt: at,
    after,
    baseVersion,
    status: "queued",
    request: null,
    requestId: null,
    sends: 0,
    notBefore: 0,
    acked: null,
    ...(options.isUndo ? { isUndo: true } : {}),
  };
  const before = options.isUndo ? state : recordUndo(state, op);
  const waits = after ? `, waits for ${short(after)}` : intent.kind === "create" ? "" : `, base v${baseVersion}`;
  const what = options.isUndo ? `undo: ${INTENT_WORD[intent.kind]}` : INTENT_WORD[intent.kind];
  return log({ ...before, pending: [...before.pending, op] }, at, "local", `${what} ${short(opId)} on note ${short(intent.noteId)} shown at once${waits}`);
}
// ANCHOR_END: on_local

function onSent(state: BoardState, action: Extract<BoardAction, { type: "sent" }>): BoardState {
  const op = state.pending.find((o) => o.opId === action.opId);
  if (!op) return state;
  const retry = op.sends > 0 ? ` again (send #${op.sends + 1}, same opId)` : "";
  const next = replaceOp(state.pending, action.opId, (o) => ({
    ...o,
    status: o.status === "acked" ? "acked" : "sent",
    request: o.request ?? action.request,
    requestId: action.requestId,
    sends: o.sends + 1,
  }));
  return log({ ...state, pending: next }, action.at, "sent", `${action.request.type} ${short(action.opId)} sent as request ${action.requestId}${retry}`);
}

// ANCHOR: on_ack
function onAck(state: BoardState, action: Extract<BoardAction, { type: "ack" }>): BoardState {
  const { ack, at } = action;
  if (ack.board !== state.board) return state;
  const op = state.pending.find((o) => o.opId === ack.opId);
  if (!op) {
    return log(state, at, "ignored", `ack for ${short(ack.opId)} (seq ${ack.seq}): already confirmed by its event`);
  }
  let pending = release(state.pending, ack.opId, ack.version);
  const dup = ack.duplicate ? " (duplicate: applied once, this is the first answer again)" : "";
  // My action's version is known now (an undo builds on it), and a saved draft is done.
  let next = draftSaved(settleUndo(state, ack.opId, ack.noteId, ack.version), ack.opId);
  if (ack.note) next = followDrafts(next, ack.noteId, ack.note, changedBy(ack.note) ?? "Someone");
  if (ack.seq <= state.confirmed.seq) {
    pending = pending.filter((o) => o.opId !== ack.opId);
    return log({ ...next, pending }, at, "confirmed", `ack ${short(ack.opId)} seq ${ack.seq}${dup}: already in the confirmed state`);
  }
  pending = replaceOp(pending, ack.opId, (o) => ({
    ...o,
    status: "acked",
    acked: { seq: ack.seq, version: ack.version, note: ack.note },
  }));
  return log({ ...next, pending }, at, "ack", `ack ${short(ack.opId)} → seq ${ack.seq}, v${ack.version}${dup}; kept until event ${ack.seq} arrives`);
}
// ANCHOR_END: on_ack

function findAnswered(state: BoardState, requestId: string | undefined, opId: string | undefined): PendingOp | undefined {
  if (opId !== undefined) return state.pending.find((o) => o.opId === opId);
  if (requestId === undefined) return undefined;
  return state.pending.find((o) => o.requestId === requestId && o.status === "sent");
}

// ANCHOR: on_error
function onError(state: BoardState, action: Extract<BoardAction, { type: "error" }>): BoardState {
  const { error, requestId, at } = action;
  const opId = "opId" in error ? error.opId : undefined;
  if (requestId !== undefined && requestId === state.snapshotRequest) {
    const next = { ...state, snapshotRequest: null, snapshotNotBefore: at + SNAPSHOT_RETRY_MS };
    return log(next, at, "rejected", `snapshot request refused (${error.code}): ${error.message}; asking again in ${SNAPSHOT_RETRY_MS} ms`);
  }
  const op = findAnswered(state, requestId, opId);
  if (!op) return log(state, at, "ignored", `error ${error.code} for an op no longer pending: ${error.message}`);

  if (error.code === "rate_limited" || error.code === "unavailable") {
    const wait = ("retryAfterMs" in error ? error.retryAfterMs : undefined) ?? 1_000;
    const pending = replaceOp(state.pending, op.opId, (o) => ({ ...o, status: "queued", requestId: null, notBefore: at + wait }));
    return log({ ...state, pending }, at, "retry", `${error.code}: ${short(op.opId)} will be sent again in ${wait} ms, same opId`);
  }

  // A refusal: the op leaves, so the view falls back to the confirmed note (rollback).
  let next: BoardState = state;
  const current = "current" in error ? error.current : undefined;
  if (error.code === "version_conflict" && current) {
    const mine = next.confirmed.notes[current.id];
    if (!mine || mine.version <= current.version) {
      next = { ...next, confirmed: { ...next.confirmed, notes: { ...next.confirmed.notes, [current.id]: current } } };
    }
  }
  const lastKnown = boardView(state).byId[op.intent.noteId];
  let pending = next.pending.filter((o) => o.opId !== op.opId);
  let orphans: readonly PendingOp[] = [];
  if (op.intent.kind === "create") {
    // The note never existed: what was queued on top of it goes too.
    orphans = pending.filter((o) => o.intent.noteId === op.intent.noteId);
    pending = pending.filter((o) => o.intent.noteId !== op.intent.noteId);
  } else {
    // Made on top of the refused op: now based on what that op was based on.
    pending = pending.map((o) => (o.after === op.opId ? { ...o, after: op.after, baseVersion: op.baseVersion } : o));
  }
  next = forgetUndo({ ...next, pending }, [op.opId, ...orphans.map((o) => o.opId)]);
  const rolled = current ? `; confirmed note := current v${current.version}` : "";
  const more = orphans.length ? ` (and ${orphans.length} later change${orphans.length === 1 ? "" : "s"} to it)` : "";
  next = log(next, at, "rejected", `${error.code} for ${short(op.opId)}: rolled back${rolled}${more}`);
  const message = userMessage(error.message);
  const detail = detailOf(error);

  // A refused save: the text goes back into its editor, which says why.
  const draft = Object.values(next.drafts).find((d) => d.saving === op.opId);
  if (draft) {
    const reopened: Draft = { ...draft, saving: null };
    if (error.code === "version_conflict" && current) {
      return withDraft(next, draft.noteId, followNote(reopened, current, changedBy(current) ?? "Someone"));
    }
    if (error.code === "not_found" && lastKnown) {
      return withDraft(next, draft.noteId, { ...reopened, deleted: { by: "Someone", note: lastKnown } });
    }
    return withDraft(next, draft.noteId, { ...reopened, error: { message, ...(detail !== undefined ? { detail } : {}) } });
  }

  const common = { kind: "rejected" as const, at, opId: op.opId, code: error.code, noteId: op.intent.noteId, ...(detail !== undefined ? { detail } : {}) };
  if (op.isUndo) {
    const why =
      error.code === "version_conflict"
        ? `${(current && changedBy(current)) ?? "someone"} changed ${quoteNote(current?.text ?? lastKnown?.text)} since`
        : error.code === "not_found"
          ? `${quoteNote(lastKnown?.text)} was deleted`
          : message;
    return notify(next, { ...common, text: `Can't undo: ${why}.`.replace(/\.\.$/, ".") });
  }
  if (op.intent.kind === "create") {
    // Nothing typed is thrown away: the notice offers to put the text back in its column.
    const { column, text } = op.intent;
    return notify(next, { ...common, text: `Your new note was not added: ${message}`, restore: { column, text } });
  }
  // A conflict is worth saying in plain words; other refusals say what to change.
  const why = error.code === "version_conflict" ? "someone changed this note first, and it now shows their version" : message;
  return notify(next, { ...common, text: `Your ${INTENT_WORD[op.intent.kind]} was undone${more}: ${why}.`.replace(/\.\.$/, ".") });
}
// ANCHOR_END: on_error

// ANCHOR: apply_event
/** Applies one in-sequence event to `confirmed` and reconciles the pending ops with it. */
function applyEvent(state: BoardState, event: BoardEvent, at: number): BoardState {
  if (event.type === "message") {
    // A chat line: the board moves on by one seq, its notes stay as they are.
    const { seq, position } = event.payload;
    const next = { ...state, confirmed: { ...state.confirmed, seq, position } };
    return dropCovered(log(next, at, "event", `event ${seq} is a chat line: no note changes`));
  }
  const { payload } = event;
  const noteId = eventNoteId(event);
  const before = state.confirmed.notes[noteId];
  const notes: Record<string, Note> = { ...state.confirmed.notes };
  if (event.type === "note.deleted") {
    delete notes[noteId];
  } else {
    const mine = notes[noteId];
    // Never go back: a `version_conflict` may have shown us a newer note already.
    if (!mine || mine.version <= event.payload.note.version) notes[noteId] = event.payload.note;
  }
  let next: BoardState = {
    ...state,
    confirmed: { notes, seq: payload.seq, position: payload.position },
  };

  const ours = next.pending.find((o) => o.opId === payload.opId);
  if (ours) {
    const pending = release(next.pending, ours.opId, eventVersion(event)).filter((o) => o.opId !== ours.opId);
    next = draftSaved(settleUndo({ ...next, pending }, ours.opId, noteId, eventVersion(event)), ours.opId);
    next = log(next, at, "confirmed", `event ${payload.seq} ${event.type} carries our ${short(ours.opId)}: confirmed`);
  } else {
    next = notify(next, { kind: "remote", text: describeEvent(event, before), at, noteId });
    const touched = next.pending.filter((o) => o.intent.noteId === noteId && !o.acked);
    const draft = next.drafts[noteId];
    if (event.type !== "note.deleted") {
      next = followDrafts(next, noteId, event.payload.note, payload.author);
    } else if (draft && !draft.deleted) {
      // Deleted under an open editor: the draft stays, as a ghost that can become a new note.
      const last = boardView(state).byId[noteId] ?? before;
      if (last) next = withDraft(next, noteId, { ...draft, saving: null, conflict: null, deleted: { by: payload.author, note: last } });
    }
    if (event.type === "note.deleted" && touched.length > 0) {
      // Nothing to rebase on: the server will refuse these with not_found, so drop them now.
      next = forgetUndo({ ...next, pending: next.pending.filter((o) => !touched.includes(o)) }, touched.map((o) => o.opId));
      const what = touched.map((o) => INTENT_WORD[o.intent.kind]);
      if (!draft) next = notify(next, {
        kind: "dropped",
        text: `${payload.author} deleted a note you were changing: your ${[...new Set(what)].join(" and ")} ${touched.length === 1 ? "was" : "were"} dropped.`,
        at,
        noteId,
      });
      next = log(next, at, "dropped", `event ${payload.seq} deletes ${short(noteId)}: ${touched.length} pending op(s) on it dropped`);
    } else if (touched.length > 0) {
      next = log(next, at, "rebased", `event ${payload.seq} ${event.type} by ${payload.author}: ${touched.length} pending op(s) re-applied on top`);
    } else {
      next = log(next, at, "event", `event ${payload.seq} ${event.type} by ${payload.author}`);
    }
  }
  return dropCovered(next);
}
// ANCHOR_END: apply_event

/** Applies buffered events while the next one in sequence is there. */
function flush(state: BoardState, at: number): BoardState {
  let next = state;
  for (;;) {
    const [first, ...rest] = next.buffered;
    if (!first || first.payload.seq > next.confirmed.seq + 1) return next;
    next = { ...next, buffered: rest };
    if (first.payload.seq === next.confirmed.seq + 1) next = applyEvent(next, first, at);
  }
}

function insertSorted(buffered: readonly BoardEvent[], event: BoardEvent): readonly BoardEvent[] {
  if (buffered.some((e) => e.payload.seq === event.payload.seq)) return buffered;
  return [...buffered, event].sort((a, b) => a.payload.seq - b.payload.seq);
}

function onEvent(state: BoardState, action: Extract<BoardAction, { type: "event" }>): BoardState {
  const { event, at } = action;
  const { seq, position } = event.payload;
  if (event.payload.board !== state.board) return state;
  if (!state.synced) {
    // No base yet: keep it until the snapshot says which events it already includes.
    return log({ ...state, buffered: insertSorted(state.buffered, event) }, at, "buffered", `event ${seq} kept until the snapshot arrives`);
  }
  const ourEpoch = epochOf(state.confirmed.position);
  const theirEpoch = epochOf(position);
  if (ourEpoch !== null && theirEpoch !== null && ourEpoch !== theirEpoch) {
    // History was lost on the server: sequence numbers restarted, ours mean nothing now.
    return log(
      { ...state, synced: false, buffered: [event] },
      at,
      "resync",
      `event ${seq} is from a new epoch (${theirEpoch}): a snapshot is needed`,
    );
  }
  if (seq <= state.confirmed.seq) {
    return log(state, at, "duplicate", `event ${seq} ignored: already applied (last seq ${state.confirmed.seq})`);
  }
  if (seq > state.confirmed.seq + 1) {
    const missing = state.confirmed.seq + 1 === seq - 1 ? `${seq - 1}` : `${state.confirmed.seq + 1}–${seq - 1}`;
    return log({ ...state, buffered: insertSorted(state.buffered, event) }, at, "buffered", `event ${seq} early: waiting for ${missing}`);
  }
  return flush(applyEvent(state, event, at), at);
}

function onSnapshot(state: BoardState, action: Extract<BoardAction, { type: "snapshot" }>): BoardState {
  const { snapshot, at } = action;
  if (snapshot.board !== state.board) return state;
  const sameEpoch = epochOf(snapshot.position) === epochOf(state.confirmed.position);
  if (state.synced && sameEpoch && snapshot.seq < state.confirmed.seq) {
    // An old answer (say, to a request made before some events arrived): taking it would
    // move the board back in time, and the events after it are already applied and gone.
    const snapshotRequest = action.requestId !== undefined && action.requestId === state.snapshotRequest ? null : state.snapshotRequest;
    return log({ ...state, snapshotRequest }, at, "ignored", `snapshot at seq ${snapshot.seq} is older than the board (seq ${state.confirmed.seq}): ignored`);
  }
  const notes: Record<string, Note> = {};
  for (const note of snapshot.notes) notes[note.id] = note;
  const snapshotRequest = action.requestId !== undefined && action.requestId !== state.snapshotRequest ? state.snapshotRequest : null;
  let next: BoardState = {
    ...state,
    synced: true,
    snapshotRequest,
    confirmed: { notes, seq: snapshot.seq, position: snapshot.position },
    buffered: state.buffered.filter((e) => e.payload.seq > snapshot.seq && epochOf(e.payload.position) === epochOf(snapshot.position)),
  };
  next = { ...dropCovered(next), restored: false };
  for (const draft of Object.values(next.drafts)) {
    const note = notes[draft.noteId];
    const created = next.pending.some((o) => o.intent.kind === "create" && o.intent.noteId === draft.noteId);
    if (note) next = followDrafts(next, draft.noteId, note, changedBy(note) ?? "Someone");
    else if (!created && !draft.deleted) {
      const last = state.confirmed.notes[draft.noteId];
      if (last) next = withDraft(next, draft.noteId, { ...draft, saving: null, conflict: null, deleted: { by: "Someone", note: last } });
    }
  }
  const kept = next.pending.length;
  next = log(next, at, "snapshot", `snapshot at seq ${snapshot.seq}: ${snapshot.notes.length} note(s); ${kept} pending op(s) re-applied on it`);
  return flush(next, at);
}

/** The next state. */
export function boardReducer(state: BoardState, action: BoardAction): BoardState {
  switch (action.type) {
    case "local":
      return onLocal(state, action, action.intent, action);
    case "draft-open":
      return onDraftOpen(state, action.noteId);
    case "draft-change": {
      const draft = state.drafts[action.noteId];
      return draft ? withDraft(state, action.noteId, { ...draft, text: action.text, error: null }) : state;
    }
    case "draft-save":
      return onDraftSave(state, action);
    case "draft-resolve":
      return onDraftResolve(state, action);
    case "draft-close":
      return withDraft(state, action.noteId, null);
    case "undo":
      return onUndo(state, action);
    case "restore":
      return onRestore(state, action.saved, action.at);
    case "sent":
      return onSent(state, action);
    case "snapshot-requested":
      return log({ ...state, snapshotRequest: action.requestId }, action.at, "resync", `board_snapshot requested (request ${action.requestId})`);
    case "ack":
      return onAck(state, action);
    case "error":
      return onError(state, action);
    case "event":
      return onEvent(state, action);
    case "snapshot":
      return onSnapshot(state, action);
    case "resumed":
      if (action.recovered || !state.synced) return state;
      return log({ ...state, synced: false }, action.at, "resync", "resume incomplete: a snapshot is needed");
    case "reset":
      return log({ ...state, synced: false }, action.at, "resync", `reset (${action.reason}): a snapshot is needed`);
    // ANCHOR: connection_lost
    case "connection-lost": {
      const inFlight = state.pending.filter((o) => o.status === "sent").length;
      const pending = state.pending.map((o) => (o.status === "sent" ? { ...o, status: "queued" as const, requestId: null } : o));
      const again = inFlight ? `: ${inFlight} op(s) in flight will be sent again with the same opId` : "";
      return log({ ...state, pending, snapshotRequest: null }, action.at, "retry", `connection lost${again}`);
    }
    // ANCHOR_END: connection_lost
    case "dismiss":
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
  }
}
