"use client";

import { Fragment, useState } from "react";

import { prettyJson, type FrameDirection, type FrameLogEntry } from "@/lib/wsFrames";

export interface WsFrameTableProps {
  readonly log: readonly FrameLogEntry[];
  /** When the connection opened, for the "+ms" column; `null` shows clock time only. */
  readonly openedAt: number | null;
  /** Prefix of the `data-testid`s (`ws`, `echo`). */
  readonly idPrefix: string;
  readonly onClear: () => void;
}

const ARROW: Record<FrameDirection, string> = { in: "↓ in", out: "↑ out", local: "· local" };
const ROW_STYLE: Record<FrameDirection, string> = {
  in: "",
  out: "bg-sky-50/60",
  local: "bg-slate-50 text-slate-500 italic",
};

function clock(at: number): string {
  const d = new Date(at);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function typeStyle(entry: FrameLogEntry): string {
  if (entry.type === "error" || entry.kind === "close") return "text-rose-700";
  if (entry.type === "ack" || entry.type === "pong" || entry.kind === "open") return "text-emerald-700";
  return "";
}

/**
 * Every message of one connection, newest first: direction, type (the envelope's `type`),
 * request id, payload size and size on the wire, time; click a row to see its JSON.
 */
export function WsFrameTable({ log, openedAt, idPrefix, onClear }: WsFrameTableProps) {
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const toggle = (n: number) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (!next.delete(n)) next.add(n);
      return next;
    });
  const rows = [...log].reverse();

  return (
    <section aria-label="Frames" className="space-y-2">
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-semibold text-slate-700">
          Frames (<span data-testid={`${idPrefix}-frame-count`}>{log.length}</span>, newest first)
        </h3>
        <button type="button" onClick={onClear} className="rounded border border-slate-300 px-2 text-xs hover:bg-slate-50">
          Clear
        </button>
      </div>
      <div className="max-h-[28rem] overflow-y-auto rounded-md border border-slate-200">
        <table className="w-full text-left text-xs">
          <thead className="sticky top-0 bg-slate-100 text-slate-600">
            <tr>
              <th className="px-2 py-1">#</th>
              <th className="px-2 py-1">dir</th>
              <th className="px-2 py-1">type</th>
              <th className="px-2 py-1">id</th>
              <th className="px-2 py-1 text-right" title="payload bytes / bytes on the wire (frame header, and the 4-byte mask on frames the page sends)">
                size
              </th>
              <th className="px-2 py-1">time</th>
              <th className="px-2 py-1">data</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => {
              const open = expanded.has(e.n);
              const pretty = open && e.kind === "text" ? prettyJson(e.text) : null;
              return (
                <Fragment key={e.n}>
                  <tr
                    data-testid={`${idPrefix}-frame`}
                    data-direction={e.direction}
                    data-type={e.type}
                    className={`cursor-pointer border-t border-slate-100 hover:bg-indigo-50/50 ${ROW_STYLE[e.direction]}`}
                    onClick={() => toggle(e.n)}
                  >
                    <td className="px-2 py-1 whitespace-nowrap text-slate-600">
                      <button type="button" aria-expanded={open} aria-label={`Frame ${e.n} details`} className="font-mono">
                        {open ? "▾" : "▸"} {e.n}
                      </button>
                    </td>
                    <td className="px-2 py-1 whitespace-nowrap">{ARROW[e.direction]}</td>
                    <td className={`px-2 py-1 font-mono whitespace-nowrap ${typeStyle(e)}`}>{e.type}</td>
                    <td className="px-2 py-1 font-mono whitespace-nowrap text-slate-500">
                      {e.id ?? ""}
                      {e.reply && (
                        <span className="ml-1 text-emerald-700" title={`answers ${e.reply.to}`}>
                          ↩ {e.reply.rttMs} ms
                        </span>
                      )}
                    </td>
                    <td className="px-2 py-1 text-right font-mono whitespace-nowrap">
                      {e.direction === "local" ? "" : `${e.bytes} / ${e.wireBytes}`}
                    </td>
                    <td className="px-2 py-1 font-mono whitespace-nowrap text-slate-500">
                      {clock(e.at)}
                      {openedAt !== null && e.at >= openedAt && e.direction !== "local" && (
                        <span className="ml-1 text-slate-600">+{e.at - openedAt}</span>
                      )}
                    </td>
                    <td className="max-w-xs truncate px-2 py-1 font-mono" data-testid={`${idPrefix}-frame-data`}>
                      {e.text}
                    </td>
                  </tr>
                  {open && (
                    <tr className="border-t border-slate-100 bg-slate-900 text-slate-100">
                      <td colSpan={7} className="px-3 py-2">
                        <pre data-testid={`${idPrefix}-frame-json`} className="overflow-x-auto font-mono text-xs whitespace-pre-wrap">
                          {pretty ?? e.text}
                        </pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
        {log.length === 0 && <p className="p-3 text-sm text-slate-500">Nothing yet.</p>}
      </div>
    </section>
  );
}
