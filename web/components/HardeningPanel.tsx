"use client";

import type { BoardLink } from "@/lib/useBoard";

import { ConnectionTimeline } from "./ConnectionTimeline";
import { LinkControls } from "./LinkControls";
import { LinkPolicy } from "./LinkPolicy";

export interface HardeningPanelProps {
  readonly link: BoardLink;
}

/** The `/phases/5` view of the board's connection: break it, read the rules, watch what happens. */
export function HardeningPanel({ link }: HardeningPanelProps) {
  return (
    <section aria-label="The connection" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="space-y-2">
          <h2 className="text-sm font-semibold text-slate-700">Break the link</h2>
          <LinkControls link={link} />
        </div>
        <LinkPolicy supervisor={link.supervisor} />
      </div>
      <div className="space-y-2">
        <h2 className="text-sm font-semibold text-slate-700">Connection timeline</h2>
        <ConnectionTimeline entries={link.timeline} />
      </div>
    </section>
  );
}
