"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { columnsOf, groupByColumn, NOTE_COLORS, orderAtEnd, placeFor, stepPlace, type Step } from "@/lib/boardLayout";
import { quoteNote, type Draft } from "@/lib/boardState";
import { editorsOf } from "@/lib/editing";
import type { Identity } from "@/lib/presence";
import { useBoard } from "@/lib/useBoard";

import { BoardColumn, type DraftHandlers } from "./BoardColumn";
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
  /** A view-only member: no composer (the server refuses changes anyway). */
  readonly readOnly?: boolean;
  /** Keep our changes queued instead of sending them (see `useBoard`). */
  readonly holdOutgoing: boolean;
  /** Also show the reducer's pending queue and reconciliation log (the phase 4 page). */
  readonly inspector?: boolean;
  /** Also show the connection's controls, policy and timeline (the phase 5 page). */
  readonly hardening?: boolean;
}

/** Whether a key press belongs to a text field (Ctrl+Z there is the field's own undo). */
function inTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLTextAreaElement || (target instanceof HTMLInputElement && target.type !== "checkbox");
}

/**
 * One live board: connection, presence, our refused changes, the columns, toasts. Mount it
 * with `key={board}`: a new board is a new connection and a new state.
 *
 * Focus follows the person's note: after a move (the card may be drawn in another column,
 * a new element) focus goes back to it; after a delete, to its neighbour. Each of one's own
 * actions is said in a polite live region, for screen readers.
 */
export function BoardWorkspace({ board, identity, readOnly = false, holdOutgoing, inspector = false, hardening = false }: BoardWorkspaceProps) {
  const live = useBoard(board, identity, { holdOutgoing });
  const { view, state, create, update, move, remove, dismiss, undo, openDraft, changeDraft, saveDraft, closeDraft, resolveDraft } = live;
  const me = identity?.clientId ?? null;
  const [composerTexts, setComposerTexts] = useState<Readonly<Record<string, string>>>({});
  const [announcement, setAnnouncement] = useState("");
  // A note (or `composer:<column>`) to focus once the next render is on screen.
  const focusNext = useRef<string | null>(null);
  useEffect(() => {
    const target = focusNext.current;
    if (target === null) return;
    focusNext.current = null;
    const selector = target.startsWith("composer:")
      ? `[data-testid="board-column"][data-column="${CSS.escape(target.slice(9))}"] [data-testid="note-composer-input"]`
      : `[data-testid="note"][data-note-id="${CSS.escape(target)}"]`;
    document.querySelector<HTMLElement>(selector)?.focus();
  });

  const columns = useMemo(() => columnsOf(view.notes), [view.notes]);
  const groups = useMemo(() => groupByColumn(view.notes, columns), [view.notes, columns]);
  const toasts = state.notices.filter((n) => n.kind === "remote" || n.kind === "deleted");
  const problems = state.notices.filter((n) => n.kind !== "remote");
  const queued = state.pending.filter((op) => op.status === "queued").length;

  const canStep = useCallback((noteId: string, step: Step) => stepPlace(view.notes, columns, noteId, step) !== null, [view.notes, columns]);
  const onStep = useCallback(
    (noteId: string, step: Step) => {
      const place = stepPlace(view.notes, columns, noteId, step);
      if (!place) return;
      move(noteId, place.column, place.order);
      focusNext.current = noteId;
      const note = view.byId[noteId];
      setAnnouncement(place.column === note?.column ? `Moved ${quoteNote(note?.text)} ${step}` : `Moved ${quoteNote(note?.text)} to ${place.column}`);
    },
    [view.notes, view.byId, columns, move],
  );

  const onDelete = useCallback(
    (noteId: string) => {
      const note = view.byId[noteId];
      if (!note) return;
      const siblings = view.notes.filter((n) => n.column === note.column);
      const i = siblings.findIndex((n) => n.id === noteId);
      const neighbour = siblings[i + 1] ?? siblings[i - 1];
      remove(noteId);
      focusNext.current = neighbour ? neighbour.id : `composer:${note.column}`;
      setAnnouncement(`Deleted ${quoteNote(note.text)}. Ctrl+Z brings it back.`);
    },
    [view.byId, view.notes, remove],
  );

  const drafting = useMemo<DraftHandlers>(
    () => ({
      open: openDraft,
      change: changeDraft,
      save: (noteId) => {
        saveDraft(noteId);
        setAnnouncement(`Saved ${quoteNote(state.drafts[noteId]?.text)}`);
      },
      cancel: closeDraft,
      resolve: resolveDraft,
    }),
    [openDraft, changeDraft, saveDraft, closeDraft, resolveDraft, state.drafts],
  );

  // Ctrl/Cmd+Z undoes my last action (not inside a text field: there it is the field's).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey || e.key.toLowerCase() !== "z" || inTextField(e.target)) return;
      e.preventDefault();
      const last = state.undo.at(-1);
      if (!last) return;
      undo();
      setAnnouncement(`Undid the last change to ${quoteNote(last.label)}`);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [state.undo, undo]);

  // Ghosts (notes deleted under my editor) stay in the column they were in.
  const ghosts = useMemo(() => {
    const byColumn = new Map<string, Draft[]>();
    for (const draft of Object.values(state.drafts)) {
      if (!draft.deleted) continue;
      const column = columns.includes(draft.deleted.note.column) ? draft.deleted.note.column : columns[0]!;
      byColumn.set(column, [...(byColumn.get(column) ?? []), draft]);
    }
    return byColumn;
  }, [state.drafts, columns]);
  const noteEditors = useCallback((noteId: string) => editorsOf(live.editors, noteId, me), [live.editors, me]);
  const putBack = useCallback((column: string, text: string) => {
    setComposerTexts((t) => ({ ...t, [column]: text }));
    focusNext.current = `composer:${column}`;
  }, []);

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

      {state.restored && !state.synced && (
        <p data-testid="board-offline-restored" role="status" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Offline — last known board. Your unsent changes are kept and will be sent when the connection is back.
        </p>
      )}

      <BoardNotices notices={problems} onDismiss={dismiss} onPutBack={putBack} />
      <p data-testid="board-announcer" aria-live="polite" className="sr-only">
        {announcement}
      </p>

      <div data-testid="board" data-board={board} className="grid gap-3 sm:grid-cols-3">
        {columns.map((column, i) => (
          <BoardColumn
            key={column}
            column={column}
            notes={groups.get(column) ?? []}
            canStep={canStep}
            drafts={state.drafts}
            ghosts={ghosts.get(column) ?? []}
            drafting={drafting}
            editorsOf={noteEditors}
            online={live.online}
            composerText={composerTexts[column] ?? ""}
            onComposerText={(text) => setComposerTexts((t) => ({ ...t, [column]: text }))}
            addDisabled={identity === null || readOnly}
            readOnly={readOnly}
            onAdd={(text) => {
              create({ text, color: NOTE_COLORS[i % NOTE_COLORS.length]!, column, order: orderAtEnd(groups.get(column) ?? []) });
              setAnnouncement(`Added ${quoteNote(text)} to ${column}`);
            }}
            onColor={(noteId, color) => update(noteId, { color })}
            onStep={onStep}
            onDelete={onDelete}
            onDrop={(noteId, index) => {
              const place = placeFor(view.notes, noteId, column, index);
              if (!place) return;
              move(noteId, place.column, place.order);
              focusNext.current = noteId;
              setAnnouncement(`Moved ${quoteNote(view.byId[noteId]?.text)} to ${place.column}`);
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

      <ToastStack toasts={toasts} onDismiss={dismiss} onUndo={(entry) => undo(entry)} />
    </div>
  );
}
