"use client";

import type { FormEvent } from "react";

import { MAX_TEXT_CHARS } from "@/lib/boardLayout";

import { charCount } from "./NoteCard";

export interface NoteComposerProps {
  readonly column: string;
  /** The input's text: kept by the board, so that a refused note can be put back. */
  readonly text: string;
  readonly onText: (text: string) => void;
  readonly onAdd: (text: string) => void;
  readonly disabled?: boolean;
}

/** "Add a note…" at the top of a column: type, press Enter. Over the limit, the text stays and Add waits. */
export function NoteComposer({ column, text, onText, onAdd, disabled = false }: NoteComposerProps) {
  const chars = charCount(text);
  const tooLong = chars > MAX_TEXT_CHARS;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim() || tooLong) return;
    onAdd(text.trim());
    onText("");
  }

  return (
    <form onSubmit={submit} className="space-y-1" aria-label={`Add a note to ${column}`}>
      <div className="flex gap-1">
        <input
          data-testid="note-composer-input"
          value={text}
          disabled={disabled}
          onChange={(e) => onText(e.target.value)}
          placeholder="Add a note…"
          aria-label={`New note in ${column}`}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
        />
        <button
          type="submit"
          data-testid="note-composer-add"
          disabled={disabled || !text.trim() || tooLong}
          className="min-h-11 min-w-11 rounded-md bg-indigo-600 px-2 py-1 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-40 sm:min-h-0 sm:min-w-0"
        >
          Add
        </button>
      </div>
      {chars > 0 && (
        <p data-testid="note-composer-count" className={`text-right text-xs ${tooLong ? "font-semibold text-rose-700" : "text-slate-600"}`}>
          {chars}/{MAX_TEXT_CHARS}
          {tooLong && " — too long to add: shorten it"}
        </p>
      )}
    </form>
  );
}
