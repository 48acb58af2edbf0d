"use client";

import { useState, type DragEvent } from "react";

import type { Step } from "@/lib/boardLayout";
import type { Draft, ViewNote } from "@/lib/boardState";
import type { Editor } from "@/lib/editing";

import type { ConflictChoice } from "./ConflictPanel";
import { GhostNoteCard } from "./GhostNoteCard";
import { NOTE_DRAG_TYPE, NoteCard } from "./NoteCard";
import { NoteComposer } from "./NoteComposer";

/** What the person can do to a note's editor (see `useBoard`). */
export interface DraftHandlers {
  readonly open: (noteId: string) => void;
  readonly change: (noteId: string, text: string) => void;
  readonly save: (noteId: string) => void;
  readonly cancel: (noteId: string) => void;
  readonly resolve: (noteId: string, choice: ConflictChoice) => void;
}

export interface BoardColumnProps {
  readonly column: string;
  /** This column's notes, sorted. */
  readonly notes: readonly ViewNote[];
  readonly canStep: (noteId: string, step: Step) => boolean;
  /** My drafts (open editors, ghosts of deleted notes), by note id. */
  readonly drafts: Readonly<Record<string, Draft>>;
  /** Ghosts of notes deleted under my editor that were in this column. */
  readonly ghosts: readonly Draft[];
  readonly drafting: DraftHandlers;
  readonly editorsOf: (noteId: string) => readonly Editor[];
  readonly online: boolean;
  /** The "Add a note…" input's text (kept by the board, so a refused note can be put back). */
  readonly composerText: string;
  readonly onComposerText: (text: string) => void;
  readonly onAdd: (text: string) => void;
  readonly onColor: (noteId: string, color: string) => void;
  readonly onStep: (noteId: string, step: Step) => void;
  readonly onDelete: (noteId: string) => void;
  /** A note was dropped at `index` of this column (counting the notes as drawn). */
  readonly onDrop: (noteId: string, index: number) => void;
  /** No adding yet (nobody to sign the notes: no name chosen). */
  readonly addDisabled?: boolean;
  /** A view-only member: notes cannot be edited, moved, deleted or dropped here. */
  readonly readOnly?: boolean;
}

function carriesNote(e: DragEvent<HTMLElement>): boolean {
  return e.dataTransfer.types.includes(NOTE_DRAG_TYPE);
}

/** One column: its composer, its notes, and a drop zone (HTML5 drag and drop). */
export function BoardColumn(props: BoardColumnProps) {
  const { column, notes, drafts, ghosts, drafting, editorsOf, online, canStep, onAdd, onColor, onStep, onDelete, onDrop, addDisabled = false, readOnly = false } = props;
  // Where a dragged note would land, while one is over this column.
  const [dropIndex, setDropIndex] = useState<number | null>(null);

  function overNote(index: number, e: DragEvent<HTMLElement>) {
    if (!carriesNote(e)) return;
    e.preventDefault();
    e.stopPropagation();
    const rect = e.currentTarget.getBoundingClientRect();
    setDropIndex(e.clientY < rect.top + rect.height / 2 ? index : index + 1);
  }

  function overColumn(e: DragEvent<HTMLElement>) {
    if (!carriesNote(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    if (dropIndex === null) setDropIndex(notes.length);
  }

  function drop(e: DragEvent<HTMLElement>) {
    const id = e.dataTransfer.getData(NOTE_DRAG_TYPE);
    const index = dropIndex ?? notes.length;
    setDropIndex(null);
    if (!id || readOnly) return;
    e.preventDefault();
    onDrop(id, index);
  }

  const marker = <div aria-hidden data-testid="board-drop-marker" className="h-1 rounded bg-indigo-500" />;

  return (
    <section
      data-testid="board-column"
      data-column={column}
      aria-label={column}
      onDragOver={overColumn}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropIndex(null);
      }}
      onDrop={drop}
      className={`flex min-h-64 flex-col gap-3 rounded-lg border p-3 ${dropIndex !== null ? "border-indigo-300 bg-indigo-50/60" : "border-slate-200 bg-slate-100/70"}`}
    >
      <h2 className="flex items-center justify-between text-sm font-semibold text-slate-700">
        {column}
        <span data-testid="board-column-count" className="rounded-full bg-white px-2 text-xs font-medium text-slate-700">
          {notes.length}
        </span>
      </h2>
      <NoteComposer column={column} text={props.composerText} onText={props.onComposerText} onAdd={onAdd} disabled={addDisabled} />
      <ol className="flex flex-1 flex-col gap-2">
        {notes.map((note, i) => (
          <li key={note.id} className="space-y-2">
            {dropIndex === i && marker}
            <NoteCard
              note={note}
              draft={drafts[note.id]}
              editors={editorsOf(note.id)}
              online={online}
              onOpen={() => drafting.open(note.id)}
              onChange={(text) => drafting.change(note.id, text)}
              onSave={() => drafting.save(note.id)}
              onCancel={() => drafting.cancel(note.id)}
              onResolve={(choice) => drafting.resolve(note.id, choice)}
              readOnly={readOnly}
              canStep={{
                up: canStep(note.id, "up"),
                down: canStep(note.id, "down"),
                left: canStep(note.id, "left"),
                right: canStep(note.id, "right"),
              }}
              onColor={(color) => onColor(note.id, color)}
              onStep={(step) => onStep(note.id, step)}
              onDelete={() => onDelete(note.id)}
              onDragOver={(e) => overNote(i, e)}
            />
          </li>
        ))}
        {dropIndex === notes.length && <li aria-hidden>{marker}</li>}
        {ghosts.map((ghost) => (
          <li key={`ghost-${ghost.noteId}`}>
            <GhostNoteCard
              draft={ghost}
              deletedBy={ghost.deleted?.by ?? "someone"}
              onRestore={() => drafting.resolve(ghost.noteId, "both")}
              onDiscard={() => drafting.cancel(ghost.noteId)}
            />
          </li>
        ))}
      </ol>
    </section>
  );
}
