"use client";

import { useEffect, useState } from "react";

import { badgeState, statusWords, type LinkStatus } from "@/lib/connectionWords";

const STYLE: Record<ReturnType<typeof badgeState>, string> = {
  "no-identity": "bg-slate-100 text-slate-700",
  connecting: "bg-amber-100 text-amber-800",
  open: "bg-amber-100 text-amber-800",
  live: "bg-emerald-100 text-emerald-800",
  offline: "bg-rose-100 text-rose-800",
};

/** `Date.now()`, refreshed twice a second while `running`: the countdown's clock. */
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

export interface BoardConnectionBadgeProps {
  readonly connection: LinkStatus;
  /** Our changes the server has not confirmed yet. */
  readonly waitingChanges: number;
}

/**
 * The board's connection in words (`connectionWords.ts`): live, connecting…, reconnecting in
 * 3 s, offline — 2 changes waiting, stopped: why. Screen readers hear a polite live region
 * (`role="status"`) that says each change once, with the whole delay; the ticking countdown
 * is for the eyes only, so it is not read out every second.
 */
export function BoardConnectionBadge({ connection, waitingChanges }: BoardConnectionBadgeProps) {
  const now = useNow(connection.kind === "reconnecting");
  const state = badgeState(connection);
  // Said once per change: the countdown as it stood when the delay was chosen.
  const spokenAt = connection.kind === "reconnecting" ? connection.at - connection.delayMs : now;
  return (
    <>
      <span
        data-testid="board-connection"
        data-state={state}
        data-status={connection.kind}
        aria-hidden="true"
        className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STYLE[state]}`}
      >
        {statusWords(connection, waitingChanges, now)}
      </span>
      <span role="status" aria-live="polite" className="sr-only" data-testid="board-connection-spoken">
        {statusWords(connection, waitingChanges, spokenAt)}
      </span>
    </>
  );
}
