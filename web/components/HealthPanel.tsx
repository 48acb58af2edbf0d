"use client";

import { formatUptime, prettyJson } from "@/lib/health";
import { useHealth } from "@/lib/useHealth";

import { HealthStatusBadge } from "./HealthStatusBadge";

/** Live view of `GET /health`, re-fetched every couple of seconds. */
export function HealthPanel() {
  const { baseUrl, intervalMs, check, checks } = useHealth();
  const report = check?.state === "healthy" ? check.report : null;

  return (
    <section aria-labelledby="health-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="health-heading" className="text-lg font-semibold">
          Backend health
        </h2>
        <HealthStatusBadge check={check} />
      </div>

      <p className="text-sm text-slate-600">
        Polling <code>GET {baseUrl ?? "…"}/health</code> every {intervalMs / 1000} s
        {checks > 0 ? ` (${checks} ${checks === 1 ? "request" : "requests"} so far)` : ""}.
      </p>

      {check?.state === "down" && (
        <div className="space-y-1 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
          <p data-testid="health-error">{check.message}</p>
          {check.reason === "unreachable" && (
            <p className="text-rose-700">
              Is the backend running? If it is, check that its <code>LIVEBOARD_ALLOWED_ORIGINS</code> lists
              this page&apos;s origin: browsers report a CORS refusal and a refused connection the same way.
            </p>
          )}
        </div>
      )}

      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
        <dt className="font-medium text-slate-500">Version</dt>
        <dd data-testid="health-version">{report?.version ?? "–"}</dd>
        <dt className="font-medium text-slate-500">Uptime</dt>
        <dd data-testid="health-uptime">{report ? formatUptime(report.uptime_secs) : "–"}</dd>
        <dt className="font-medium text-slate-500">Phases served</dt>
        <dd>
          {report ? (
            <ul className="space-y-0.5">
              {report.phases.map((phase) => (
                <li key={phase.number}>
                  {phase.number}. {phase.title} <span className="text-slate-600">({phase.slug})</span>
                </li>
              ))}
            </ul>
          ) : (
            "–"
          )}
        </dd>
        <dt className="font-medium text-slate-500">Last checked</dt>
        <dd data-testid="health-checked-at">{check ? new Date(check.checkedAt).toLocaleTimeString() : "not yet"}</dd>
      </dl>

      <details open className="text-sm">
        <summary className="cursor-pointer font-medium text-slate-700">Raw response body</summary>
        <pre className="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100">
          <code data-testid="health-raw">{check?.raw != null ? prettyJson(check.raw) : "(no response)"}</code>
        </pre>
      </details>
    </section>
  );
}
