"use client";

import { useCallback, useMemo } from "react";

import { columnsOf, groupByColumn, NOTE_COLORS, orderAtEnd, placeFor, stepPlace, type Step } from "@/lib/boardLayout";
import type { Identity } from "@/lib/presence";
import { useBoard } from "@/lib/useBoard";

import { BoardColumn } from "./BoardColumn";
import { BoardConnectionBadge } from "./BoardConnectionBadge";
import { BoardInspector } from "./BoardInspector";
import { BoardNotices } from "./BoardNotices";
import { HardeningPanel } from "./HardeningPanel";
import { PresenceAvatars } from "./PresenceAvatars";
import { ToastStack } from "./ToastStack";
import { WsFrameTable } from "./WsFrameTable";

export interface BoardWorkspaceProps {
  readonly board: string;
  readonly identity: Identity | null;
  /** Keep our changes queued instead of sending them (see `useBoard`). */
  readonly holdOutgoing: boolean;
  /** Also show the reducer's pending queue and reconciliation log (the phase 4 page). */
  readonly inspector?: boolean;
  /** Also show the connection's controls, policy and timeline (the phase 5 page). */
  readonly hardening?: boolean;
}

/**
 * One live board: connection, presence, our refused changes, the columns, toasts. Mount it
 * with `key={board}`: a new board is a new connection and a new state.
 */
export function BoardWorkspace({ board, identity, holdOutgoing, inspector = false, hardening = false }: BoardWorkspaceProps) {
  const live = useBoard(board, identity, { holdOutgoing });
  const { view, state, create, update, move, remove, dismiss } = live;

  const columns = useMemo(() => columnsOf(view.notes), [view.notes]);
  const groups = useMemo(() => groupByColumn(view.notes, columns), [view.notes, columns]);
  const toasts = state.notices.filter((n) => n.kind === "remote");
  const problems = state.notices.filter((n) => n.kind !== "remote");
  const queued = state.pending.filter((op) => op.status === "queued").length;

  const canStep = useCallback((noteId: string, step: Step) => stepPlace(view.notes, columns, noteId, step) !== null, [view.notes, columns]);
  const onStep = useCallback(
    (noteId: string, step: Step) => {
      const place = stepPlace(view.notes, columns, noteId, step);
      if (place) move(noteId, place.column, place.order);
    },
    [view.notes, columns, move],
  );

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex items-center gap-3">
          <BoardConnectionBadge connection={live.connection} waitingChanges={live.waitingChanges} />
          {live.connection.kind === "stopped" && (
            <button type="button" data-testid="board-reconnect" onClick={live.reconnect} className="rounded-md border border-slate-300 px-2 py-0.5 text-sm hover:bg-white">
              Reconnect
            </button>
          )}
          {holdOutgoing && (
            <span data-testid="board-held" className="text-sm text-amber-800">
              holding {queued} change{queued === 1 ? "" : "s"}
            </span>
          )}
        </div>
        <PresenceAvatars people={live.people} me={identity?.clientId ?? null} />
      </div>
      {live.subscribeError && (
        <p role="alert" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
          The server refused to subscribe: {live.subscribeError}
        </p>
      )}

      <BoardNotices notices={problems} onDismiss={dismiss} />

      <div data-testid="board" data-board={board} className="grid gap-3 sm:grid-cols-3">
        {columns.map((column, i) => (
          <BoardColumn
            key={column}
            column={column}
            notes={groups.get(column) ?? []}
            canStep={canStep}
            addDisabled={identity === null}
            onAdd={(text) => create({ text, color: NOTE_COLORS[i % NOTE_COLORS.length]!, column, order: orderAtEnd(groups.get(column) ?? []) })}
            onText={(noteId, text) => update(noteId, { text })}
            onColor={(noteId, color) => update(noteId, { color })}
            onStep={onStep}
            onDelete={remove}
            onDrop={(noteId, index) => {
              const place = placeFor(view.notes, noteId, column, index);
              if (place) move(noteId, place.column, place.order);
            }}
          />
        ))}
      </div>

      {hardening && <HardeningPanel link={live.link} />}

      {inspector && (
        <>
          <BoardInspector state={state} />
          <details className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <summary className="cursor-pointer text-sm font-semibold text-slate-700">
              The same session on the wire: every message of this board&apos;s <code>/ws</code> connection
            </summary>
            <div className="mt-3">
              <WsFrameTable log={live.socket.log} openedAt={live.socket.openedAt} idPrefix="board-ws" onClear={live.socket.clearLog} />
            </div>
          </details>
        </>
      )}

      <ToastStack toasts={toasts} onDismiss={dismiss} />
    </div>
  );
}
