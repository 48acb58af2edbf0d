"use client";

import { useEffect, useRef, type DragEvent, type KeyboardEvent } from "react";

import { MAX_TEXT_CHARS, NOTE_COLORS, type Step } from "@/lib/boardLayout";
import type { Draft, ViewNote } from "@/lib/boardState";
import type { Editor } from "@/lib/editing";

import { ConflictPanel, type ConflictChoice } from "./ConflictPanel";

/** The drag-and-drop payload type of a note (its id). */
export const NOTE_DRAG_TYPE = "application/x-liveboard-note";

export interface NoteCardProps {
  readonly note: ViewNote;
  /** My open editor of it (kept by the board's reducer, not here: see `Draft`). */
  readonly draft: Draft | undefined;
  /** Other people with its editor open. */
  readonly editors: readonly Editor[];
  /** Whether the link is up: a pending change is "saving…", else "waiting — offline". */
  readonly online: boolean;
  /** Which steps are possible (the move buttons and Alt+arrow keys). */
  readonly canStep: Readonly<Record<Step, boolean>>;
  /** A view-only member: no editing, moving or deleting (the server would refuse them). */
  readonly readOnly?: boolean;
  readonly onColor: (color: string) => void;
  readonly onStep: (step: Step) => void;
  readonly onDelete: () => void;
  readonly onDragOver: (e: DragEvent<HTMLElement>) => void;
  readonly onOpen: () => void;
  readonly onChange: (text: string) => void;
  readonly onSave: () => void;
  readonly onCancel: () => void;
  readonly onResolve: (choice: ConflictChoice) => void;
}

const STEP_KEYS: Record<string, Step> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
const STEP_BUTTONS: readonly { readonly step: Step; readonly label: string; readonly glyph: string }[] = [
  { step: "left", label: "Move to the previous column", glyph: "←" },
  { step: "up", label: "Move up", glyph: "↑" },
  { step: "down", label: "Move down", glyph: "↓" },
  { step: "right", label: "Move to the next column", glyph: "→" },
];

/** The characters of a text as people count them (an emoji is one). */
export function charCount(text: string): number {
  return [...text].length;
}

/**
 * One note: its text (click Edit to change it inline), color, author, and a "saving…" mark
 * while one of our changes to it waits for the server. Drag it, or use the arrow buttons /
 * Alt+arrow keys, to move it.
 */
