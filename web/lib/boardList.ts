/**
 * `GET /boards`: every board with at least one change, for the board picker.
 *
 * Pure apart from `fetch` (boardList.test.ts).
 */

import type { BoardSummary } from "./generated/board";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `name` is a board name the server accepts: 1–64 of `A-Z a-z 0-9 _ -`. */
export function isBoardName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}

/** The boards of a `GET /boards` body, or `null` when it is not one. Malformed rows are skipped. */
export function parseBoardList(json: unknown): readonly BoardSummary[] | null {
  if (!isRecord(json) || !Array.isArray(json.boards)) return null;
  return json.boards.flatMap((row: unknown): BoardSummary[] => {
    if (!isRecord(row)) return [];
    const { board, notes, seq, position, updatedAtMs } = row;
    if (typeof board !== "string" || typeof notes !== "number" || typeof seq !== "number") return [];
    if (typeof position !== "string" || typeof updatedAtMs !== "number") return [];
    return [{ board, notes, seq, position, updatedAtMs }];
  });
}

/** Fetches the list; rejects with a sentence when the backend cannot be reached or answers oddly. */
export async function fetchBoardList(backendUrl: string, signal?: AbortSignal): Promise<readonly BoardSummary[]> {
  const response = await fetch(`${backendUrl}/boards`, { signal, cache: "no-store" });
  if (!response.ok) throw new Error(`GET /boards answered ${response.status}`);
  const boards = parseBoardList(await response.json());
  if (!boards) throw new Error("GET /boards did not answer a board list");
  return boards;
}

/** The board named in a URL's `?board=`, or the default when absent or invalid. */
export function boardFromQuery(value: string | string[] | undefined, fallback = "demo"): string {
  const name = Array.isArray(value) ? value[0] : value;
  return name !== undefined && isBoardName(name) ? name : fallback;
}
