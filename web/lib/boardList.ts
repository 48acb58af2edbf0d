/**
 * `GET /boards`: the boards with at least one change, for the board picker.
 *
 * The server answers in pages, most recently changed first: `{ boards, next }`, where
 * `next` is the cursor of the following page (`?after=`), `null` on the last one. The
 * picker loads {@link BOARD_PICKER_PAGE} boards at a time ("Load more" asks for the next
 * page) and filters what it has loaded as the person types: hundreds of boards stay one
 * short, scrollable list. A board not loaded yet is still opened by typing its name.
 *
 * Pure apart from `fetch` (boardList.test.ts).
 */

import { toNote } from "./boardMessages";
import type { BoardList, BoardSummary, Note } from "./generated/board";

/** How many boards the picker asks for (the server allows 1–500, default 100). */
export const BOARD_PICKER_PAGE = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A page of a `GET /boards` body, or `null` when it is not one. Malformed rows are skipped. */
export function parseBoardList(json: unknown): BoardList | null {
  if (!isRecord(json) || !Array.isArray(json.boards)) return null;
  const next = typeof json.next === "string" ? json.next : null;
  const boards = json.boards.flatMap((row: unknown): BoardSummary[] => {
    if (!isRecord(row)) return [];
    const { board, notes, seq, position, updatedAtMs } = row;
    if (typeof board !== "string" || typeof notes !== "number" || typeof seq !== "number") return [];
    if (typeof position !== "string" || typeof updatedAtMs !== "number") return [];
    return [{ board, notes, seq, position, updatedAtMs }];
  });
  return { boards, next };
}

/** The `GET /boards` URL of the page of `limit` boards after the cursor `after` (first page: none). */
export function boardListUrl(backendUrl: string, after: string | null = null, limit = BOARD_PICKER_PAGE): string {
  const query = new URLSearchParams({ limit: String(limit) });
  if (after !== null) query.set("after", after);
  return `${backendUrl}/boards?${query}`;
}

/**
 * Fetches one page (the first: the most recently changed boards); rejects with a sentence
 * when the backend cannot be reached or answers oddly.
 */
export async function fetchBoardPage(backendUrl: string, after: string | null, signal?: AbortSignal): Promise<BoardList> {
  const response = await fetch(boardListUrl(backendUrl, after), { signal, cache: "no-store", credentials: "include" });
  if (!response.ok) throw new Error(`GET /boards answered ${response.status}`);
  const page = parseBoardList(await response.json());
  if (!page) throw new Error("GET /boards did not answer a board list");
  return page;
}

/**
 * `loaded` followed by `page`'s boards, each board once: a board changed while the person
 * was paging moves to the front of the server's order and may come again on a later page.
 */
export function appendPage(loaded: readonly BoardSummary[], page: readonly BoardSummary[]): readonly BoardSummary[] {
  const seen = new Set(loaded.map((b) => b.board));
  return [...loaded, ...page.filter((b) => !seen.has(b.board))];
}

/** The boards whose name contains `filter` (ignoring case and surrounding spaces), in order. */
export function filterBoards(boards: readonly BoardSummary[], filter: string): readonly BoardSummary[] {
  const needle = filter.trim().toLowerCase();
  return needle === "" ? boards : boards.filter((b) => b.board.toLowerCase().includes(needle));
}

/** The notes of a `GET /boards/:board` body (a board snapshot), or `null` when it is not one. */
export function parseSnapshotNotes(json: unknown): readonly Note[] | null {
  if (!isRecord(json) || !Array.isArray(json.notes)) return null;
  return json.notes.flatMap((n: unknown) => {
    const note = toNote(n);
    return note ? [note] : [];
  });
}

/**
 * `GET /boards/:board`: the board's notes as they are now, read over plain HTTP (what a
 * visitor who has not joined sees); rejects with a sentence when that fails.
 */
export async function fetchBoardNotes(backendUrl: string, board: string, signal?: AbortSignal): Promise<readonly Note[]> {
  const response = await fetch(`${backendUrl}/boards/${encodeURIComponent(board)}`, { signal, cache: "no-store", credentials: "include" });
  if (!response.ok) throw new Error(`GET /boards/${board} answered ${response.status}`);
  const notes = parseSnapshotNotes(await response.json());
  if (!notes) throw new Error(`GET /boards/${board} did not answer a board`);
  return notes;
}
