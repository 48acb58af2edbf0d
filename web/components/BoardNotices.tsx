import type { Notice } from "@/lib/boardState";

export interface BoardNoticesProps {
  /** Our refused (`rejected`) and dropped (`dropped`) changes. */
  readonly notices: readonly Notice[];
  readonly onDismiss: (id: number) => void;
  /** Put a refused new note's text back into its column's input. */
  readonly onPutBack: (column: string, text: string) => void;
}

/** Most messages shown at once (the newest). */
const MAX_SHOWN = 3;

/**
 * What happened to our changes that did not make it: the rollback, said out loud. The
 * sentence is for people; what a developer or operator needs is under "details"; a refused
 * new note's text is never lost ("Put it back").
 */
export function BoardNotices({ notices, onDismiss, onPutBack }: BoardNoticesProps) {
  if (notices.length === 0) return null;
  return (
    <ul role="alert" className="space-y-2">
      {notices.slice(-MAX_SHOWN).map((n) => (
        <li
          key={n.id}
          data-testid="board-rejection"
          data-code={n.code ?? n.kind}
          className="flex items-start gap-3 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900"
        >
          <div className="flex-1 space-y-1">
            <p>{n.text}</p>
            {n.detail && (
              <details data-testid="board-rejection-details">
                <summary className="cursor-pointer text-xs">details</summary>
                <p className="text-xs break-words">{n.detail}</p>
              </details>
            )}
          </div>
          {n.restore && (
            <button
              type="button"
              data-testid="notice-put-back"
              onClick={() => {
                const { column, text } = n.restore!;
                onPutBack(column, text);
                onDismiss(n.id);
              }}
              className="rounded border border-rose-300 bg-white px-2 py-0.5 text-xs font-medium hover:bg-rose-100"
            >
              Put it back
            </button>
          )}
          <button type="button" onClick={() => onDismiss(n.id)} aria-label="Dismiss" className="text-rose-700 hover:text-rose-900">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
