"use client";

import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";

import { boardQuery } from "@/lib/boardName";
import { otherPin, pinFromQuery, pinnedBaseUrl, pinnedPageHref, PIN_PARAM, ANY_INSTANCE, topologyOf, type InstanceProbe } from "@/lib/scale";
import { useInstanceProbe, useInstancesHealth, usePins, type HealthTarget } from "@/lib/scaleHooks";
import { RuntimeConfigProvider, useRuntimeConfig } from "@/lib/useRuntimeConfig";

import { Board } from "./Board";
import { ScaleHealthTable } from "./ScaleHealthTable";
import { ScalePinPicker } from "./ScalePinPicker";
import { ScaleSingleInstance } from "./ScaleSingleInstance";

const CARD = "space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-sm";

/** The instance named in an answer, or what went wrong, in words. */
function describeProbe(probe: InstanceProbe | null): string {
  if (probe === null) return "asking…";
  return probe.kind === "answered" ? probe.answer.instance : probe.message;
}

/**
 * Phase 7's demo: which instance serves this window, the instances' health, the choice of
 * instance (`?via=a`, or `any` for the balancer) and the board `?board=` (default `demo`)
 * through that choice. The board is phase 4's, unchanged: it is given the pinned base URL
 * as its backend (a nested {@link RuntimeConfigProvider}), so its session, its WebSocket
 * and its presence all go to the chosen instance.
 */
