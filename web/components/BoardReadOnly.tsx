"use client";

import { useEffect, useMemo, useState } from "react";

import { columnsOf, groupByColumn } from "@/lib/boardLayout";
import { fetchBoardNotes } from "@/lib/boardList";
import type { Note } from "@/lib/generated/board";
import { useBackendUrl } from "@/lib/useRuntimeConfig";

export interface BoardReadOnlyProps {
  readonly board: string;
}

/**
 * The board for a visitor who has not joined yet: its notes as `GET /boards/:board` gives
 * them (plain HTTP, no connection, no presence), read-only, under a "Join to edit" prompt.
 * Joining replaces it with the live board.
 */
export function BoardReadOnly({ board }: BoardReadOnlyProps) {
  const backendUrl = useBackendUrl();
  const [notes, setNotes] = useState<readonly Note[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (backendUrl === null) return;
    const abort = new AbortController();
    fetchBoardNotes(backendUrl, board, abort.signal).then(
      (loaded) => {
        setNotes(loaded);
        setProblem(null);
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setProblem(error instanceof Error ? error.message : String(error));
      },
    );
    return () => abort.abort();
  }, [backendUrl, board]);

  const columns = useMemo(() => columnsOf(notes ?? []), [notes]);
  const groups = useMemo(() => groupByColumn(notes ?? [], columns), [notes, columns]);

  return (
    <section aria-labelledby="board-read-only-heading" data-testid="board-read-only" className="space-y-3">
      <h2 id="board-read-only-heading" className="text-sm font-medium text-slate-700">
        Read-only: <strong>join to edit</strong> (pick a name above) and see changes live.
      </h2>
      {problem && (
        <p role="alert" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
          Could not read the board: {problem}
        </p>
      )}
      <div className="grid gap-3 sm:grid-cols-3">
        {columns.map((column) => {
          const inColumn = groups.get(column) ?? [];
          return (
            <section key={column} aria-label={column} data-testid="board-column" data-column={column} className="flex min-h-32 flex-col gap-3 rounded-lg border border-slate-200 bg-slate-100/70 p-3">
              <h3 className="flex items-center justify-between text-sm font-semibold text-slate-700">
                {column}
                <span className="rounded-full bg-white px-2 text-xs font-medium text-slate-700">{inColumn.length}</span>
              </h3>
              <ol className="flex flex-col gap-2">
                {inColumn.map((note) => (
                  <li key={note.id} data-testid="note" data-note-id={note.id} className="space-y-2 rounded-md border border-black/10 p-3 text-sm shadow-sm" style={{ backgroundColor: note.color }}>
                    <p data-testid="note-text" className="break-words whitespace-pre-wrap">
                      {note.text || <span className="text-slate-700 italic">(empty)</span>}
                    </p>
                    <p className="truncate text-xs text-slate-700">{note.author}</p>
                  </li>
                ))}
              </ol>
            </section>
          );
        })}
      </div>
    </section>
  );
}
