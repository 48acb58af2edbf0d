/**
 * `GET /boards`: the boards with at least one change, for the board picker.
 *
 * The server answers in pages, most recently changed first: `{ boards, next }`, where
 * `next` is the cursor of the following page (`?after=`), `null` on the last one. The
 * picker shows the first page only ({@link BOARD_PICKER_PAGE} boards): the ones people
 * are working on. A board further down is still opened by typing its name.
 *
 * Pure apart from `fetch` (boardList.test.ts).
 */

import type { BoardList, BoardSummary } from "./generated/board";

/** How many boards the picker asks for (the server allows 1–500, default 100). */
export const BOARD_PICKER_PAGE = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `name` is a board name the server accepts: 1–64 of `A-Z a-z 0-9 _ -`. */
export function isBoardName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
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

/** The `GET /boards` URL of the first page of `limit` boards. */
export function boardListUrl(backendUrl: string, limit = BOARD_PICKER_PAGE): string {
  return `${backendUrl}/boards?limit=${limit}`;
}

/**
 * Fetches the first page (the most recently changed boards); rejects with a sentence when
 * the backend cannot be reached or answers oddly.
 */
export async function fetchBoardList(backendUrl: string, signal?: AbortSignal): Promise<readonly BoardSummary[]> {
  const response = await fetch(boardListUrl(backendUrl), { signal, cache: "no-store" });
  if (!response.ok) throw new Error(`GET /boards answered ${response.status}`);
  const page = parseBoardList(await response.json());
  if (!page) throw new Error("GET /boards did not answer a board list");
  return page.boards;
}

/** The board named in a URL's `?board=`, or the default when absent or invalid. */
export function boardFromQuery(value: string | string[] | undefined, fallback = "demo"): string {
  const name = Array.isArray(value) ? value[0] : value;
  return name !== undefined && isBoardName(name) ? name : fallback;
}
