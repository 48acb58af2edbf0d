import { bars, linePoints, niceCeiling } from "@/lib/labChart";

const WIDTH = 240;
const HEIGHT = 64;

/** A sparkline of the latest latencies (ms), scaled from zero to a round maximum. */
export function LabLatencyChart({ latencies, label }: { readonly latencies: readonly number[]; readonly label: string }) {
  const max = niceCeiling(Math.max(0, ...latencies));
  return (
    <figure className="space-y-1">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT} role="img" aria-label={`${label}: latency of the last ${latencies.length} events, 0 to ${max} ms`} className="rounded bg-slate-50">
        <line x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} className="stroke-slate-300" />
        {latencies.length > 0 && <polyline points={linePoints(latencies, max, WIDTH, HEIGHT - 2)} fill="none" className="stroke-indigo-600" strokeWidth={1.5} />}
      </svg>
      <figcaption className="flex justify-between text-xs text-slate-500">
        <span>latency per event, last {latencies.length}</span>
        <span>0–{max} ms</span>
      </figcaption>
    </figure>
  );
}

/** One figure across the transports, as bars with their values written under them. */
export function LabBarChart({
  title,
  unit,
  labels,
  values,
  testId,
}: {
  readonly title: string;
  readonly unit: string;
  readonly labels: readonly string[];
  readonly values: readonly (number | null)[];
  readonly testId: string;
}) {
  const max = niceCeiling(Math.max(0, ...values.map((v) => v ?? 0)));
  const shapes = bars(values, max, WIDTH, HEIGHT);
  return (
    <figure className="space-y-1" data-testid={testId}>
      <figcaption className="text-sm font-medium text-slate-700">
        {title} <span className="font-normal text-slate-500">(0–{max} {unit})</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT} role="img" aria-label={`${title}: ${labels.map((l, i) => `${l} ${values[i] ?? "none"}`).join(", ")}`} className="rounded bg-slate-50">
        {shapes.map((b, i) => (
          <rect key={labels[i]} x={b.x} y={b.y} width={b.width} height={b.height} className="fill-indigo-500" />
        ))}
      </svg>
      <div className="grid text-center text-xs text-slate-600" style={{ gridTemplateColumns: `repeat(${labels.length}, minmax(0, 1fr))` }}>
        {labels.map((l, i) => (
          <span key={l}>
            {l}
            <br />
            <span className="font-mono">{values[i] ?? "–"}</span>
          </span>
        ))}
      </div>
    </figure>
  );
}
