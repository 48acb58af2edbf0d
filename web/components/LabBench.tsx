"use client";

import { useEffect, useRef, useState } from "react";

import { LatencyClock, seqOfPosition } from "@/lib/labLatency";
import { NO_FIGURES, TRANSPORT_IDS, addBytes, addDelivery, addRequest, setConnections, summarize, type TransportFigures, type TransportId } from "@/lib/labStats";
import { LONG_POLL_WAIT_MS, startPolling, startSse, startWebhook, startWebSocket, type LabSink } from "@/lib/labTransports";

import { LabBarChart } from "./LabChart";
import { LabDeliveryLog } from "./LabDeliveryLog";
import { LabPanel } from "./LabPanel";

const TRANSPORTS: Record<TransportId, { readonly title: string; readonly short: string; readonly how: string }> = {
  "short-poll": { title: "Short polling", short: "short", how: "GET /poll?after= every interval; an answer at once, empty or not." },
  "long-poll": { title: "Long polling", short: "long", how: `GET /poll?after=&wait_ms=${LONG_POLL_WAIT_MS}, held until an event; asked again at once.` },
  sse: { title: "Server-Sent Events", short: "SSE", how: "One EventSource on /boards/:board/events; the server writes each event." },
  websocket: { title: "WebSocket", short: "WS", how: "One socket on /ws, subscribed to the board; each event is a frame." },
  webhook: { title: "Webhook", short: "hook", how: "The server POSTs each event, signed, to its lab receiver; the page follows the receiver." },
};

const INTERVALS_MS = [250, 500, 1_000, 2_000, 5_000] as const;
const RATES_PER_S = [0.5, 1, 2, 5, 10] as const;
/** How often the figures are redrawn while the lab runs, ms. */
const REDRAW_MS = 300;

const BUTTON = "rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50";

type Figures = Record<TransportId, TransportFigures>;
const noFigures = (): Figures => Object.fromEntries(TRANSPORT_IDS.map((id) => [id, NO_FIGURES])) as Figures;

/**
 * The bench: a generator writing chat lines to the board at a chosen rate, the five
 * transports receiving them, their figures as numbers and charts, and the webhook's
 * delivery log.
 */
