import type { Person } from "@/lib/presence";

export interface PresenceAvatarsProps {
  readonly people: readonly Person[];
  /** This browser's client id, marked "(you)". */
  readonly me: string | null;
}

function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? `${words[0]![0]}${words[1]![0]}` : name.trim().slice(0, 2);
  return letters.toUpperCase();
}

/** Who is on the board: one round avatar per person (several tabs of one person are one). */
export function PresenceAvatars({ people, me }: PresenceAvatarsProps) {
  return (
    <div className="flex items-center gap-2" aria-label="Who's online">
      <ul data-testid="presence-avatars" className="flex -space-x-2">
        {people.map((p) => (
          <li
            key={p.clientId}
            data-testid="presence-avatar"
            data-name={p.name}
            title={p.clientId === me ? `${p.name} (you)` : p.name}
            className="flex h-8 w-8 items-center justify-center rounded-full border-2 border-white text-xs font-semibold text-white shadow-sm"
            style={{ backgroundColor: p.color }}
          >
            <span aria-hidden>{initials(p.name)}</span>
            <span className="sr-only">{p.clientId === me ? `${p.name} (you)` : p.name}</span>
          </li>
        ))}
      </ul>
      <span className="text-sm text-slate-500">{people.length === 1 ? "1 online" : `${people.length} online`}</span>
    </div>
  );
}
