"use client";

/**
 * Asks the backend, with a plain `GET`, whether it serves a WebSocket path (see
 * wsTransports.ts: `426` yes, anything else no, with the server's message), and reads
 * `/ws/transports` when asked to. The browser's `WebSocket` could not tell a missing route
 * from a refused or broken handshake.
 */

import { useCallback, useEffect, useState } from "react";

import { parseTransportCounts, probeVerdict, type ProbeVerdict, type TransportCounts } from "./wsTransports";

async function readJson(response: Response): Promise<unknown> {
  return response.json().catch(() => null);
}

/** The verdict for `backendUrl + path` (`null` while asking). */
export function useTransportProbe(backendUrl: string, path: string): ProbeVerdict | null {
  const [answer, setAnswer] = useState<{ readonly path: string; readonly verdict: ProbeVerdict } | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    fetch(`${backendUrl}${path}`, { credentials: "include", cache: "no-store", signal: abort.signal })
      .then(async (response) => probeVerdict(path, response.status, await readJson(response)))
      .catch((error: unknown): ProbeVerdict => ({ kind: "missing", status: 0, message: `Cannot reach ${path}: ${error instanceof Error ? error.message : String(error)}` }))
      .then((verdict) => {
        if (!abort.signal.aborted) setAnswer({ path, verdict });
      });
    return () => abort.abort();
  }, [backendUrl, path]);
  return answer?.path === path ? answer.verdict : null;
}

/** `/ws/transports`, read again by `refresh()`; `null` until the first answer (or when the backend has no phase 6). */
export function useTransportCounts(backendUrl: string): { readonly stats: TransportCounts | null; readonly refresh: () => void } {
  const [stats, setStats] = useState<TransportCounts | null>(null);
  const [round, setRound] = useState(0);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  useEffect(() => {
    const abort = new AbortController();
    fetch(`${backendUrl}/ws/transports`, { credentials: "include", cache: "no-store", signal: abort.signal })
      .then(async (response) => (response.ok ? parseTransportCounts(await readJson(response)) : null))
      .then((next) => {
        if (!abort.signal.aborted) setStats(next);
      })
      .catch(() => {
        // the stats are a bonus: without them the panel says so
      });
    return () => abort.abort();
  }, [backendUrl, round]);
  return { stats, refresh };
}
