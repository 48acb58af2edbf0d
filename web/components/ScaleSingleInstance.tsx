/**
 * What the page says on a backend that is one process (`make dev`): nothing is shared,
 * and how to start the scaled-out topology instead.
 */
export function ScaleSingleInstance() {
  return (
    <div role="status" data-testid="scale-single" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950">
      <p className="font-semibold">This backend is a single instance: its own store, its own hub, no bus.</p>
      <p>
        The board below works, but there is no second server to share it with, so nothing on this page can show an
        event crossing from one instance to another. Stop <code>make dev</code> and start the scaled-out topology:
      </p>
      <pre tabIndex={0} className="overflow-x-auto rounded bg-slate-900 px-3 py-2 text-xs text-slate-100">
        <code>make scale    # redis, nats, instances a b c, HAProxy on :8000, this app on :3000</code>
      </pre>
      <p>
        It needs <code>redis-server</code>, <code>nats-server</code> and <code>haproxy</code> (
        <code>sudo ./scripts/install-deps.sh</code> installs them). Then open this page again on{" "}
        <code>http://localhost:3000/phases/7</code>.
      </p>
    </div>
  );
}