export function NoteCard(props: NoteCardProps) {
  const { note, draft, editors, online, canStep, readOnly = false, onColor, onStep, onDelete, onDragOver, onOpen, onChange, onSave, onCancel, onResolve } = props;
  const editing = draft !== undefined && draft.saving === null && !draft.deleted;
  const chars = editing ? charCount(draft.text) : 0;
  const tooLong = chars > MAX_TEXT_CHARS;
  const card = useRef<HTMLElement>(null);

  // Escape, Cancel or Save: focus comes back to the note, not to the top of the page.
  const wasEditing = useRef(editing);
  useEffect(() => {
    if (wasEditing.current && !editing) {
      const active = document.activeElement;
      if (active === null || active === document.body || card.current?.contains(active)) card.current?.focus();
    }
    wasEditing.current = editing;
  }, [editing]);

  function save() {
    if (!tooLong) onSave();
  }

  function onKeyDown(e: KeyboardEvent<HTMLElement>) {
    if (editing || readOnly || e.target !== e.currentTarget) return;
    const step = STEP_KEYS[e.key];
    if (e.altKey && step && canStep[step]) {
      e.preventDefault();
      onStep(step);
    } else if (e.key === "Enter") {
      e.preventDefault();
      onOpen();
    }
  }

  function onDragStart(e: DragEvent<HTMLElement>) {
    e.dataTransfer.setData(NOTE_DRAG_TYPE, note.id);
    e.dataTransfer.setData("text/plain", note.text);
    e.dataTransfer.effectAllowed = "move";
  }

  return (
    <article
      ref={card}
      data-testid="note"
      data-note-id={note.id}
      data-pending={note.pending ? "true" : "false"}
      tabIndex={0}
      draggable={!editing && !readOnly}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onKeyDown={onKeyDown}
      aria-label={`Note: ${note.text || "(empty)"}${note.pending ? (online ? " (saving)" : " (waiting, offline)") : ""}`}
      className={`group space-y-2 rounded-md border p-3 text-sm shadow-sm outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 ${
        note.pending ? "border-dashed border-slate-400 opacity-80" : "border-black/10"
      }`}
      style={{ backgroundColor: note.color }}
    >
      {editors.length > 0 && (
        <p data-testid="note-editing-by" className="text-xs font-medium text-slate-700">
          {editors.map((e) => e.name).join(", ")} {editors.length === 1 ? "is" : "are"} editing
        </p>
      )}
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
          className="space-y-2"
        >
          {draft.conflict && <ConflictPanel draft={draft} conflict={draft.conflict} onResolve={onResolve} />}
          <textarea
            data-testid="note-edit-text"
            autoFocus
            aria-label="Note text"
            value={draft.text}
            onChange={(e) => onChange(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                save();
              } else if (e.key === "Escape") {
                e.preventDefault();
                onCancel();
              }
            }}
            rows={3}
            className="w-full resize-y rounded border border-black/20 bg-white/70 p-1.5"
          />
          <div className="flex flex-wrap items-center gap-1.5">
            {NOTE_COLORS.map((c) => (
              <button
                key={c}
                type="button"
                data-testid="note-color"
                data-color={c}
                aria-label={`Color ${c}`}
                aria-pressed={note.color === c}
                onClick={() => onColor(c)}
                className={`h-5 w-5 rounded-full border ${note.color === c ? "border-slate-900" : "border-black/20"}`}
                style={{ backgroundColor: c }}
              />
            ))}
            <span data-testid="note-edit-count" className={`ml-auto text-xs ${tooLong ? "font-semibold text-rose-700" : "text-slate-600"}`}>
              {chars}/{MAX_TEXT_CHARS}
            </span>
          </div>
          {draft.error && (
            <div data-testid="note-edit-error" role="alert" className="rounded bg-rose-50 p-1.5 text-xs text-rose-900">
              <p>Not saved: {draft.error.message}</p>
              {draft.error.detail && (
                <details>
                  <summary className="cursor-pointer">details</summary>
                  <p className="break-words">{draft.error.detail}</p>
                </details>
              )}
            </div>
          )}
          <div className="flex gap-2">
            <button
              type="submit"
              data-testid="note-save"
              disabled={tooLong || draft.conflict !== null}
              className="rounded bg-slate-900 px-2 py-1 text-xs font-medium text-white disabled:opacity-40"
            >
              Save
            </button>
            <button type="button" data-testid="note-cancel" onClick={onCancel} className="rounded px-2 py-1 text-xs text-slate-700 hover:bg-black/5">
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="flex items-start gap-2">
          <p data-testid="note-text" className="min-w-0 flex-1 break-words whitespace-pre-wrap">
            {note.text || <span className="text-slate-500 italic">(empty)</span>}
          </p>
          {note.pending && (
            <span
              data-testid="note-pending"
              data-online={online ? "true" : "false"}
              className="shrink-0 rounded bg-white/70 px-1.5 py-0.5 text-xs font-medium text-amber-800"
            >
              {online ? "saving…" : "waiting — offline"}
            </span>
          )}
        </div>
      )}

      <footer className="flex flex-wrap items-center gap-1 text-xs text-slate-600">
        <span className="mr-auto truncate">{note.author}</span>
        {!editing && !readOnly && (
          <>
            {STEP_BUTTONS.map(({ step, label, glyph }) => (
              <button
                key={step}
                type="button"
                data-testid={`note-move-${step}`}
                aria-label={label}
                title={`${label} (Alt+${glyph})`}
                disabled={!canStep[step]}
                onClick={() => onStep(step)}
                className="min-h-11 min-w-11 rounded px-1 hover:bg-black/10 disabled:opacity-30 sm:min-h-0 sm:min-w-0"
              >
                {glyph}
              </button>
            ))}
            <button type="button" data-testid="note-edit" onClick={onOpen} className="min-h-11 min-w-11 rounded px-1 hover:bg-black/10 sm:min-h-0 sm:min-w-0">
              Edit
            </button>
            <button type="button" data-testid="note-delete" aria-label="Delete note" onClick={onDelete} className="min-h-11 min-w-11 rounded px-1 hover:bg-black/10 sm:min-h-0 sm:min-w-0">
              ✕
            </button>
          </>
        )}
      </footer>
    </article>
  );
}
