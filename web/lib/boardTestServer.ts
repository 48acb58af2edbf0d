/**
 * A model of the phase-4 server's board rules, in memory, for the reducer's tests: the
 * same answers the Rust store gives (phases/4-board/src/rules.rs and store.rs), without a
 * socket. Per-board sequence numbers, one answer per `opId` (a retry gets the first `ack`
 * again with `duplicate: true`), the per-field conflict rule against `baseVersion`,
 * tombstones so a deleted id is never reused, a text length limit.
 *
 * Test support only: nothing in the app imports it.
 */

import type { BoardEvent, ChatLineEvent, NoteOpRequest, NoteEvent } from "./boardState";
import type { BoardSnapshot, Note, NoteAck, NoteError } from "./generated/board";

interface StoredNote {
  note: Note;
  textVersion: number;
  colorVersion: number;
  placeVersion: number;
  deleted: boolean;
}

/** The server's answer to one request, and the event it broadcast (if it changed anything). */
export interface ModelOutcome {
  readonly answer: { readonly type: "ack"; readonly payload: NoteAck } | { readonly type: "error"; readonly payload: NoteError };
  readonly event: NoteEvent | null;
}

export class ModelServer {
  readonly board: string;
  readonly epoch: string;
  readonly maxTextChars: number;
  seq = 0;
  readonly #notes = new Map<string, StoredNote>();
  readonly #ops = new Map<string, { fingerprint: string; ack: NoteAck }>();
  readonly #log: BoardEvent[] = [];
  #clock = 1_000;

  constructor(board = "demo", { epoch = "e1", maxTextChars = 2000 }: { epoch?: string; maxTextChars?: number } = {}) {
    this.board = board;
    this.epoch = epoch;
    this.maxTextChars = maxTextChars;
  }

