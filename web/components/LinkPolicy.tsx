import { formatDuration } from "@/lib/connectionSupervisor";
import type { SupervisorState } from "@/lib/connectionSupervisor";

export interface LinkPolicyProps {
  readonly supervisor: SupervisorState;
}

/** The rules the page follows now: the server's, once advertised, else the defaults. */
export function LinkPolicy({ supervisor }: LinkPolicyProps) {
  const { policy, heartbeat, advertised, counter } = supervisor;
  const rows: readonly [string, string][] = [
    ["backoff window", `${formatDuration(policy.baseMs)} × ${policy.factor}^attempt, at most ${formatDuration(policy.capMs)}`],
    ["added to every delay", formatDuration(policy.minMs)],
    ["jitter", policy.jitter.kind === "clampedProportional" ? `clamped ±${policy.jitter.ratio * 100} %` : policy.jitter.kind],
    ["counter resets after", `${formatDuration(policy.stableAfterMs)} connected`],
    ["heartbeat every", formatDuration(heartbeat.intervalMs)],
    ["deadline (nothing heard)", formatDuration(heartbeat.deadlineMs)],
    ["next attempt number", String(counter.attempt)],
  ];
  return (
    <div className="space-y-1 text-sm" data-testid="link-policy" data-advertised={advertised} data-deadline-ms={heartbeat.deadlineMs}>
      <p data-testid="link-policy-source" className="text-slate-600">
        {advertised ? "Policy advertised by the server (connection.policy)" : "Default policy (the server has not advertised one)"}
      </p>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-0.5">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-500">{term}</dt>
            <dd className="font-mono text-slate-800">{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
