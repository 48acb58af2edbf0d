import { describeVerdict, type CloseReport } from "@/lib/closeReport";

export interface WsCloseReportProps {
  readonly report: CloseReport;
  /** Prefix of the `data-testid`s (`ws`, `echo`): one page holds two connections. */
  readonly idPrefix: string;
}

const WHO = {
  client: "this page closed it",
  server: "the server closed it",
  lost: "nobody: the connection was lost (no closing handshake)",
} as const;

/** "Why was I disconnected?": the close code, the peer's reason, the table's meaning and verdict. */
export function WsCloseReport({ report, idPrefix }: WsCloseReportProps) {
  return (
    <div
      data-testid={`${idPrefix}-close`}
      className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm"
      role="status"
      aria-label="Why the connection closed"
    >
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        <dt className="font-medium text-slate-500">Close code</dt>
        <dd>
          <span data-testid={`${idPrefix}-close-code`} className="font-mono font-semibold">
            {report.code}
          </span>{" "}
          <span className="text-slate-500">{report.name}</span>
          {!report.sentOnWire && (
            <span className="ml-2 text-xs text-amber-700">reported by the browser, never sent in a Close frame</span>
          )}
        </dd>
        <dt className="font-medium text-slate-500">Reason sent</dt>
        <dd data-testid={`${idPrefix}-close-reason`} className="font-mono">
          {report.reason || "(none)"}
        </dd>
        <dt className="font-medium text-slate-500">Meaning</dt>
        <dd data-testid={`${idPrefix}-close-meaning`}>{report.meaning}</dd>
        <dt className="font-medium text-slate-500">What to do</dt>
        <dd data-testid={`${idPrefix}-close-verdict`} data-verdict={report.verdict}>
          {describeVerdict(report.verdict)}
        </dd>
        <dt className="font-medium text-slate-500">Who</dt>
        <dd>
          {WHO[report.initiatedBy]}
          {report.wasClean ? ", cleanly" : ""}
        </dd>
      </dl>
    </div>
  );
}
