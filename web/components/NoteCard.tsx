"use client";

import { useState, type DragEvent, type KeyboardEvent } from "react";

import { MAX_TEXT_CHARS, NOTE_COLORS, type Step } from "@/lib/boardLayout";
import type { ViewNote } from "@/lib/boardState";

/** The drag-and-drop payload type of a note (its id). */
export const NOTE_DRAG_TYPE = "application/x-liveboard-note";

export interface NoteCardProps {
  readonly note: ViewNote;
  /** Which steps are possible (the move buttons and Alt+arrow keys). */
  readonly canStep: Readonly<Record<Step, boolean>>;
  readonly onText: (text: string) => void;
  readonly onColor: (color: string) => void;
  readonly onStep: (step: Step) => void;
  readonly onDelete: () => void;
  readonly onDragOver: (e: DragEvent<HTMLElement>) => void;
}

const STEP_KEYS: Record<string, Step> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
const STEP_BUTTONS: readonly { readonly step: Step; readonly label: string; readonly glyph: string }[] = [
  { step: "left", label: "Move to the previous column", glyph: "←" },
  { step: "up", label: "Move up", glyph: "↑" },
  { step: "down", label: "Move down", glyph: "↓" },
  { step: "right", label: "Move to the next column", glyph: "→" },
];

/**
 * One note: its text (click Edit to change it inline), color, author, and a "saving…" mark
 * while one of our changes to it waits for the server. Drag it, or use the arrow buttons /
 * Alt+arrow keys, to move it.
 */
export function NoteCard({ note, canStep, onText, onColor, onStep, onDelete, onDragOver }: NoteCardProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const editing = draft !== null;
  const chars = draft === null ? 0 : [...draft].length;

  function save() {
    if (draft !== null && draft !== note.text) onText(draft);
    setDraft(null);
  }

  function onKeyDown(e: KeyboardEvent<HTMLElement>) {
    if (editing || e.target !== e.currentTarget) return;
    const step = STEP_KEYS[e.key];
    if (e.altKey && step && canStep[step]) {
      e.preventDefault();
      onStep(step);
    } else if (e.key === "Enter") {
      e.preventDefault();
      setDraft(note.text);
    }
  }

  function onDragStart(e: DragEvent<HTMLElement>) {
    e.dataTransfer.setData(NOTE_DRAG_TYPE, note.id);
    e.dataTransfer.setData("text/plain", note.text);
    e.dataTransfer.effectAllowed = "move";
  }

  return (
    <article
      data-testid="note"
      data-note-id={note.id}
      data-pending={note.pending ? "true" : "false"}
      tabIndex={0}
      draggable={!editing}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onKeyDown={onKeyDown}
      aria-label={`Note: ${note.text || "(empty)"}${note.pending ? " (saving)" : ""}`}
      className={`group space-y-2 rounded-md border p-3 text-sm shadow-sm outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 ${
        note.pending ? "border-dashed border-slate-400 opacity-80" : "border-black/10"
      }`}
      style={{ backgroundColor: note.color }}
    >
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
          className="space-y-2"
        >
          <textarea
            data-testid="note-edit-text"
            autoFocus
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                save();
              } else if (e.key === "Escape") {
                setDraft(null);
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
            <span className={`ml-auto text-xs ${chars > MAX_TEXT_CHARS ? "font-semibold text-rose-700" : "text-slate-500"}`}>
              {chars}/{MAX_TEXT_CHARS}
            </span>
          </div>
          <div className="flex gap-2">
            <button type="submit" data-testid="note-save" className="rounded bg-slate-900 px-2 py-1 text-xs font-medium text-white">
              Save
            </button>
            <button type="button" onClick={() => setDraft(null)} className="rounded px-2 py-1 text-xs text-slate-700 hover:bg-black/5">
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
            <span data-testid="note-pending" className="shrink-0 rounded bg-white/70 px-1.5 py-0.5 text-xs font-medium text-amber-800">
              saving…
            </span>
          )}
        </div>
      )}

      <footer className="flex flex-wrap items-center gap-1 text-xs text-slate-600">
        <span className="mr-auto truncate">{note.author}</span>
        {!editing && (
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
                className="rounded px-1 hover:bg-black/10 disabled:opacity-30"
              >
                {glyph}
              </button>
            ))}
            <button type="button" data-testid="note-edit" onClick={() => setDraft(note.text)} className="rounded px-1 hover:bg-black/10">
              Edit
            </button>
            <button type="button" data-testid="note-delete" aria-label="Delete note" onClick={onDelete} className="rounded px-1 hover:bg-black/10">
              ✕
            </button>
          </>
        )}
      </footer>
    </article>
  );
}
