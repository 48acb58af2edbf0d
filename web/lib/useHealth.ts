"use client";

/**
 * Polls the backend's `GET /health`: once on mount, then again `intervalMs` after each
 * answer (a chain of timeouts, not `setInterval`, so a slow backend never has two polls
 * in flight). Nothing is polled until the backend's address is known (`lib/useRuntimeConfig.tsx`).
 *
 * This is the naive way to follow a server's state over plain HTTP: the client asks again
 * and again, most answers say nothing new, and a change is seen up to `intervalMs` late.
 * Phase 2 (Server-Sent Events) and phase 3 (WebSocket) let the server push instead.
 */

import { useEffect, useState } from "react";

import { useBackendUrl } from "./useRuntimeConfig";
import { checkHealth, type HealthCheck } from "./health";

export interface UseHealthOptions {
  /** Pause between an answer and the next request, in ms. Default 2000. */
  readonly intervalMs?: number;
  /** Per-request deadline in ms, after which the backend counts as down. Default 1500. */
  readonly timeoutMs?: number;
}

export interface HealthPoll {
  /** The backend base URL being polled; `null` until it is known (nothing is polled). */
  readonly baseUrl: string | null;
  readonly intervalMs: number;
  /** The latest completed check; `null` until the first answer (or failure). */
  readonly check: HealthCheck | null;
  /** How many checks have completed since mount. */
  readonly checks: number;
}

interface PollState {
  readonly check: HealthCheck | null;
  readonly checks: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 2_000;
export const DEFAULT_POLL_TIMEOUT_MS = 1_500;

export function useHealth({
  intervalMs = DEFAULT_POLL_INTERVAL_MS,
  timeoutMs = DEFAULT_POLL_TIMEOUT_MS,
}: UseHealthOptions = {}): HealthPoll {
  const baseUrl = useBackendUrl();
  const [state, setState] = useState<PollState>({ check: null, checks: 0 });

  useEffect(() => {
    if (baseUrl === null) return;
    const polled = baseUrl;
    // One controller per effect run: cleanup aborts the request in flight and stops the
    // chain, so React's development double-mount or a URL change never leaves a poller behind.
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;

    async function poll(): Promise<void> {
      let check: HealthCheck;
      try {
        check = await checkHealth({
          baseUrl: polled,
          fetch: (input, init) => fetch(input, init),
          signal: controller.signal,
          timeoutMs,
        });
      } catch {
        return; // aborted by cleanup
      }
      if (controller.signal.aborted) return; // cleanup ran while the answer was on its way
      setState((previous) => ({ check, checks: previous.checks + 1 }));
      timer = setTimeout(() => void poll(), intervalMs);
    }

    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [baseUrl, intervalMs, timeoutMs]);

  return { baseUrl, intervalMs, check: state.check, checks: state.checks };
}
