/**
 * Where the backend and the book live, decided by the web server at run time.
 *
 * `NEXT_PUBLIC_*` variables are inlined into the bundle by `next build`, so they are frozen
 * at build time. The end-to-end tests (and any "build once, deploy many" setup) start the
 * backend on a port chosen at run time. So the pages stay static (built once, the same HTML
 * for everyone) and the browser asks the web server for the addresses once, at start:
 * `GET /runtime-config` (`app/runtime-config/route.ts`) answers {@link RuntimeConfig} as
 * JSON, read from the server's environment for every request; `lib/useRuntimeConfig.tsx`
 * fetches it and hands it to client components.
 *
 * Precedence, for each address:
 * 1. `LIVEBOARD_BACKEND_URL` / `LIVEBOARD_BOOK_URL`: read at run time by the server (`next start` / `next dev`);
 * 2. `NEXT_PUBLIC_BACKEND_URL` / `NEXT_PUBLIC_BOOK_URL`: the value present at build time;
 * 3. {@link DEFAULT_BACKEND_URL} / {@link DEFAULT_BOOK_URL}.
 *
 * This module is pure (no `process.env` access) so the rule is unit-tested.
 */

/** The backend's default address (`--bind 127.0.0.1:8080`). */
export const DEFAULT_BACKEND_URL = "http://127.0.0.1:8080";

/** Where `mdbook serve docs -p 3001` serves the book. */
export const DEFAULT_BOOK_URL = "http://localhost:3001";

/** What the browser needs to know about its surroundings. Base URLs have no trailing slash. */
export interface RuntimeConfig {
  readonly backendUrl: string;
  readonly bookUrl: string;
}

/** The candidate values of one address, highest precedence first. */
export interface UrlSources {
  /** `process.env.LIVEBOARD_*_URL` at request time. */
  readonly runtime: string | undefined;
  /** `process.env.NEXT_PUBLIC_*_URL` as inlined at build time. */
  readonly buildTime: string | undefined;
}

/**
 * The backend and book addresses from the environment.
 *
 * @throws Error naming the variable when a chosen value is not an http(s) URL: a typo in
 *   the configuration should be reported loudly, not make every request fail.
 */
export function resolveRuntimeConfig(sources: { readonly backend: UrlSources; readonly book: UrlSources }): RuntimeConfig {
  return {
    backendUrl: resolveBaseUrl("BACKEND_URL", sources.backend, DEFAULT_BACKEND_URL),
    bookUrl: resolveBaseUrl("BOOK_URL", sources.book, DEFAULT_BOOK_URL),
  };
}

/**
 * Picks a base URL: the first non-blank source, else `fallback`. `suffix` names the
 * variables (`BACKEND_URL` → `LIVEBOARD_BACKEND_URL`, `NEXT_PUBLIC_BACKEND_URL`).
 *
 * The result has no trailing slash, so callers write `${base}/health`.
 */
export function resolveBaseUrl(suffix: string, sources: UrlSources, fallback: string): string {
  const candidates: ReadonlyArray<[name: string, value: string | undefined]> = [
    [`LIVEBOARD_${suffix}`, sources.runtime],
    [`NEXT_PUBLIC_${suffix}`, sources.buildTime],
  ];
  for (const [name, value] of candidates) {
    const trimmed = value?.trim();
    if (trimmed) {
      return normalize(name, trimmed, fallback);
    }
  }
  return fallback;
}

function normalize(name: string, value: string, example: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}="${value}" is not a URL; expected something like ${example}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${name}="${value}" must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, "");
}

/** The JSON `GET /runtime-config` answers when the configuration is wrong. */
export interface RuntimeConfigProblem {
  readonly error: string;
}

/**
 * What `GET /runtime-config` answered, checked: the config, or why it cannot be used
 * (the server's own error message when it sent one).
 */
export function parseRuntimeConfig(json: unknown): { readonly ok: true; readonly config: RuntimeConfig } | { readonly ok: false; readonly problem: string } {
  if (typeof json === "object" && json !== null) {
    const { backendUrl, bookUrl, error } = json as Record<string, unknown>;
    if (typeof backendUrl === "string" && typeof bookUrl === "string") return { ok: true, config: { backendUrl, bookUrl } };
    if (typeof error === "string") return { ok: false, problem: error };
  }
  return { ok: false, problem: "GET /runtime-config answered something that is not a configuration" };
}
