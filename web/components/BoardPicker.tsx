"use client";

import { useCallback, useEffect, useState, type FormEvent } from "react";

import { useBackendUrl } from "@/lib/useRuntimeConfig";
import { appendPage, fetchBoardPage, filterBoards } from "@/lib/boardList";
import { BOARD_NAME_RULE, isBoardName } from "@/lib/boardName";
import type { BoardSummary } from "@/lib/generated/board";

export interface BoardPickerProps {
  readonly board: string;
  readonly onPick: (board: string) => void;
}

interface Loaded {
  readonly boards: readonly BoardSummary[];
  /** The cursor of the next page, `null` once the last page is loaded. */
  readonly next: string | null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Choose a board: the ones the server has (`GET /boards`, most recently changed first, a
 * page at a time), filtered by what is typed, or any new name. The list is one scroll
 * region of its own however many boards there are.
 */
export function BoardPicker({ board, onPick }: BoardPickerProps) {
  const backendUrl = useBackendUrl();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [refreshes, setRefreshes] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    if (backendUrl === null) return;
    const abort = new AbortController();
    fetchBoardPage(backendUrl, null, abort.signal).then(
      (page) => {
        setLoaded({ boards: page.boards, next: page.next });
        setProblem(null);
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setProblem(message(error));
      },
    );
    return () => abort.abort();
  }, [backendUrl, board, refreshes]);

  const refresh = useCallback(() => setRefreshes((n) => n + 1), []);

  async function loadMore() {
    if (backendUrl === null || loaded === null || loaded.next === null) return;
    setLoadingMore(true);
    try {
      const page = await fetchBoardPage(backendUrl, loaded.next);
      setLoaded((l) => ({ boards: appendPage(l?.boards ?? [], page.boards), next: page.next }));
      setProblem(null);
    } catch (error) {
      setProblem(message(error));
    } finally {
      setLoadingMore(false);
    }
  }

  function open(e: FormEvent) {
    e.preventDefault();
    if (!isBoardName(name)) return;
    onPick(name);
    setName("");
  }

  const others = filterBoards(
    (loaded?.boards ?? []).filter((b) => b.board !== board),
    name,
  );

  return (
    <div className="flex min-w-0 flex-1 flex-col gap-2 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-slate-600">Board</span>
        <span data-testid="board-name" className="rounded-md bg-slate-900 px-2 py-0.5 font-mono text-white">
          {board}
        </span>
        <form onSubmit={open} className="flex items-center gap-1" aria-label="Open a board">
          <input
            data-testid="board-picker-input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-label="Find or open a board"
            placeholder="find or open a board"
            className="min-h-11 w-52 rounded-md border border-slate-300 px-2 py-0.5 font-mono sm:min-h-0"
          />
          <button
            type="submit"
            data-testid="board-picker-open"
            disabled={!isBoardName(name)}
            className="min-h-11 rounded-md border border-slate-300 px-2 py-0.5 hover:bg-white disabled:opacity-40 sm:min-h-0"
          >
            Open
          </button>
        </form>
        <button
          type="button"
          onClick={refresh}
          className="min-h-11 min-w-11 text-slate-600 hover:text-slate-900 sm:min-h-0 sm:min-w-0"
          aria-label="Refresh the board list"
          title="Refresh the list"
        >
          ↻
        </button>
      </div>
      {name !== "" && !isBoardName(name) && <span className="text-rose-700">Board names: {BOARD_NAME_RULE}.</span>}
      {problem && <span className="text-rose-700">Board list unavailable: {problem}</span>}
      {/* The list's row is there before the list arrives, so that nothing below it (the
          name form, the board) moves under a pointer about to click when it does. */}
      {!loaded && !problem && (
        <div className="flex flex-wrap items-center gap-2">
          <p role="status" data-testid="board-list-loading" className="text-slate-600">
            Loading the list of boards…
          </p>
        </div>
      )}
      {loaded && (
        <div className="flex flex-wrap items-center gap-2">
          <ul
            data-testid="board-list"
            aria-label="Other boards, most recently changed first"
            className="flex max-h-24 min-w-0 flex-1 flex-wrap gap-1 overflow-y-auto"
            tabIndex={others.length > 0 ? 0 : undefined}
          >
            {others.map((b) => (
              <li key={b.board}>
                <button
                  type="button"
                  data-testid="board-list-item"
                  onClick={() => onPick(b.board)}
                  className="rounded-md border border-slate-300 px-2 py-0.5 font-mono hover:bg-white"
                  title={`${b.notes} notes, last change #${b.seq}`}
                >
                  {b.board} <span className="text-slate-600">({b.notes})</span>
                </button>
              </li>
            ))}
            {others.length === 0 && <li className="text-slate-600">{name.trim() ? "No loaded board matches." : "No other board yet."}</li>}
          </ul>
          {loaded.next !== null && (
            <button
              type="button"
              data-testid="board-list-more"
              onClick={loadMore}
              disabled={loadingMore}
              className="rounded-md border border-slate-300 px-2 py-0.5 hover:bg-white disabled:opacity-40"
            >
              {loadingMore ? "Loading…" : "Load more"}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
