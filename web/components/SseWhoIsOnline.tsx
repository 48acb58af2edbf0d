import type { Person } from "@/lib/presence";

export interface SseWhoIsOnlineProps {
  readonly people: readonly Person[];
  /** This browser's client id, marked "(you)". */
  readonly me: string | null;
}

/** The presence list: built from `presence.list`, then `presence.join` / `presence.leave`. */
export function SseWhoIsOnline({ people, me }: SseWhoIsOnlineProps) {
  return (
    <section aria-labelledby="online-heading" className="space-y-2">
      <h3 id="online-heading" className="text-sm font-semibold text-slate-700">
        Who&apos;s online ({people.length})
      </h3>
      {people.length === 0 ? (
        <p className="text-sm text-slate-500">Nobody yet.</p>
      ) : (
        <ul data-testid="sse-online" className="space-y-1">
          {people.map((p) => (
            <li key={p.clientId} data-testid="sse-person" className="flex items-center gap-2 text-sm">
              <span aria-hidden className="inline-block h-3 w-3 rounded-full" style={{ backgroundColor: p.color }} />
              <span>{p.name}</span>
              {p.clientId === me && <span className="text-slate-600">(you)</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
