"use client";

import { useEffect, useState } from "react";

import type { DeliveryLog } from "@/lib/generated/protocolLab";

/** How often the log is read while the hook exists, ms. */
const REFRESH_MS = 2_000;

/**
 * The hook's delivery log as the server keeps it (`GET /boards/:board/webhooks/:id/deliveries`):
 * one row per event, as its latest attempt left it. The last one read stays on screen
 * after the hook is removed.
 */
export function LabDeliveryLog({ backendUrl, board, hookId, running }: { readonly backendUrl: string; readonly board: string; readonly hookId: string | null; readonly running: boolean }) {
  const [log, setLog] = useState<DeliveryLog | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (hookId === null || !running) return;
    const abort = new AbortController();
    const read = async () => {
      try {
        const res = await fetch(`${backendUrl}/boards/${board}/webhooks/${hookId}/deliveries`, { credentials: "include", cache: "no-store", signal: abort.signal });
        if (!res.ok) throw new Error(`the delivery log answered ${res.status}`);
        setLog((await res.json()) as DeliveryLog);
        setProblem(null);
      } catch (e) {
        if (!abort.signal.aborted) setProblem(e instanceof Error ? e.message : String(e));
      }
    };
    void read();
    const timer = setInterval(() => void read(), REFRESH_MS);
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [backendUrl, board, hookId, running]);

  return (
    <section aria-labelledby="lab-log-heading" className="space-y-2 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id="lab-log-heading" className="text-lg font-semibold">
        The webhook&apos;s delivery log
      </h2>
      <p className="text-sm text-slate-600">
        What the server recorded of each attempt, newest first{log ? ` — hook ${log.webhook.id}, ${log.webhook.status}` : ""}.
      </p>
      {problem && (
        <p role="alert" className="text-sm text-amber-900">
          {problem}
        </p>
      )}
      <div className="max-h-64 overflow-auto" tabIndex={0} role="region" aria-label="Delivery log rows">
        <table className="w-full text-left text-xs">
          <thead className="text-slate-600">
            <tr>
              <th className="pr-3 font-medium">seq</th>
              <th className="pr-3 font-medium">event</th>
              <th className="pr-3 font-medium">outcome</th>
              <th className="pr-3 font-medium">status</th>
              <th className="pr-3 font-medium">attempts</th>
              <th className="pr-3 font-medium">took</th>
            </tr>
          </thead>
          <tbody className="font-mono">
            {(log?.deliveries ?? []).slice(0, 50).map((d) => (
              <tr key={d.id} data-testid="lab-delivery-row" data-outcome={d.outcome}>
                <td className="pr-3">{d.seq}</td>
                <td className="pr-3">{d.event}</td>
                <td className="pr-3">{d.outcome}</td>
                <td className="pr-3">{d.statusCode ?? d.error ?? "–"}</td>
                <td className="pr-3">{d.attempts}</td>
                <td className="pr-3">{d.latencyMs} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
