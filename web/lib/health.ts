/**
 * The `/health` contract and how to read it, kept free of React so Vitest can test it.
 *
 * Success (200):
 * ```json
 * {"status":"ok","version":"0.1.0","uptime_secs":12.5,
 *  "phases":[{"number":1,"slug":"foundations","title":"Foundations"}]}
 * ```
 * A server that depends on something outside itself (phase 7: Redis, the store; NATS, the
 * bus) adds one entry per link under `checks`, and says `"degraded"` (still 200) while one
 * is down:
 * ```json
 * {"status":"degraded", …, "checks":{
 *   "store":{"up":true,"target":"redis://127.0.0.1:6379","disconnects":0},
 *   "bus":{"up":false,"target":"nats://127.0.0.1:4222","lastError":"connection refused","disconnects":1}}}
 * ```
 * Any error (4xx/5xx), from every backend endpoint:
 * ```json
 * {"error":{"code":"not_found","message":"no route for path /nope"}}
 * ```
 *
 * A response is data from another process: we validate its shape instead of trusting a
 * type assertion, so a wrong field shows up as a readable message on the page.
 */

/** A phase the backend says it serves. */
export interface HealthPhase {
  readonly number: number;
  readonly slug: string;
  readonly title: string;
}

/** The body of `GET /health` (field names as on the wire). */
export interface HealthReport {
  /** `"ok"` when the backend considers itself healthy. */
  readonly status: string;
  /** The backend's crate version. */
  readonly version: string;
  /** Seconds since the backend started (fractional). */
  readonly uptime_secs: number;
  readonly phases: readonly HealthPhase[];
  /** Each link to an outside service by name (`store`, `bus`); absent when there is none. */
  readonly checks?: Readonly<Record<string, LinkCheck>>;
}

/** How one link to an outside service is doing (`checks.<name>` in `/health`). */
export interface LinkCheck {
  /** Whether it works now. */
  readonly up: boolean;
  /** What it is and where, e.g. `redis://127.0.0.1:6379`. */
  readonly target: string;
  /** Why it is down, or the last failure it recovered from. */
  readonly lastError?: string;
  /** How many times the link was lost since the server started. */
  readonly disconnects: number;
}

/** The `error` object of the backend's JSON error body. */
export interface ApiError {
  /** Stable, machine-readable: `not_found`, `method_not_allowed`, ... */
  readonly code: string;
  /** Human-readable explanation. */
  readonly message: string;
}

/** The result of validating an unknown value. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

type JsonObject = { readonly [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** "a string", "an object", "nothing" (field missing): for validation messages. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Checks `body` (already `JSON.parse`d) against the `/health` contract. */
export function parseHealthReport(body: unknown): Parsed<HealthReport> {
  if (!isObject(body)) {
    return { ok: false, error: `expected a JSON object, got ${describe(body)}` };
  }
  if ("error" in body) {
    const apiError = parseApiError(body);
    return { ok: false, error: apiError ? formatApiError(apiError) : "body has an \"error\" field" };
  }
  const { status, version, uptime_secs: uptime, phases } = body;
  if (typeof status !== "string") {
    return { ok: false, error: `"status" must be a string, got ${describe(status)}` };
  }
  if (typeof version !== "string") {
    return { ok: false, error: `"version" must be a string, got ${describe(version)}` };
  }
  if (typeof uptime !== "number" || !Number.isFinite(uptime) || uptime < 0) {
    return { ok: false, error: `"uptime_secs" must be a non-negative number, got ${describe(uptime)}` };
  }
  if (!Array.isArray(phases)) {
    return { ok: false, error: `"phases" must be an array, got ${describe(phases)}` };
  }
  const parsedPhases: HealthPhase[] = [];
  for (const [index, entry] of phases.entries()) {
    const phase = parsePhase(entry);
    if (!phase.ok) {
      return { ok: false, error: `"phases[${index}]": ${phase.error}` };
    }
    parsedPhases.push(phase.value);
  }
  const report = { status, version, uptime_secs: uptime, phases: parsedPhases };
  if (body.checks === undefined) return { ok: true, value: report };
  if (!isObject(body.checks)) {
    return { ok: false, error: `"checks" must be an object, got ${describe(body.checks)}` };
  }
  const checks: Record<string, LinkCheck> = {};
  for (const [name, entry] of Object.entries(body.checks)) {
    const check = parseLinkCheck(entry);
    if (!check.ok) {
      return { ok: false, error: `"checks.${name}": ${check.error}` };
    }
    checks[name] = check.value;
  }
  return { ok: true, value: { ...report, checks } };
}

function parseLinkCheck(entry: unknown): Parsed<LinkCheck> {
  if (!isObject(entry)) {
    return { ok: false, error: `expected an object, got ${describe(entry)}` };
  }
  const { up, target, lastError, disconnects } = entry;
  if (typeof up !== "boolean") {
    return { ok: false, error: `"up" must be a boolean, got ${describe(up)}` };
  }
  if (typeof target !== "string") {
    return { ok: false, error: `"target" must be a string, got ${describe(target)}` };
  }
  if (lastError !== undefined && typeof lastError !== "string") {
    return { ok: false, error: `"lastError" must be a string, got ${describe(lastError)}` };
  }
  if (typeof disconnects !== "number" || !Number.isInteger(disconnects) || disconnects < 0) {
    return { ok: false, error: `"disconnects" must be a non-negative integer, got ${describe(disconnects)}` };
  }
  return { ok: true, value: lastError === undefined ? { up, target, disconnects } : { up, target, lastError, disconnects } };
}

