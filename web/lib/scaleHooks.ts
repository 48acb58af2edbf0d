"use client";

/**
 * The `/phases/7` page's questions to the backend, as hooks (the answers are read by
 * `scale.ts` and `health.ts`):
 *
 * - {@link useInstanceProbe}: which instance answers `GET <base>/scale/instance`, asked
 *   again on demand (through the balancer, each request may land on another instance);
 * - {@link usePins}: which instances the balancer can pin to (`/i/a/`, `/i/b/`, …), found
 *   once when the backend says it is scaled out;
 * - {@link useInstancesHealth}: each instance's `/health`, polled every `intervalMs` (a
 *   chain of timeouts, so a slow instance never has two polls in flight), to show its
 *   store and bus links.
 */

import { useCallback, useEffect, useState } from "react";

import { checkHealth, type HealthCheck } from "./health";
import { discoverPins, probeInstance, type InstanceProbe, type PinProbe } from "./scale";

const browserFetch = (input: string, init?: RequestInit) => fetch(input, init);

/** The latest answer of `<baseUrl>/scale/instance` (`null` while asking), and a way to ask again. */
export function useInstanceProbe(baseUrl: string | null): { readonly probe: InstanceProbe | null; readonly askAgain: () => void } {
  const [answer, setAnswer] = useState<{ readonly baseUrl: string; readonly probe: InstanceProbe } | null>(null);
  const [round, setRound] = useState(0);
  const askAgain = useCallback(() => setRound((r) => r + 1), []);
  useEffect(() => {
    if (baseUrl === null) return;
    const abort = new AbortController();
    probeInstance(baseUrl, browserFetch, abort.signal).then(
      (probe) => setAnswer({ baseUrl, probe }),
      () => {
        // aborted: the base changed or the page left
      },
    );
    return () => abort.abort();
  }, [baseUrl, round]);
  // An answer about another base is no answer about this one.
  return { probe: answer !== null && answer.baseUrl === baseUrl ? answer.probe : null, askAgain };
}

/** The pins the balancer at `backendUrl` knows (`null` while looking); looks only while `wanted`. */
export function usePins(backendUrl: string | null, wanted: boolean): readonly PinProbe[] | null {
  const [pins, setPins] = useState<readonly PinProbe[] | null>(null);
  useEffect(() => {
    if (backendUrl === null || !wanted) return;
    const abort = new AbortController();
    discoverPins(backendUrl, browserFetch, abort.signal).then(setPins, () => {
      // aborted
    });
    return () => abort.abort();
  }, [backendUrl, wanted]);
  return pins;
}

/** One place to poll: a name for the page, and the base URL its `/health` is under. */
export interface HealthTarget {
  readonly name: string;
  readonly baseUrl: string;
}

/** Each target's latest `/health` check by name (absent until its first answer). */
export function useInstancesHealth(targets: readonly HealthTarget[], intervalMs = 2_000, timeoutMs = 1_500): Readonly<Record<string, HealthCheck>> {
  const [checks, setChecks] = useState<Readonly<Record<string, HealthCheck>>>({});
  // The effect depends on the targets' content, not on the array's identity.
  const key = targets.map((t) => `${t.name}=${t.baseUrl}`).join(" ");
  useEffect(() => {
    const controller = new AbortController();
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const poll = async ({ name, baseUrl }: HealthTarget): Promise<void> => {
      let check: HealthCheck;
      try {
        check = await checkHealth({ baseUrl, fetch: browserFetch, signal: controller.signal, timeoutMs });
      } catch {
        return; // aborted by cleanup
      }
      if (controller.signal.aborted) return;
      setChecks((previous) => ({ ...previous, [name]: check }));
      const timer = setTimeout(() => {
        timers.delete(timer);
        void poll({ name, baseUrl });
      }, intervalMs);
      timers.add(timer);
    };
    for (const entry of key ? key.split(" ") : []) {
      const at = entry.indexOf("=");
      void poll({ name: entry.slice(0, at), baseUrl: entry.slice(at + 1) });
    }
    return () => {
      controller.abort();
      for (const timer of timers) clearTimeout(timer);
    };
  }, [key, intervalMs, timeoutMs]);
  return checks;
}
