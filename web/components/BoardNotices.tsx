import type { Notice } from "@/lib/boardState";

export interface BoardNoticesProps {
  /** Our refused (`rejected`) and dropped (`dropped`) changes. */
  readonly notices: readonly Notice[];
  readonly onDismiss: (id: number) => void;
}

/** Most messages shown at once (the newest). */
const MAX_SHOWN = 3;

/** What happened to our changes that did not make it: the rollback, said out loud. */
export function BoardNotices({ notices, onDismiss }: BoardNoticesProps) {
  if (notices.length === 0) return null;
  return (
    <ul role="alert" className="space-y-2">
      {notices.slice(-MAX_SHOWN).map((n) => (
        <li
          key={n.id}
          data-testid="board-rejection"
          data-code={n.code ?? n.kind}
          title={n.detail}
          className="flex items-start gap-3 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900"
        >
          <span className="flex-1">{n.text}</span>
          <button type="button" onClick={() => onDismiss(n.id)} aria-label="Dismiss" className="text-rose-400 hover:text-rose-800">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
