/** What the static HTML shows where the board will be, until the browser opens it. */
export function BoardLoading() {
  return (
    <p className="rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm text-slate-500 shadow-sm">Opening the board…</p>
  );
}
