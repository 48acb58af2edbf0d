import type { HealthCheck } from "@/lib/health";

export interface HealthStatusBadgeProps {
  /** The latest check, or `null` before the first answer. */
  readonly check: HealthCheck | null;
}

const STYLES = {
  checking: "bg-slate-100 text-slate-700 ring-slate-300",
  healthy: "bg-emerald-50 text-emerald-800 ring-emerald-300",
  down: "bg-rose-50 text-rose-800 ring-rose-300",
} as const;

const DOTS = {
  checking: "bg-slate-400",
  healthy: "bg-emerald-500",
  down: "bg-rose-500",
} as const;

/**
 * The backend's state in one word: `checking`, `healthy` or `down`. The text is exactly
 * that word; tests find it by `data-testid="health-status"`.
 */
export function HealthStatusBadge({ check }: HealthStatusBadgeProps) {
  const state = check?.state ?? "checking";
  return (
    <span
      className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-semibold ring-1 ring-inset ${STYLES[state]}`}
      role="status"
    >
      <span aria-hidden="true" className={`h-2.5 w-2.5 rounded-full ${DOTS[state]}`} />
      <span data-testid="health-status">{state}</span>
    </span>
  );
}
