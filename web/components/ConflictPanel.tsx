import type { Draft } from "@/lib/boardState";

export type ConflictChoice = "mine" | "theirs" | "both";

export interface ConflictPanelProps {
  readonly draft: Draft;
  readonly conflict: NonNullable<Draft["conflict"]>;
  readonly onResolve: (choice: ConflictChoice) => void;
}

/**
 * Someone changed the text under my editor: both texts, side by side, and the three honest
 * choices. Nothing is overwritten until the person picks one.
 */
export function ConflictPanel({ draft, conflict, onResolve }: ConflictPanelProps) {
  const button = "rounded border border-black/20 bg-white px-2 py-1 text-xs font-medium text-slate-900 hover:bg-slate-50";
  return (
    <div data-testid="note-conflict" role="alert" className="space-y-2 rounded border border-amber-500 bg-amber-50 p-2 text-slate-900">
      <p className="text-xs font-semibold" data-testid="note-conflict-by">
        {conflict.by} changed this note while you were editing it.
      </p>
      <div className="grid grid-cols-2 gap-2 text-xs">
        <figure className="min-w-0 space-y-1">
          <figcaption className="font-medium text-slate-700">Their text</figcaption>
          <p data-testid="note-conflict-theirs" className="rounded bg-white p-1.5 break-words whitespace-pre-wrap">
            {conflict.text || <em>(empty)</em>}
          </p>
        </figure>
        <figure className="min-w-0 space-y-1">
          <figcaption className="font-medium text-slate-700">Your text</figcaption>
          <p data-testid="note-conflict-mine" className="rounded bg-white p-1.5 break-words whitespace-pre-wrap">
            {draft.text || <em>(empty)</em>}
          </p>
        </figure>
      </div>
      <div className="flex flex-wrap gap-1.5">
        <button type="button" data-testid="note-conflict-mine-keep" onClick={() => onResolve("mine")} className={button}>
          Keep mine
        </button>
        <button type="button" data-testid="note-conflict-theirs-take" onClick={() => onResolve("theirs")} className={button}>
          Take theirs
        </button>
        <button type="button" data-testid="note-conflict-both" onClick={() => onResolve("both")} className={button}>
          Keep both (mine as a copy)
        </button>
      </div>
    </div>
  );
}
