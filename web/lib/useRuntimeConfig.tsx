"use client";

/**
 * Hands the run-time configuration (`lib/runtimeConfig.ts`) to client components.
 *
 * The pages are static, so the HTML cannot carry the backend's address: at start,
 * {@link RuntimeConfigProvider} (in the root layout) asks the web server once,
 * `GET /runtime-config`, and shares the answer. Until it arrives the addresses are `null`:
 * hooks that talk to the backend wait (a socket to `null` is no socket), and nothing ever
 * talks to a guessed address.
 */

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

import { parseRuntimeConfig, type RuntimeConfig } from "./runtimeConfig";

/** Where the configuration is: asked for, known, or unusable (and why). */
export type RuntimeConfigState =
  | { readonly status: "loading" }
  | { readonly status: "ready"; readonly config: RuntimeConfig }
  | { readonly status: "failed"; readonly problem: string };

/** The route that answers the configuration (`app/runtime-config/route.ts`). */
export const RUNTIME_CONFIG_PATH = "/runtime-config";

const RuntimeConfigContext = createContext<RuntimeConfigState | null>(null);

export interface RuntimeConfigProviderProps {
  readonly children: ReactNode;
  /** A known configuration (tests): nothing is fetched. */
  readonly config?: RuntimeConfig;
}

async function fetchRuntimeConfig(signal: AbortSignal): Promise<RuntimeConfigState> {
  let json: unknown;
  try {
    const response = await fetch(RUNTIME_CONFIG_PATH, { signal, cache: "no-store" });
    json = await response.json();
  } catch (error) {
    if (signal.aborted) throw error;
    return { status: "failed", problem: `GET ${RUNTIME_CONFIG_PATH} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = parseRuntimeConfig(json);
  return parsed.ok ? { status: "ready", config: parsed.config } : { status: "failed", problem: parsed.problem };
}

export function RuntimeConfigProvider({ children, config }: RuntimeConfigProviderProps) {
  const [fetched, setFetched] = useState<RuntimeConfigState>({ status: "loading" });
  useEffect(() => {
    if (config) return;
    const abort = new AbortController();
    fetchRuntimeConfig(abort.signal).then(setFetched, () => {
      // Aborted: the provider unmounted (or React's development double mount).
    });
    return () => abort.abort();
  }, [config]);
  const state: RuntimeConfigState = config ? { status: "ready", config } : fetched;
  return <RuntimeConfigContext.Provider value={state}>{children}</RuntimeConfigContext.Provider>;
}

/** The configuration's state. Must be used under {@link RuntimeConfigProvider}. */
export function useRuntimeConfig(): RuntimeConfigState {
  const state = useContext(RuntimeConfigContext);
  if (state === null) {
    throw new Error("useRuntimeConfig() needs a <RuntimeConfigProvider> above it (see app/layout.tsx)");
  }
  return state;
}

/** The backend base URL (no trailing slash), or `null` until it is known. */
export function useBackendUrl(): string | null {
  const state = useRuntimeConfig();
  return state.status === "ready" ? state.config.backendUrl : null;
}

/** The book's base URL (no trailing slash), or `null` until it is known. */
export function useBookUrl(): string | null {
  const state = useRuntimeConfig();
  return state.status === "ready" ? state.config.bookUrl : null;
}