function parsePhase(entry: unknown): Parsed<HealthPhase> {
  if (!isObject(entry)) {
    return { ok: false, error: `expected an object, got ${describe(entry)}` };
  }
  const { number, slug, title } = entry;
  if (typeof number !== "number" || !Number.isInteger(number)) {
    return { ok: false, error: `"number" must be an integer, got ${describe(number)}` };
  }
  if (typeof slug !== "string") {
    return { ok: false, error: `"slug" must be a string, got ${describe(slug)}` };
  }
  if (typeof title !== "string") {
    return { ok: false, error: `"title" must be a string, got ${describe(title)}` };
  }
  return { ok: true, value: { number, slug, title } };
}

/** Reads the backend's `{"error":{"code","message"}}` body, or `null` if `body` is not one. */
export function parseApiError(body: unknown): ApiError | null {
  if (!isObject(body) || !isObject(body.error)) return null;
  const { code, message } = body.error;
  if (typeof code !== "string" || typeof message !== "string") return null;
  return { code, message };
}

export function formatApiError(error: ApiError): string {
  return `${error.code}: ${error.message}`;
}

/** One poll of `/health`, as the page shows it. */
export type HealthCheck =
  | {
      readonly state: "healthy";
      readonly report: HealthReport;
      /** The response body as received, for the "raw JSON" panel. */
      readonly raw: string;
      /** When the answer arrived (ms since the epoch). */
      readonly checkedAt: number;
    }
  | {
      readonly state: "down";
      readonly reason: DownReason;
      /** What went wrong, for people. */
      readonly message: string;
      /** The response body, when there was one. */
      readonly raw: string | null;
      /** The report itself when it was well formed but not `"ok"` (reason `status`): which link is down. */
      readonly report?: HealthReport;
      readonly checkedAt: number;
    };

/**
 * Why a check failed: no connection (`unreachable`), no answer in time (`timeout`), an HTTP
 * error status (`http`), a body that breaks the contract (`contract`), or a well-formed body
 * whose `status` is not `"ok"` (`status`).
 */
export type DownReason = "unreachable" | "timeout" | "http" | "contract" | "status";

/** The subset of `fetch` we use; tests pass a stub. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface CheckHealthOptions {
  /** Backend base URL without a trailing slash. */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  /** Aborts the request when the caller is no longer interested (e.g. unmount). */
  readonly signal?: AbortSignal;
  /**
   * Gives up after this many milliseconds and reports `down`. Without it a backend that
   * accepts the connection but never answers would leave the page "checking" forever.
   */
  readonly timeoutMs?: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

/**
 * Sends one `GET {baseUrl}/health` and classifies the outcome. Never throws for network or
 * protocol failures (they become `state: "down"`); rethrows only when `signal` was aborted
 * by the caller, so an unmounted component does not record a stale result.
 */
export async function checkHealth({
  baseUrl,
  fetch,
  signal,
  timeoutMs,
  now = Date.now,
}: CheckHealthOptions): Promise<HealthCheck> {
  const down = (reason: DownReason, message: string, raw: string | null = null, report?: HealthReport): HealthCheck => ({
    state: "down",
    reason,
    message,
    raw,
    ...(report === undefined ? {} : { report }),
    checkedAt: now(),
  });

  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const combined = signals.length > 1 ? AbortSignal.any(signals) : signals[0];

  let response: Response;
  try {
    // `no-store`: a poll must reach the server every time, never a cached copy.
    response = await fetch(`${baseUrl}/health`, { cache: "no-store", signal: combined });
  } catch (error) {
    if (signal?.aborted) {
      throw error; // the caller gave up; nobody wants this result
    }
    if (timeout?.aborted) {
      return down("timeout", `no answer from ${baseUrl} within ${timeoutMs} ms`);
    }
    // Browsers deliberately say only "Failed to fetch" for refused connections, DNS
    // failures and CORS rejections alike, so a page cannot probe the network.
    return down("unreachable", `cannot reach ${baseUrl}`);
  }

  let raw: string;
  try {
    raw = await response.text();
  } catch (error) {
    if (signal?.aborted) throw error;
    return down("unreachable", `HTTP ${response.status}: the connection broke while reading the body`);
  }

  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return down(response.ok ? "contract" : "http", `HTTP ${response.status}: the body is not JSON`, raw);
  }

  if (!response.ok) {
    const apiError = parseApiError(body);
    const detail = apiError ? formatApiError(apiError) : "no error object in the body";
    return down("http", `HTTP ${response.status}: ${detail}`, raw);
  }

  const parsed = parseHealthReport(body);
  if (!parsed.ok) {
    return down("contract", `unexpected /health body: ${parsed.error}`, raw);
  }
  if (parsed.value.status !== "ok") {
    return down("status", `backend reports status "${parsed.value.status}"`, raw, parsed.value);
  }
  return { state: "healthy", report: parsed.value, raw, checkedAt: now() };
}

/** `12.5` → `"12.5 s"`, `3725` → `"1 h 2 min 5 s"`: uptime for people. */
export function formatUptime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "unknown";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.floor(seconds);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const secs = total % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (secs || parts.length === 0) parts.push(`${secs} s`);
  return parts.join(" ");
}

/** Indents a JSON text for reading; returns text that is not JSON unchanged. */
export function prettyJson(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}
