/**
 * Columns and positions on the board.
 *
 * A note's place is a `column` name and an `order` number; inside a column notes sort by
 * `order`, then `id` (the server's order). Moving a note *between* two others gives it the
 * midpoint of their orders, so no other note has to move: one op, one event. (Fifty
 * halvings in one spot exhaust a float's precision; production boards use fractional-index
 * strings. See phases/4-board/src/note.rs.)
 *
 * Pure (boardLayout.test.ts).
 */

import type { Note } from "./generated/board";

/** The columns every board shows, in order, even when empty. */
export const DEFAULT_COLUMNS = ["To do", "Doing", "Done"] as const;

/** Colors offered for notes (`#rrggbb`, lower case as the server stores them). */
export const NOTE_COLORS = ["#fde68a", "#bbf7d0", "#bfdbfe", "#fbcfe8", "#e9d5ff", "#fed7aa"] as const;

/** The server's limit on a note's text (`LIVEBOARD_BOARD_MAX_TEXT_CHARS`, default 2000). */
export const MAX_TEXT_CHARS = 2000;

/** The board's columns: the default ones, then any other column a note is in (by name). */
export function columnsOf(notes: readonly Note[]): readonly string[] {
  const extra = new Set<string>();
  for (const note of notes) {
    if (!(DEFAULT_COLUMNS as readonly string[]).includes(note.column)) extra.add(note.column);
  }
  return [...DEFAULT_COLUMNS, ...[...extra].sort()];
}

/** Sorts by order, then id. */
export function byOrder(a: Note, b: Note): number {
  if (a.order !== b.order) return a.order - b.order;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The notes of each column, sorted. */
export function groupByColumn<N extends Note>(notes: readonly N[], columns: readonly string[]): ReadonlyMap<string, readonly N[]> {
  const groups = new Map<string, N[]>(columns.map((c) => [c, []]));
  for (const note of notes) {
    const group = groups.get(note.column);
    if (group) group.push(note);
    else groups.set(note.column, [note]);
  }
  for (const group of groups.values()) group.sort(byOrder);
  return groups;
}

/** The order for a note placed at `index` among `others` (sorted, without the note itself). */
export function orderAt(others: readonly Note[], index: number): number {
  const i = Math.max(0, Math.min(index, others.length));
  const before = others[i - 1];
  const after = others[i];
  if (!before && !after) return 1;
  if (!before) return after!.order - 1;
  if (!after) return before.order + 1;
  return (before.order + after.order) / 2;
}

/** The order for a new note at the end of a column. */
export function orderAtEnd(column: readonly Note[]): number {
  return orderAt(column, column.length);
}

/**
 * Where `noteId` goes when dropped at `index` of `column` (`index` counts the column's notes
 * as drawn, the moving note included if it is there), or `null` when that is where it is.
 */
export function placeFor(
  notes: readonly Note[],
  noteId: string,
  column: string,
  index: number,
): { readonly column: string; readonly order: number } | null {
  const note = notes.find((n) => n.id === noteId);
  if (!note) return null;
  const inColumn = notes.filter((n) => n.column === column).sort(byOrder);
  const current = inColumn.findIndex((n) => n.id === noteId);
  // Dropping a note just below itself in its own column means "one slot down" in the list without it.
  const target = current !== -1 && index > current ? index - 1 : index;
  const others = inColumn.filter((n) => n.id !== noteId);
  if (current !== -1 && target === current) return null;
  return { column, order: orderAt(others, target) };
}

/** One step for the keyboard and menu: up/down in the column, or to the neighbouring column's end. */
export type Step = "up" | "down" | "left" | "right";

/** Where a step takes a note, or `null` when it cannot go that way. */
export function stepPlace(
  notes: readonly Note[],
  columns: readonly string[],
  noteId: string,
  step: Step,
): { readonly column: string; readonly order: number } | null {
  const note = notes.find((n) => n.id === noteId);
  if (!note) return null;
  const inColumn = notes.filter((n) => n.column === note.column).sort(byOrder);
  const i = inColumn.findIndex((n) => n.id === noteId);
  switch (step) {
    case "up":
      return i > 0 ? placeFor(notes, noteId, note.column, i - 1) : null;
    case "down":
      // Below the next note: index i + 2 in the list that still contains the note.
      return i < inColumn.length - 1 ? placeFor(notes, noteId, note.column, i + 2) : null;
    case "left":
    case "right": {
      const c = columns.indexOf(note.column) + (step === "left" ? -1 : 1);
      const column = columns[c];
      if (c < 0 || column === undefined) return null;
      return { column, order: orderAtEnd(notes.filter((n) => n.column === column).sort(byOrder)) };
    }
  }
}
