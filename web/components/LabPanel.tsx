import type { TransportFigures, TransportId } from "@/lib/labStats";
import { summarize } from "@/lib/labStats";

import { LabLatencyChart } from "./LabChart";

/** One transport's figures: what arrived, how late, what it cost, what it holds. */
export function LabPanel({
  id,
  title,
  how,
  figures,
  problem,
}: {
  readonly id: TransportId;
  readonly title: string;
  readonly how: string;
  readonly figures: TransportFigures;
  readonly problem: string | null;
}) {
  const s = summarize(figures);
  const ms = (v: number | null) => (v === null ? "–" : `${Math.round(v)} ms`);
  return (
    <section aria-labelledby={`lab-${id}-heading`} data-testid={`lab-panel-${id}`} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h3 id={`lab-${id}-heading`} className="font-semibold">
        {title}
      </h3>
      <p className="text-xs text-slate-600">{how}</p>
      <dl className="grid grid-cols-2 gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-600">Events received</dt>
        <dd className="font-mono" data-testid={`lab-received-${id}`}>
          {s.received}
        </dd>
        <dt className="text-slate-600">Latency p50 / p95</dt>
        <dd className="font-mono" data-testid={`lab-latency-${id}`}>
          {ms(s.p50)} / {ms(s.p95)}
        </dd>
        <dt className="text-slate-600">Requests made</dt>
        <dd className="font-mono" data-testid={`lab-requests-${id}`}>
          {s.requests}
        </dd>
        <dt className="text-slate-600">Bytes per event</dt>
        <dd className="font-mono" data-testid={`lab-bytes-${id}`}>
          {s.bytesPerEvent ?? "–"}
        </dd>
        <dt className="text-slate-600">Connections held</dt>
        <dd className="font-mono" data-testid={`lab-connections-${id}`}>
          {s.connections}
        </dd>
      </dl>
      <LabLatencyChart latencies={figures.latencies} label={title} />
      {problem && (
        <p role="alert" data-testid={`lab-problem-${id}`} className="rounded bg-amber-50 p-2 text-xs text-amber-900">
          {problem}
        </p>
      )}
    </section>
  );
}
