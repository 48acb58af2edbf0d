import type { Draft } from "@/lib/boardState";

export interface GhostNoteCardProps {
  /** A draft whose note was deleted under it (`draft.deleted` is set). */
  readonly draft: Draft;
  readonly deletedBy: string;
  readonly onRestore: () => void;
  readonly onDiscard: () => void;
}

/**
 * What stays of a note someone deleted while I was editing it: my draft, never thrown
 * away silently. Restoring makes a *new* note (ids are never reused) where the old one was.
 */
export function GhostNoteCard({ draft, deletedBy, onRestore, onDiscard }: GhostNoteCardProps) {
  return (
    <article
      data-testid="note-ghost"
      data-note-id={draft.noteId}
      aria-label={`Deleted note, your draft: ${draft.text || "(empty)"}`}
      className="space-y-2 rounded-md border border-dashed border-rose-400 bg-white p-3 text-sm"
    >
      <p className="text-xs font-semibold text-rose-800" data-testid="note-ghost-by">
        Deleted by {deletedBy}: your draft is kept here.
      </p>
      <p data-testid="note-ghost-text" className="break-words whitespace-pre-wrap text-slate-800">
        {draft.text || <em>(empty)</em>}
      </p>
      <div className="flex flex-wrap gap-1.5">
        <button type="button" data-testid="note-ghost-restore" onClick={onRestore} className="rounded bg-slate-900 px-2 py-1 text-xs font-medium text-white">
          Restore as a new note
        </button>
        <button type="button" data-testid="note-ghost-discard" onClick={onDiscard} className="rounded px-2 py-1 text-xs text-slate-700 hover:bg-black/5">
          Discard
        </button>
      </div>
    </article>
  );
}
