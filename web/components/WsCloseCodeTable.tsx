import { describeVerdict } from "@/lib/closeReport";
import { CLOSE_CODES } from "@/lib/generated/closeCodes";

/**
 * The close-code table, straight from the generated file: the same rows the server's Rust
 * defines (`phases/3-websocket/src/rfc6455/close.rs`) and the inspector uses to explain a close.
 */
export function WsCloseCodeTable() {
  return (
    <div className="overflow-x-auto rounded-md border border-slate-200">
      <table data-testid="ws-close-code-table" className="w-full text-left text-sm">
        <thead className="bg-slate-100 text-slate-600">
          <tr>
            <th className="px-2 py-1">code</th>
            <th className="px-2 py-1">name</th>
            <th className="px-2 py-1">meaning (the reason the server sends)</th>
            <th className="px-2 py-1">client should</th>
          </tr>
        </thead>
        <tbody>
          {CLOSE_CODES.map((row) => (
            <tr key={row.code} className="border-t border-slate-100">
              <td className="px-2 py-1 font-mono">{row.code}</td>
              <td className="px-2 py-1 font-mono text-slate-600">{row.name}</td>
              <td className="px-2 py-1">
                {row.reason}
                {!row.sentOnWire && <span className="ml-1 text-xs text-amber-700">(never on the wire)</span>}
              </td>
              <td className="px-2 py-1">{describeVerdict(row.verdict)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
