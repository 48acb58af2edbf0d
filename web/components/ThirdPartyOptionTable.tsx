import { CAPABILITIES, EVENT_SOURCE_OPTIONS, type EventSourceOptionId } from "@/lib/eventSourceOptions";

/** What each EventSource option can and cannot do (the data of lib/eventSourceOptions.ts); the chosen one is highlighted. */
export function ThirdPartyOptionTable({ chosen }: { readonly chosen: EventSourceOptionId }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="es-capabilities">
        <caption className="pb-2 text-left text-sm font-semibold text-slate-700">What each option can and cannot do</caption>
        <thead className="bg-slate-100 text-slate-600">
          <tr>
            <th scope="col" className="px-2 py-1">
              Question
            </th>
            {EVENT_SOURCE_OPTIONS.map((o) => (
              <th key={o.id} scope="col" className={`px-2 py-1 ${o.id === chosen ? "bg-indigo-100 text-indigo-900" : ""}`}>
                {o.label}
                {o.npm && <span className="block text-xs font-normal">{`${o.npm.version}, ${o.npm.license}`}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {CAPABILITIES.map((row) => (
            <tr key={row.id} className="border-t border-slate-100 align-top">
              <th scope="row" className="px-2 py-1 font-medium text-slate-700">
                {row.question}
              </th>
              {EVENT_SOURCE_OPTIONS.map((o) => {
                const answer = row.answers[o.id];
                return (
                  <td key={o.id} className={`px-2 py-1 ${o.id === chosen ? "bg-indigo-50" : ""}`}>
                    <span aria-hidden="true" className={answer.ok ? "text-emerald-700" : "text-rose-700"}>
                      {answer.ok ? "✓ " : "✗ "}
                    </span>
                    {answer.how}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