export function ScaleDemo() {
  const params = useSearchParams();
  const query = boardQuery(params.get("board"));
  const fromAddress = params.get(PIN_PARAM);
  // A click's choice shows at once: the address (`replaceState`) reaches
  // `useSearchParams` a moment later, and a radio bound to the address alone would spring
  // back to the old choice in between. Kept until the address says the same.
  const [chosen, setChosen] = useState<{ readonly param: string; readonly pin: string | null } | null>(null);
  if (chosen !== null && chosen.param === fromAddress) setChosen(null);
  const asked = chosen !== null ? chosen.pin : pinFromQuery(fromAddress);
  const config = useRuntimeConfig();
  const backendUrl = config.status === "ready" ? config.config.backendUrl : null;

  // Through the balancer (or the one backend): what kind of deployment is this?
  const front = useInstanceProbe(backendUrl);
  const topology = front.probe?.kind === "answered" ? topologyOf(front.probe.answer) : null;
  const single = topology === "single";
  const pins = usePins(backendUrl, topology !== null && !single);
  const pinNames = useMemo(() => (pins ?? []).map((p) => p.pin), [pins]);
  const unknownPin = asked !== null && pins !== null && !pinNames.includes(asked);
  const pin = single || unknownPin ? null : asked;
  const base = backendUrl === null ? null : pinnedBaseUrl(backendUrl, pin);

  // Which instance answers this window's base, asked again on demand.
  const served = useInstanceProbe(front.probe === null ? null : base);

  const targets = useMemo<HealthTarget[]>(() => {
    if (backendUrl === null || topology === null) return [];
    if (single || pinNames.length === 0) return [{ name: describeProbe(front.probe), baseUrl: backendUrl }];
    return pinNames.map((name) => ({ name, baseUrl: pinnedBaseUrl(backendUrl, name) }));
  }, [backendUrl, topology, single, pinNames, front.probe]);
  const health = useInstancesHealth(targets);

  function choose(next: string | null) {
    const param = next ?? ANY_INSTANCE;
    setChosen({ param, pin: next });
    const url = new URL(window.location.href);
    url.searchParams.set(PIN_PARAM, param);
    window.history.replaceState(null, "", url);
  }

  if (query.kind === "invalid") {
    return (
      <p role="alert" data-testid="board-name-error" className="text-sm text-rose-700">
        {query.message}
      </p>
    );
  }
  if (config.status === "failed") return null; // the layout's alert says why
  const other = otherPin(pinNames, pin);

  return (
    <div className="space-y-6">
      <section aria-labelledby="instance-heading" className={CARD}>
        <h2 id="instance-heading" className="text-lg font-semibold">
          Which server is this window on?
        </h2>
        {front.probe?.kind === "failed" && (
          <p role="alert" className="text-sm text-rose-800">
            The backend did not say which instance it is: {front.probe.message}
          </p>
        )}
        {single && <ScaleSingleInstance />}
        {topology === "store-only" && (
          <p role="status" className="text-sm text-amber-900">
            This instance shares its store but has no bus (<code>--nats-url</code>): changes made on other instances reach
            this window only when it reconnects.
          </p>
        )}
        {topology !== null && !single && pins !== null && pins.length === 0 && (
          <p role="status" data-testid="scale-no-balancer" className="text-sm text-amber-900">
            No balancer in front of this backend answers <code>/i/&lt;name&gt;/</code>, so this window cannot pick an instance.
            Point the app at HAProxy (<code>make scale</code> does) to pin windows.
          </p>
        )}
        {unknownPin && (
          <p role="alert" data-testid="scale-unknown-pin" className="text-sm text-rose-800">
            The balancer knows no instance &ldquo;{asked}&rdquo;: this window goes through the balancer instead.
          </p>
        )}
        {pinNames.length > 0 && <ScalePinPicker pins={pins ?? []} pin={pin} onPick={choose} />}
        <p className="text-sm text-slate-700">
          <code>GET {base ?? "…"}/scale/instance</code> was answered by instance{" "}
          <strong data-testid="scale-served-by" className="font-mono text-lg text-indigo-800">
            {describeProbe(served.probe)}
          </strong>
          {served.probe?.kind === "answered" && (
            <span data-testid="scale-served-links" className="text-slate-600">
              {" "}
              (store: {served.probe.answer.store}, bus: {served.probe.answer.bus})
            </span>
          )}{" "}
          <button type="button" data-testid="scale-ask-again" onClick={served.askAgain} className="ml-1 min-h-11 rounded-md border border-slate-300 px-2 py-0.5 hover:bg-slate-50">
            Ask again
          </button>
        </p>
        {pin === null && pinNames.length > 0 && (
          <p className="text-sm text-slate-600">
            Through the balancer, every request and every WebSocket is placed on its own (leastconn): asking again may name
            another instance than the one holding this board&apos;s connection. Pin the window to know for sure.
          </p>
        )}
        {other !== null && (
          <p className="text-sm">
            <a
              data-testid="scale-open-other"
              href={pinnedPageHref("/phases/7", query.board, other)}
              target="_blank"
              rel="noopener"
              className="inline-flex min-h-11 items-center text-indigo-700 underline"
            >
              Open this board pinned to instance {other} in a new window
            </a>
            <span className="block text-slate-600">
              A window of the same browser is the same person (one entry in the avatars, with two tabs); for a second
              person, open the link in a private window or another browser.
            </span>
          </p>
        )}
      </section>

      <section aria-labelledby="health-heading" className={CARD}>
        <h2 id="health-heading" className="text-lg font-semibold">
          The instances and their links
        </h2>
        <p className="text-sm text-slate-600">Each instance&apos;s <code>/health</code>, every 2 seconds{pinNames.length > 0 ? ", through its pin" : ""}.</p>
        <ScaleHealthTable rows={targets.map(({ name }) => ({ name, check: health[name] }))} />
      </section>

      {config.status === "ready" && base !== null && front.probe !== null && (
        <section aria-labelledby="board-heading" className="space-y-3">
          <h2 id="board-heading" className="text-lg font-semibold">
            The board, through {pin === null ? "the balancer" : `instance ${pin}`}
          </h2>
          <RuntimeConfigProvider config={{ backendUrl: base, bookUrl: config.config.bookUrl }}>
            <Board key={base} initialBoard={query.board} />
          </RuntimeConfigProvider>
        </section>
      )}
    </div>
  );
}
