/**
 * Where the backend lives, decided on the server at request time.
 *
 * `NEXT_PUBLIC_*` variables are inlined into the bundle by `next build`, so they are frozen
 * at build time. The end-to-end tests (and any "build once, deploy many" setup) start the
 * backend on a port chosen at run time, so the root layout reads the URL on the server for
 * every request and hands it to the browser through React context (`lib/backend.tsx`).
 *
 * Precedence:
 * 1. `LIVEBOARD_BACKEND_URL`: read at run time by the server (`next start` / `next dev`);
 * 2. `NEXT_PUBLIC_BACKEND_URL`: the value present at build time;
 * 3. {@link DEFAULT_BACKEND_URL}, the backend's own default bind address.
 *
 * This module is pure (no `process.env` access) so the rule is unit-tested.
 */

/** The backend's default address (`--bind 127.0.0.1:8080`). */
export const DEFAULT_BACKEND_URL = "http://127.0.0.1:8080";

/** The candidate values, highest precedence first. */
export interface BackendUrlSources {
  /** `process.env.LIVEBOARD_BACKEND_URL` at request time. */
  readonly runtime: string | undefined;
  /** `process.env.NEXT_PUBLIC_BACKEND_URL` as inlined at build time. */
  readonly buildTime: string | undefined;
}

/**
 * Picks the backend base URL: the first non-blank source, else the default.
 *
 * The result has no trailing slash, so callers write `${base}/health`.
 *
 * @throws Error naming the variable when the chosen value is not an http(s) URL: a typo
 *   in the configuration should stop the page loudly, not make every request fail.
 */
export function resolveBackendUrl(sources: BackendUrlSources): string {
  const candidates: ReadonlyArray<[name: string, value: string | undefined]> = [
    ["LIVEBOARD_BACKEND_URL", sources.runtime],
    ["NEXT_PUBLIC_BACKEND_URL", sources.buildTime],
  ];
  for (const [name, value] of candidates) {
    const trimmed = value?.trim();
    if (trimmed) {
      return normalize(name, trimmed);
    }
  }
  return DEFAULT_BACKEND_URL;
}

function normalize(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}="${value}" is not a URL; expected something like ${DEFAULT_BACKEND_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${name}="${value}" must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, "");
}
