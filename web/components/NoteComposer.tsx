"use client";

import { useState, type FormEvent } from "react";

export interface NoteComposerProps {
  readonly column: string;
  readonly onAdd: (text: string) => void;
  readonly disabled?: boolean;
}

/** "Add a note…" at the top of a column: type, press Enter. */
export function NoteComposer({ column, onAdd, disabled = false }: NoteComposerProps) {
  const [text, setText] = useState("");

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    onAdd(text.trim());
    setText("");
  }

  return (
    <form onSubmit={submit} className="flex gap-1" aria-label={`Add a note to ${column}`}>
      <input
        data-testid="note-composer-input"
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        placeholder="Add a note…"
        className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
      />
      <button
        type="submit"
        data-testid="note-composer-add"
        disabled={disabled || !text.trim()}
        className="rounded-md bg-indigo-600 px-2 py-1 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-40"
      >
        Add
      </button>
    </form>
  );
}
