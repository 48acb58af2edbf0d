"use client";

import type { BoardLink } from "@/lib/useBoard";

const BUTTON = "rounded-md border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-50 disabled:opacity-50";

export interface LinkControlsProps {
  readonly link: BoardLink;
}

/** Break the link on purpose: drop it, stop hearing the server, go offline and back. */
export function LinkControls({ link }: LinkControlsProps) {
  const { controls, deaf, supervisor } = link;
  const connected = supervisor.phase.kind === "open" || supervisor.phase.kind === "connecting";
  const offline = supervisor.phase.kind === "offline" && supervisor.phase.by === "you";
  return (
    <div className="flex flex-wrap gap-2" role="group" aria-label="Break the link">
      <button type="button" data-testid="link-drop" className={BUTTON} onClick={controls.drop} disabled={!connected}>
        Drop the link
      </button>
      <button type="button" data-testid="link-deaf" aria-pressed={deaf} className={BUTTON} onClick={() => controls.setDeaf(!deaf)}>
        {deaf ? "Answer again" : "Stop answering (half-open)"}
      </button>
      {offline ? (
        <button type="button" data-testid="link-online" className={BUTTON} onClick={controls.backOnline}>
          Back online
        </button>
      ) : (
        <button type="button" data-testid="link-offline" className={BUTTON} onClick={controls.goOffline} disabled={supervisor.phase.kind === "stopped"}>
          Go offline
        </button>
      )}
    </div>
  );
}
