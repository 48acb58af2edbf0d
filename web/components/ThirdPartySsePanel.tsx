"use client";

import { useCallback, useRef, useState } from "react";

import { EVENT_SOURCE_OPTIONS, type EventSourceOptionId } from "@/lib/eventSourceOptions";
import { formatBytes } from "@/lib/scriptCost";
import { markReplayed, NUMBERED_EVENTS, parseResume, pushLog, type LogEntry, type Resume } from "@/lib/sseStream";
import { useEventSourceOption, type OptionStreamState } from "@/lib/useEventSourceOption";

import { SseEventLog } from "./SseEventLog";
import { ThirdPartyOptionTable } from "./ThirdPartyOptionTable";

/** The board stream's event types (phase 2's and the board's changes). */
const EVENT_NAMES = ["message", "presence.list", "presence.join", "presence.leave", "note.created", "note.updated", "note.moved", "note.deleted"];

const STATE_STYLE: Record<OptionStreamState, string> = {
  loading: "bg-slate-100 text-slate-700",
  connecting: "bg-amber-100 text-amber-800",
  retrying: "bg-amber-100 text-amber-800",
  open: "bg-emerald-100 text-emerald-800",
  closed: "bg-rose-100 text-rose-800",
};

function resumeText(resume: Resume | null): string {
  if (resume === null) return "–";
  if (resume.kind === "fresh") return "fresh start";
  if (resume.kind === "reset") return `reset: ${resume.reason}`;
  return `recovered: ${resume.replayed} replayed`;
}

export interface ThirdPartySsePanelProps {
  readonly backendUrl: string;
  readonly board: string;
  /** The option to start with (`?es=` in the address, so a reload keeps it). */
  readonly initialOption: EventSourceOptionId;
}

/** A board's event stream through the chosen EventSource option, switchable live. */
export function ThirdPartySsePanel({ backendUrl, board, initialOption }: ThirdPartySsePanelProps) {
  const [option, setOption] = useState<EventSourceOptionId>(initialOption);
  const [broken, setBroken] = useState(false);
  const [log, setLog] = useState<readonly LogEntry[]>([]);
  const received = useRef(0);

  const onEvent = useCallback((name: string, data: string, id: string) => {
    received.current += 1;
    const resume = parseResume(name, data);
    const entry: LogEntry = { n: received.current, event: name, id: NUMBERED_EVENTS.has(name) ? id : "", data, at: Date.now() };
    setLog((l) => pushLog(resume?.kind === "recovered" ? markReplayed(l, resume.replayed) : l, entry));
  }, []);
  function choose(next: EventSourceOptionId) {
    setOption(next);
    const address = new URL(window.location.href);
    address.searchParams.set("es", next);
    window.history.replaceState(null, "", address);
  }

  const path = broken ? `/boards/${board}/no-such-stream` : `/boards/${board}/events`;
  const stream = useEventSourceOption(option, `${backendUrl}${path}`, EVENT_NAMES, onEvent);
  const cost = stream.cost[option];

  return (
    <section aria-labelledby="es-heading" className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="es-heading" className="text-lg font-semibold">
          Board <code>{board}</code> over Server-Sent Events
        </h2>
        <span role="status" data-testid="es-state" className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STATE_STYLE[stream.state]}`}>
          {stream.state}
        </span>
      </div>

      <fieldset className="flex flex-wrap gap-4">
        <legend className="mb-1 text-sm font-medium text-slate-600">EventSource implementation</legend>
        {EVENT_SOURCE_OPTIONS.map((o) => (
          <label key={o.id} className="flex min-h-11 items-center gap-2 text-sm sm:min-h-0">
            <input type="radio" name="es-option" value={o.id} data-testid={`es-option-${o.id}`} checked={option === o.id} onChange={() => choose(o.id)} />
            {o.label}
          </label>
        ))}
        <label className="flex min-h-11 items-center gap-2 text-sm sm:min-h-0">
          <input type="checkbox" data-testid="es-broken" checked={broken} onChange={(e) => setBroken(e.target.checked)} />
          Point it at a path that answers 404
        </label>
      </fieldset>

      {stream.problem && (
        <p role="alert" className="text-sm text-rose-700">
          {stream.problem}
        </p>
      )}

      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
        <dt className="font-medium text-slate-600">First request</dt>
        <dd className="break-all" data-testid="es-request-url">
          <code>GET {stream.firstRequest?.url ?? "–"}</code>
        </dd>
        <dt className="font-medium text-slate-600">Headers it sent</dt>
        <dd data-testid="es-headers" className="font-mono">
          {stream.firstRequest?.headers.map(([name, value]) => `${name}: ${value}`).join(" · ") ?? "–"}
          <span className="font-sans text-slate-600"> (and the session cookie)</span>
        </dd>
        <dt className="font-medium text-slate-600">Last event id</dt>
        <dd data-testid="es-last-event-id" className="font-mono">
          {stream.lastEventId || "–"}
        </dd>
        <dt className="font-medium text-slate-600">This connection</dt>
        <dd data-testid="es-resume">{resumeText(stream.resume)}</dd>
        <dt className="font-medium text-slate-600">JavaScript it loaded</dt>
        <dd data-testid="es-cost">
          {option === "native"
            ? "none: built into the browser"
            : cost
              ? `${formatBytes(cost.bytes)} (${formatBytes(cost.wireBytes)} on the wire, ${cost.files} ${cost.files === 1 ? "file" : "files"})`
              : "measuring…"}
        </dd>
        <dt className="font-medium text-slate-600">Connection</dt>
        <dd>
          <button type="button" onClick={stream.reconnect} className="rounded border border-slate-300 px-2 text-xs hover:bg-slate-50">
            Reconnect
          </button>
        </dd>
      </dl>

      <ThirdPartyOptionTable chosen={option} />

      <div className="grid gap-5 md:grid-cols-[1fr_2fr]">
        <section aria-labelledby="es-history-heading" className="space-y-2">
          <h3 id="es-history-heading" className="text-sm font-semibold text-slate-700">
            Connection history
          </h3>
          {/* Focusable, so that the keyboard can scroll it. */}
          <div role="log" aria-live="polite" aria-labelledby="es-history-heading" tabIndex={0} className="max-h-96 overflow-y-auto">
            <ol data-testid="es-history" className="space-y-1 text-xs">
              {stream.history.map((h) => (
                <li key={h.n} data-testid="es-history-entry">
                  <span className="text-slate-600">{new Date(h.at).toLocaleTimeString()}</span> <span className="font-mono">{h.option}</span> {h.what}
                </li>
              ))}
            </ol>
          </div>
        </section>
        <SseEventLog log={log} />
      </div>
    </section>
  );
}
