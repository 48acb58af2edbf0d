import type { LogEntry } from "@/lib/sseStream";

/** Every event the stream delivered, newest first: name, id, data, arrival time. */
export function SseEventLog({ log }: { readonly log: readonly LogEntry[] }) {
  return (
    <section aria-labelledby="log-heading" className="space-y-2">
      <h3 id="log-heading" className="text-sm font-semibold text-slate-700">
        Event log ({log.length})
      </h3>
      <div className="max-h-96 overflow-y-auto rounded-md border border-slate-200">
        <table className="w-full text-left text-xs">
          <thead className="sticky top-0 bg-slate-100 text-slate-600">
            <tr>
              <th className="px-2 py-1">time</th>
              <th className="px-2 py-1">event</th>
              <th className="px-2 py-1">id</th>
              <th className="px-2 py-1">data</th>
            </tr>
          </thead>
          <tbody data-testid="sse-log">
            {log.map((e) => (
              <tr
                key={e.n}
                data-testid="sse-log-entry"
                className={e.event === "reset" ? "bg-amber-50" : "border-t border-slate-100"}
              >
                <td className="px-2 py-1 whitespace-nowrap text-slate-500">{new Date(e.at).toLocaleTimeString()}</td>
                <td className="px-2 py-1 font-mono whitespace-nowrap">{e.event}</td>
                <td className="px-2 py-1 font-mono whitespace-nowrap text-slate-500">{e.id || "–"}</td>
                <td className="px-2 py-1 font-mono break-all">{e.data}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
