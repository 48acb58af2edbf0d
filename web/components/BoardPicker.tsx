"use client";

import { useCallback, useEffect, useState, type FormEvent } from "react";

import { useBackendUrl } from "@/lib/useRuntimeConfig";
import { fetchBoardList, isBoardName } from "@/lib/boardList";
import type { BoardSummary } from "@/lib/generated/board";

export interface BoardPickerProps {
  readonly board: string;
  readonly onPick: (board: string) => void;
}

/** Choose a board: the ones the server has (`GET /boards`), or any new name. */
export function BoardPicker({ board, onPick }: BoardPickerProps) {
  const backendUrl = useBackendUrl();
  const [boards, setBoards] = useState<readonly BoardSummary[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [refreshes, setRefreshes] = useState(0);

  useEffect(() => {
    if (backendUrl === null) return;
    const abort = new AbortController();
    fetchBoardList(backendUrl, abort.signal).then(
      (list) => {
        setBoards(list);
        setProblem(null);
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setProblem(error instanceof Error ? error.message : String(error));
      },
    );
    return () => abort.abort();
  }, [backendUrl, board, refreshes]);

  const refresh = useCallback(() => setRefreshes((n) => n + 1), []);

  function open(e: FormEvent) {
    e.preventDefault();
    if (!isBoardName(name)) return;
    onPick(name);
    setName("");
  }

  const others = (boards ?? []).filter((b) => b.board !== board);

  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <span className="font-medium text-slate-600">Board</span>
      <span data-testid="board-name" className="rounded-md bg-slate-900 px-2 py-0.5 font-mono text-white">
        {board}
      </span>
      <ul data-testid="board-list" className="flex flex-wrap gap-1" aria-label="Other boards">
        {others.map((b) => (
          <li key={b.board}>
            <button
              type="button"
              data-testid="board-list-item"
              onClick={() => onPick(b.board)}
              className="rounded-md border border-slate-300 px-2 py-0.5 font-mono hover:bg-white"
              title={`${b.notes} notes, last change #${b.seq}`}
            >
              {b.board} <span className="text-slate-400">({b.notes})</span>
            </button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={refresh} className="text-slate-500 hover:text-slate-800" aria-label="Refresh the board list" title="Refresh the list">
        ↻
      </button>
      <form onSubmit={open} className="flex items-center gap-1" aria-label="Open a board">
        <input
          data-testid="board-picker-input"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="new or other board"
          className="w-40 rounded-md border border-slate-300 px-2 py-0.5 font-mono"
        />
        <button type="submit" data-testid="board-picker-open" disabled={!isBoardName(name)} className="rounded-md border border-slate-300 px-2 py-0.5 hover:bg-white disabled:opacity-40">
          Open
        </button>
      </form>
      {name !== "" && !isBoardName(name) && <span className="text-rose-700">1–64 of A–Z, a–z, 0–9, _ or -</span>}
      {problem && <span className="text-rose-700">Board list unavailable: {problem}</span>}
    </div>
  );
}
