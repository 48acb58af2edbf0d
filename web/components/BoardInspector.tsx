import type { BoardState, PendingOp, ReconcileEntry } from "@/lib/boardState";

const STATUS_STYLE: Record<PendingOp["status"], string> = {
  queued: "bg-slate-200 text-slate-700",
  sent: "bg-amber-100 text-amber-800",
  acked: "bg-emerald-100 text-emerald-800",
};

const KIND_STYLE: Partial<Record<ReconcileEntry["kind"], string>> = {
  rejected: "text-rose-700",
  dropped: "text-rose-700",
  confirmed: "text-emerald-700",
  ack: "text-emerald-700",
  buffered: "text-amber-700",
  duplicate: "text-slate-600",
  ignored: "text-slate-600",
  resync: "text-indigo-700",
  snapshot: "text-indigo-700",
  rebased: "text-violet-700",
};

function describe(op: PendingOp): string {
  const { intent } = op;
  switch (intent.kind) {
    case "create":
      return `create "${intent.text.slice(0, 24)}" in ${intent.column}`;
    case "update":
      return `update ${[intent.text !== undefined ? `text "${intent.text.slice(0, 24)}"` : "", intent.color ?? ""].filter(Boolean).join(", ")}`;
    case "move":
      return `move to ${intent.column} @ ${intent.order}`;
    case "delete":
      return "delete";
  }
}

function clock(at: number): string {
  const d = new Date(at);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/**
 * The reducer's insides, live: the confirmed position, the pending-ops queue (in order, with
 * what each waits for) and the reconciliation log (newest first).
 */
export function BoardInspector({ state }: { readonly state: BoardState }) {
  const { confirmed, pending, buffered, log } = state;
  return (
    <section aria-labelledby="inspector-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id="inspector-heading" className="text-lg font-semibold">
        Inside the optimistic reducer
      </h2>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
        <dt className="font-medium text-slate-500">Confirmed position</dt>
        <dd data-testid="inspector-position" className="font-mono">
          {confirmed.position ?? "–"} (seq {confirmed.seq}, {Object.keys(confirmed.notes).length} notes)
        </dd>
        <dt className="font-medium text-slate-500">Synced</dt>
        <dd>{state.synced ? "yes" : "no: waiting for a snapshot"}</dd>
        <dt className="font-medium text-slate-500">Buffered events</dt>
        <dd className="font-mono">{buffered.length ? buffered.map((e) => e.payload.seq).join(", ") : "none"}</dd>
      </dl>

      <div className="space-y-2">
        <h3 className="text-sm font-semibold text-slate-700">Pending ops ({pending.length})</h3>
        {pending.length === 0 ? (
          <p className="text-sm text-slate-500">None: the view is exactly the confirmed state.</p>
        ) : (
          <table data-testid="inspector-pending" className="w-full text-left text-xs">
            <thead className="text-slate-500">
              <tr>
                <th className="py-1 pr-2 font-medium">#</th>
                <th className="py-1 pr-2 font-medium">opId</th>
                <th className="py-1 pr-2 font-medium">op</th>
                <th className="py-1 pr-2 font-medium">base</th>
                <th className="py-1 pr-2 font-medium">status</th>
                <th className="py-1 font-medium">request</th>
              </tr>
            </thead>
            <tbody className="font-mono">
              {pending.map((op, i) => (
                <tr key={op.opId} data-testid="inspector-pending-op" data-status={op.status} className="border-t border-slate-100">
                  <td className="py-1 pr-2">{i + 1}</td>
                  <td className="py-1 pr-2" title={op.opId}>
                    {op.opId.slice(0, 11)}
                  </td>
                  <td className="py-1 pr-2 font-sans">{describe(op)}</td>
                  <td className="py-1 pr-2">{op.after ? `after ${op.after.slice(0, 11)}` : op.intent.kind === "create" ? "–" : `v${op.baseVersion}`}</td>
                  <td className="py-1 pr-2">
                    <span className={`rounded px-1.5 py-0.5 font-sans ${STATUS_STYLE[op.status]}`}>
                      {op.status}
                      {op.acked ? ` → seq ${op.acked.seq}` : ""}
                    </span>
                  </td>
                  <td className="py-1">
                    {op.requestId ?? "–"}
                    {op.sends > 1 ? ` (sent ${op.sends}×)` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <div className="space-y-2">
        <h3 className="text-sm font-semibold text-slate-700">Reconciliation log</h3>
        <ol data-testid="inspector-log" className="max-h-80 space-y-0.5 overflow-y-auto font-mono text-xs">
          {[...log].reverse().map((entry) => (
            <li key={entry.n} data-kind={entry.kind} className={KIND_STYLE[entry.kind] ?? ""}>
              <span className="text-slate-600">{clock(entry.at)}</span> <span className="font-semibold">{entry.kind}</span> {entry.text}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