  /** Live notes, sorted by id. */
  notes(): Note[] {
    return [...this.#notes.values()]
      .filter((n) => !n.deleted)
      .map((n) => n.note)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The live note `id`, if any. */
  note(id: string): Note | undefined {
    const stored = this.#notes.get(id);
    return stored && !stored.deleted ? stored.note : undefined;
  }

  snapshot(): BoardSnapshot {
    return { board: this.board, position: `${this.epoch}-${this.seq}`, seq: this.seq, notes: this.notes() };
  }

  /** Every event after `seq`, in order (a resume's replay). */
  eventsAfter(seq: number): BoardEvent[] {
    return this.#log.filter((e) => e.payload.seq > seq);
  }

  /** Someone posts a chat line: the board's log numbers it between the note events. */
  chat(): ChatLineEvent {
    this.seq += 1;
    const event: ChatLineEvent = { type: "message", payload: { board: this.board, position: `${this.epoch}-${this.seq}`, seq: this.seq } };
    this.#log.push(event);
    return event;
  }

  handle(request: NoteOpRequest): ModelOutcome {
    this.#clock += 1;
    const { payload } = request;
    const fingerprint = JSON.stringify(request);
    const seen = this.#ops.get(payload.opId);
    if (seen) {
      if (seen.fingerprint !== fingerprint) return this.#reject("validation", `opId ${payload.opId} was already used for a different request`, payload.opId);
      return { answer: { type: "ack", payload: { ...seen.ack, duplicate: true } }, event: null };
    }
    const stored = this.#notes.get(payload.noteId);
    const position = () => `${this.epoch}-${this.seq + 1}`;

    if (request.type === "note_create") {
      const c = request.payload;
      if ([...c.text].length > this.maxTextChars) return this.#reject("validation", "text too long", c.opId);
      if (stored) return this.#reject("validation", `note id ${c.noteId} is already used`, c.opId);
      const note: Note = {
        id: c.noteId,
        board: this.board,
        text: c.text,
        color: c.color.toLowerCase(),
        column: c.column,
        order: c.order,
        author: c.author,
        updatedBy: c.author,
        createdAtMs: this.#clock,
        updatedAtMs: this.#clock,
        version: 1,
      };
      this.#notes.set(note.id, { note, textVersion: 1, colorVersion: 1, placeVersion: 1, deleted: false });
      const event: NoteEvent = {
        type: "note.created",
        payload: { board: this.board, position: position(), seq: this.seq + 1, opId: c.opId, author: c.author, summary: `${c.author} added a note to ${c.column}`, note },
      };
      return this.#commit(request, event, note, note.version);
    }

    if (!stored || stored.deleted) return this.#reject("not_found", `there is no note ${payload.noteId}`, payload.opId);
    const base = request.payload.baseVersion;
    const version = stored.note.version;
    if (base > version) return this.#reject("validation", `baseVersion ${base} is newer than ${version}`, payload.opId);
    const touched: number[] =
      request.type === "note_update"
        ? [
            ...(request.payload.text !== undefined ? [stored.textVersion] : []),
            ...(request.payload.color !== undefined ? [stored.colorVersion] : []),
          ]
        : request.type === "note_move"
          ? [stored.placeVersion]
          : [version];
    if (touched.some((v) => v > base)) {
      return {
        answer: { type: "error", payload: { code: "version_conflict", message: "changed meanwhile", opId: payload.opId, current: stored.note } },
        event: null,
      };
    }
    const v = version + 1;
    const seq = this.seq + 1;
    const common = { board: this.board, position: position(), seq, opId: payload.opId, author: payload.author };
    switch (request.type) {
      case "note_update": {
        const u = request.payload;
        if (u.text === undefined && u.color === undefined) return this.#reject("validation", "nothing to change", u.opId);
        if (u.text !== undefined && [...u.text].length > this.maxTextChars) return this.#reject("validation", "text too long", u.opId);
        const note: Note = {
          ...stored.note,
          ...(u.text !== undefined ? { text: u.text } : {}),
          ...(u.color !== undefined ? { color: u.color.toLowerCase() } : {}),
          version: v,
          updatedAtMs: this.#clock,
          updatedBy: u.author,
        };
        this.#notes.set(note.id, {
          ...stored,
          note,
          textVersion: u.text !== undefined ? v : stored.textVersion,
          colorVersion: u.color !== undefined ? v : stored.colorVersion,
        });
        const changed = [...(u.text !== undefined ? (["text"] as const) : []), ...(u.color !== undefined ? (["color"] as const) : [])];
        return this.#commit(request, { type: "note.updated", payload: { ...common, summary: `${u.author} edited a note in ${note.column}`, changed, note } }, note, v);
      }
      case "note_move": {
        const m = request.payload;
        const note: Note = { ...stored.note, column: m.column, order: m.order, version: v, updatedAtMs: this.#clock, updatedBy: m.author };
        this.#notes.set(note.id, { ...stored, note, placeVersion: v });
        return this.#commit(
          request,
          { type: "note.moved", payload: { ...common, summary: `${m.author} moved a note to ${m.column}`, fromColumn: stored.note.column, note } },
          note,
          v,
        );
      }
      case "note_delete": {
        const d = request.payload;
        this.#notes.set(d.noteId, { ...stored, deleted: true });
        return this.#commit(
          request,
          { type: "note.deleted", payload: { ...common, summary: `${d.author} deleted a note from ${stored.note.column}`, noteId: d.noteId, version } },
          null,
          version,
        );
      }
    }
  }

  #commit(request: NoteOpRequest, event: NoteEvent, note: Note | null, version: number): ModelOutcome {
    this.seq = event.payload.seq;
    this.#log.push(event);
    const ack: NoteAck = {
      request: request.type,
      board: this.board,
      position: event.payload.position,
      seq: event.payload.seq,
      opId: request.payload.opId,
      noteId: request.payload.noteId,
      version,
      note,
      duplicate: false,
    };
    this.#ops.set(request.payload.opId, { fingerprint: JSON.stringify(request), ack });
    return { answer: { type: "ack", payload: ack }, event };
  }

  #reject(code: NoteError["code"], message: string, opId: string): ModelOutcome {
    return { answer: { type: "error", payload: { code, message, opId } }, event: null };
  }
}