export function LabBench({ backendUrl, board }: { readonly backendUrl: string; readonly board: string }) {
  const [running, setRunning] = useState(false);
  const [intervalMs, setIntervalMs] = useState<number>(1_000);
  const [rate, setRate] = useState<number>(2);
  const [sent, setSent] = useState({ sent: 0, failed: 0, last: null as string | null });
  const [problems, setProblems] = useState<Partial<Record<TransportId, string | null>>>({});
  const [hookId, setHookId] = useState<string | null>(null);
  // The transports write into `figures` as events come; the screen shows a copy taken
  // every REDRAW_MS (a render per event on five transports would be wasted work).
  const [shown, setShown] = useState<Figures>(noFigures);
  const figures = useRef<Figures>(noFigures());
  const clock = useRef(new LatencyClock<TransportId>());
  const interval = useRef(intervalMs);
  useEffect(() => {
    interval.current = intervalMs;
  }, [intervalMs]);

  // The five transports, started together and stopped together.
  useEffect(() => {
    if (!running) return;
    figures.current = noFigures();
    clock.current = new LatencyClock<TransportId>();
    setProblems({});
    const update = (id: TransportId, change: (f: TransportFigures) => TransportFigures) => {
      figures.current = { ...figures.current, [id]: change(figures.current[id]) };
    };
    const sink = (id: TransportId): LabSink => ({
      arrived(seq) {
        const timed = clock.current.arrived(id, seq, performance.now());
        if (timed) update(id, (f) => addDelivery(f, seq, timed.latencyMs));
      },
      request: (bytes) => update(id, (f) => addRequest(f, bytes)),
      bytes: (bytes) => update(id, (f) => addBytes(f, bytes)),
      connections: (n) => update(id, (f) => setConnections(f, n)),
      problem: (text) => setProblems((p) => (p[id] === text ? p : { ...p, [id]: text })),
    });
    const target = { backendUrl, board };
    const stops = [
      startPolling(target, sink("short-poll"), 0, () => interval.current),
      startPolling(target, sink("long-poll"), LONG_POLL_WAIT_MS, () => 0),
      startSse(target, sink("sse")),
      startWebSocket(target, sink("websocket")),
      startWebhook(target, sink("webhook"), setHookId),
    ];
    const timer = setInterval(() => setShown(figures.current), REDRAW_MS);
    return () => {
      for (const stop of stops) stop();
      clearInterval(timer);
      setShown(figures.current);
    };
  }, [running, backendUrl, board]);

  // The generator: one chat line per 1/rate s, each timed from the moment it is sent.
  useEffect(() => {
    if (!running) return;
    setSent({ sent: 0, failed: 0, last: null });
    let n = 0;
    const send = async () => {
      n += 1;
      const mine = n;
      clock.current.sent(mine, performance.now());
      try {
        const res = await fetch(`${backendUrl}/boards/${board}/messages`, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text: `lab event ${mine}` }),
        });
        if (!res.ok) throw new Error(`POST /messages answered ${res.status}`);
        const seq = seqOfPosition(((await res.json()) as { position?: string }).position ?? "");
        if (seq === null) throw new Error("the answer named no position");
        for (const t of clock.current.answered(mine, seq)) {
          figures.current = { ...figures.current, [t.transport]: addDelivery(figures.current[t.transport], t.seq, t.latencyMs) };
        }
        setSent((s) => ({ ...s, sent: s.sent + 1 }));
      } catch (e) {
        setSent((s) => ({ ...s, failed: s.failed + 1, last: e instanceof Error ? e.message : String(e) }));
      }
    };
    const timer = setInterval(() => void send(), 1_000 / rate);
    return () => clearInterval(timer);
  }, [running, rate, backendUrl, board]);

  const all = TRANSPORT_IDS.map((id) => summarize(shown[id]));
  const labels = TRANSPORT_IDS.map((id) => TRANSPORTS[id].short);
  const round = (v: number | null) => (v === null ? null : Math.round(v));

  return (
    <div className="space-y-6">
      <section aria-labelledby="lab-controls-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 id="lab-controls-heading" className="text-lg font-semibold">
          The bench: board <code>{board}</code>
        </h2>
        <div className="flex flex-wrap items-end gap-6">
          <label className="flex flex-col text-sm">
            <span className="font-medium text-slate-600">Short-polling interval</span>
            <select data-testid="lab-interval" className="rounded-md border border-slate-300 px-2 py-1" value={intervalMs} onChange={(e) => setIntervalMs(Number(e.target.value))}>
              {INTERVALS_MS.map((ms) => (
                <option key={ms} value={ms}>
                  {ms} ms
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col text-sm">
            <span className="font-medium text-slate-600">Event rate</span>
            <select data-testid="lab-rate" className="rounded-md border border-slate-300 px-2 py-1" value={rate} onChange={(e) => setRate(Number(e.target.value))}>
              {RATES_PER_S.map((r) => (
                <option key={r} value={r}>
                  {r} per second
                </option>
              ))}
            </select>
          </label>
          <button type="button" data-testid="lab-start" className={BUTTON} disabled={running} onClick={() => setRunning(true)}>
            Start
          </button>
          <button type="button" data-testid="lab-stop" className={BUTTON} disabled={!running} onClick={() => setRunning(false)}>
            Stop
          </button>
        </div>
        <p role="status" data-testid="lab-sent" className="text-sm text-slate-600">
          {running ? "Running: " : "Stopped. "}
          {sent.sent} events sent{sent.failed > 0 ? `, ${sent.failed} failed (${sent.last})` : ""}.
        </p>
      </section>

      <section aria-labelledby="lab-compare-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 id="lab-compare-heading" className="text-lg font-semibold">
          The trade-offs, side by side
        </h2>
        <div className="grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
          <LabBarChart testId="lab-chart-p50" title="Latency p50" unit="ms" labels={labels} values={all.map((s) => round(s.p50))} />
          <LabBarChart testId="lab-chart-p95" title="Latency p95" unit="ms" labels={labels} values={all.map((s) => round(s.p95))} />
          <LabBarChart testId="lab-chart-bytes" title="Bytes per event" unit="B" labels={labels} values={all.map((s) => s.bytesPerEvent)} />
          <LabBarChart testId="lab-chart-requests" title="Requests made" unit="" labels={labels} values={all.map((s) => s.requests)} />
          <LabBarChart testId="lab-chart-connections" title="Connections held" unit="" labels={labels} values={all.map((s) => s.connections)} />
        </div>
      </section>

      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        {TRANSPORT_IDS.map((id) => (
          <LabPanel key={id} id={id} title={TRANSPORTS[id].title} how={TRANSPORTS[id].how} figures={shown[id]} problem={problems[id] ?? null} />
        ))}
      </div>

      <LabDeliveryLog backendUrl={backendUrl} board={board} hookId={hookId} running={running} />
    </div>
  );
}
