"use client";

import { useState } from "react";

import type { TimelineEntry } from "@/lib/connectionTimeline";
import { timelineText } from "@/lib/timelineText";

const KIND_STYLE: Record<TimelineEntry["kind"], string> = {
  state: "bg-slate-100 text-slate-700",
  delay: "bg-amber-100 text-amber-800",
  verdict: "bg-rose-100 text-rose-800",
  policy: "bg-indigo-100 text-indigo-800",
  heartbeat: "bg-emerald-50 text-emerald-700",
  deadline: "bg-rose-100 text-rose-800",
  resume: "bg-emerald-100 text-emerald-800",
  reset: "bg-amber-100 text-amber-800",
  snapshot: "bg-sky-100 text-sky-800",
  simulation: "bg-violet-100 text-violet-800",
};

export interface ConnectionTimelineProps {
  readonly entries: readonly TimelineEntry[];
}

/** The connection's history, newest first, timed from its first entry; heartbeats can be hidden. */
export function ConnectionTimeline({ entries }: ConnectionTimelineProps) {
  const [heartbeats, setHeartbeats] = useState(true);
  const start = entries[0]?.at ?? 0;
  const shown = (heartbeats ? entries : entries.filter((e) => e.kind !== "heartbeat")).map((entry, index) => ({ entry, index })).reverse();
  return (
    <div className="space-y-2">
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input type="checkbox" checked={heartbeats} onChange={(e) => setHeartbeats(e.target.checked)} data-testid="timeline-heartbeats" />
        show heartbeats
      </label>
      <ol data-testid="connection-timeline" aria-label="Connection timeline" className="max-h-96 space-y-1 overflow-y-auto rounded-md border border-slate-200 bg-white p-2 text-sm">
        {shown.length === 0 && <li className="text-slate-500">Nothing yet.</li>}
        {shown.map(({ entry, index }) => (
          <li
            key={index}
            data-testid="timeline-entry"
            data-kind={entry.kind}
            {...(entry.kind === "delay" ? { "data-delay-ms": entry.delayMs, "data-why": entry.why } : {})}
            {...(entry.kind === "state" ? { "data-to": entry.to } : {})}
            className="flex gap-2"
          >
            <span className="w-20 shrink-0 text-right font-mono text-xs leading-5 text-slate-500">+{((entry.at - start) / 1000).toFixed(3)} s</span>
            <span className={`w-20 shrink-0 rounded px-1.5 text-center text-xs leading-5 ${KIND_STYLE[entry.kind]}`}>{entry.kind}</span>
            <span className="text-slate-800">{timelineText(entry)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
