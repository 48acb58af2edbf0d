"use client";

import { useEffect, useState } from "react";

import type { BoardConnection } from "@/lib/useBoard";

const STYLE: Record<BoardConnection["state"], string> = {
  "no-identity": "bg-slate-100 text-slate-700",
  connecting: "bg-amber-100 text-amber-800",
  open: "bg-emerald-100 text-emerald-800",
  offline: "bg-rose-100 text-rose-800",
};

/** Seconds until `at`, refreshed every second while there is one. */
function useCountdown(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === null) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [at]);
  return at === null ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

function label(connection: BoardConnection, seconds: number | null): string {
  switch (connection.state) {
    case "no-identity":
      return "pick a name to join";
    case "connecting":
      return "connecting…";
    case "open":
      return connection.synced ? "live" : "syncing…";
    case "offline":
      if (connection.retrying) return seconds === null ? "offline · reconnecting…" : `offline · retrying in ${seconds} s`;
      return connection.reason ? `disconnected: ${connection.reason}` : "offline";
  }
}

/** The board's connection in a word: live, syncing, connecting, offline (and when it retries). */
export function BoardConnectionBadge({ connection }: { readonly connection: BoardConnection }) {
  const seconds = useCountdown(connection.state === "offline" ? connection.retryAt : null);
  const state = connection.state === "open" && connection.synced ? "live" : connection.state;
  return (
    <span
      data-testid="board-connection"
      data-state={state}
      role="status"
      className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STYLE[connection.state]}`}
    >
      {label(connection, seconds)}
    </span>
  );
}
