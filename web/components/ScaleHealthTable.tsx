import type { HealthCheck, LinkCheck } from "@/lib/health";

export interface ScaleHealthRow {
  /** The instance's name (its pin), or the backend's own name on a single process. */
  readonly name: string;
  /** Its latest `/health` check; `undefined` before the first answer. */
  readonly check: HealthCheck | undefined;
}

export interface ScaleHealthTableProps {
  readonly rows: readonly ScaleHealthRow[];
}

/** The links phase 7 reports under `/health` `checks`, in the order the page explains them. */
const LINKS = [
  ["store", "Store (Redis)"],
  ["bus", "Bus (NATS)"],
] as const;

function status(check: HealthCheck | undefined): { readonly word: string; readonly style: string } {
  if (check === undefined) return { word: "checking", style: "text-slate-600" };
  if (check.state === "healthy") return { word: "ok", style: "text-emerald-800" };
  if (check.reason === "status" && check.report) return { word: check.report.status, style: "text-amber-800" };
  return { word: "down", style: "text-rose-800" };
}

function LinkCell({ name, link, check }: { readonly name: string; readonly link: LinkCheck | undefined; readonly check: HealthCheck | undefined }) {
  if (check === undefined) return <td className="px-3 py-2 text-slate-500">…</td>;
  if (link === undefined) {
    const unknown = check.state === "down" && !check.report;
    return (
      <td data-testid={`scale-link-${name}`} className="px-3 py-2 text-slate-600">
        {unknown ? "unknown" : "none (this process's own)"}
      </td>
    );
  }
  return (
    <td data-testid={`scale-link-${name}`} data-up={link.up} className="px-3 py-2">
      <span className={link.up ? "font-semibold text-emerald-800" : "font-semibold text-rose-800"}>{link.up ? "up" : "down"}</span>{" "}
      <span className="text-slate-600">{link.target}</span>
      {link.disconnects > 0 && <span className="text-slate-600"> · lost {link.disconnects}×</span>}
      {link.lastError && <span className="block text-xs text-rose-800">last error: {link.lastError}</span>}
    </td>
  );
}

/**
 * Each instance's `/health`, polled: its status (`ok`, `degraded` while a link is down,
 * `down` when it does not answer) and its links to the store and the bus.
 */
export function ScaleHealthTable({ rows }: ScaleHealthTableProps) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-left text-sm">
        <caption className="sr-only">Each instance&apos;s health and its links</caption>
        <thead className="border-b border-slate-200 text-slate-700">
          <tr>
            <th scope="col" className="px-3 py-2 font-semibold">
              Instance
            </th>
            <th scope="col" className="px-3 py-2 font-semibold">
              /health
            </th>
            {LINKS.map(([name, title]) => (
              <th key={name} scope="col" className="px-3 py-2 font-semibold">
                {title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ name, check }) => {
            const { word, style } = status(check);
            const report = check?.state === "healthy" ? check.report : check?.report;
            return (
              <tr key={name} data-testid="scale-health-row" data-instance={name} className="border-b border-slate-100 align-top">
                <th scope="row" className="px-3 py-2 font-mono font-semibold">
                  {name}
                </th>
                <td className="px-3 py-2">
                  <span data-testid="scale-health-status" className={`font-semibold ${style}`}>
                    {word}
                  </span>
                  {check?.state === "down" && !check.report && <span className="block text-xs text-rose-800">{check.message}</span>}
                </td>
                {LINKS.map(([link]) => (
                  <LinkCell key={link} name={link} link={report?.checks?.[link]} check={check} />
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
