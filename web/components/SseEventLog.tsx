import type { LogEntry } from "@/lib/sseStream";

/**
 * Every event the stream delivered, newest first: name, its own id (messages only: presence
 * events are not numbered), data, arrival time; events missed while disconnected and
 * replayed on the reconnection are marked.
 */
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
                <td className="px-2 py-1 whitespace-nowrap text-slate-600">{new Date(e.at).toLocaleTimeString()}</td>
                <td className="px-2 py-1 font-mono whitespace-nowrap">{e.event}</td>
                <td className="px-2 py-1 font-mono whitespace-nowrap text-slate-600" data-testid="sse-log-id">
                  {e.id || "–"}
                  {e.replayed && <span className="ml-1 rounded bg-indigo-100 px-1 font-sans text-indigo-800">replayed</span>}
                </td>
                <td className="px-2 py-1 font-mono break-all">{e.data}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
