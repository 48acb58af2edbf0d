/**
 * "Bo is editing": who has which note's editor open, right now.
 *
 * It is *ephemeral*: never stored, never in the board's event log, never replayed. While
 * my editor is open the page says so (`note_editing`, `editing: true`) when it opens and
 * every {@link EDITING_REFRESH_MS}, and `editing: false` when it closes. The server passes it
 * on to the board's other subscribers as `note.editing`. A browser that vanishes without
 * saying `false` (a closed laptop) must not leave "Bo is editing" forever: an entry not
 * refreshed for {@link EDITING_TTL_MS} is dropped, and so is everything of a person who
 * leaves the board (`presence.leave`).
 *
 * ```text
 *   → {"type":"note_editing","payload":{"board","noteId","editing":true}}
 *   ← {"type":"note.editing","payload":{"board","noteId","clientId","name","color","editing"}}
 * ```
 */

import type { NoteEditing } from "./generated/board";

/** How often an open editor says so again. */
export const EDITING_REFRESH_MS = 15_000;
/** How long an editing mark lives without a refresh (three refreshes missed). */
export const EDITING_TTL_MS = 45_000;

/** `note.editing`'s payload: someone opened (or closed) a note's editor (generated from the Rust type). */
export type { NoteEditing };

/** The request announcing my editor. */
export interface NoteEditingRequest {
  readonly type: "note_editing";
  readonly payload: { readonly board: string; readonly noteId: string; readonly editing: boolean };
}

export function noteEditingRequest(board: string, noteId: string, editing: boolean): NoteEditingRequest {
  return { type: "note_editing", payload: { board, noteId, editing } };
}

/** A `note.editing` message, checked, or `null` for anything else. */
export function parseNoteEditing(json: unknown): NoteEditing | null {
  if (typeof json !== "object" || json === null) return null;
  const { type, payload } = json as { type?: unknown; payload?: unknown };
  if (type !== "note.editing" || typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const strings = ["board", "noteId", "clientId", "name", "color"] as const;
  if (!strings.every((k) => typeof p[k] === "string") || typeof p.editing !== "boolean") return null;
  return p as unknown as NoteEditing;
}

/** Someone's open editor, and when we last heard of it. */
export interface Editor {
  readonly noteId: string;
  readonly clientId: string;
  readonly name: string;
  readonly color: string;
  readonly at: number;
}

export type EditorsAction =
  | { readonly type: "event"; readonly event: NoteEditing; readonly at: number }
  /** The person left the board (presence): their editors close. */
  | { readonly type: "leave"; readonly clientId: string }
  /** Drop the marks not refreshed for {@link EDITING_TTL_MS}. */
  | { readonly type: "expire"; readonly now: number }
  /** The connection is gone: we know nothing any more. */
  | { readonly type: "clear" };

// ANCHOR: editors_reducer
export function editorsReducer(editors: readonly Editor[], action: EditorsAction): readonly Editor[] {
  switch (action.type) {
    case "event": {
      const { noteId, clientId, name, color, editing } = action.event;
      const others = editors.filter((e) => !(e.noteId === noteId && e.clientId === clientId));
      return editing ? [...others, { noteId, clientId, name, color, at: action.at }] : others;
    }
    case "leave": {
      const kept = editors.filter((e) => e.clientId !== action.clientId);
      return kept.length === editors.length ? editors : kept;
    }
    case "expire": {
      const kept = editors.filter((e) => action.now - e.at < EDITING_TTL_MS);
      return kept.length === editors.length ? editors : kept;
    }
    case "clear":
      return editors.length === 0 ? editors : [];
  }
}
// ANCHOR_END: editors_reducer

/** Who else is editing `noteId` (never me: my other tabs share my clientId, and I know). */
export function editorsOf(editors: readonly Editor[], noteId: string, me: string | null): readonly Editor[] {
  return editors.filter((e) => e.noteId === noteId && e.clientId !== me);
}
