/**
 * Phase 7 seen from the browser: which instance answered, which instances there are, and
 * how to reach one of them on purpose. Pure, so Vitest can test it (scale.test.ts); the
 * hooks that poll are in `scaleHooks.ts`.
 *
 * **The instance.** Every backend answers `GET /scale/instance` (phase 7's module is always
 * composed) with `{"instance","store","bus"}`: its `--instance-id`, `"redis"` or
 * `"embedded"`, `"nats"` or `"none"`. A plain `make dev` backend says `embedded` and `none`:
 * one process, nothing shared.
 *
 * **Pins.** Behind the balancer (`make scale`), `/i/<name>/<path>` is `/<path>` on instance
 * `<name>` only, and an unknown name answers 404 (deploy/haproxy.cfg.in). The pages build
 * every URL by appending a path to one base URL, so a pin is just another base URL:
 * `http://localhost:8000/i/a`. `make scale` names its instances `a`, `b`, `c`, … in order,
 * so the page finds them by asking `a`, then `b`, … until they stop answering
 * ({@link discoverPins}).
 */

import { formatApiError, parseApiError, type FetchLike, type Parsed } from "./health";

/** The body of `GET /scale/instance`. */
export interface InstanceAnswer {
  /** `--instance-id`, or host name and process id. */
  readonly instance: string;
  /** Where the boards are: `"redis"` (shared) or `"embedded"` (this process's own). */
  readonly store: string;
  /** How events reach the other instances: `"nats"`, or `"none"`. */
  readonly bus: string;
}

/** What kind of deployment an instance belongs to, from its answer. */
export type Topology =
  /** One process: its own store, its own hub (`make dev`). */
  | "single"
  /** A shared store without a bus: changes are kept, but other instances' clients see them only after a reconnection. */
  | "store-only"
  /** Shared store and bus: what `make scale` starts. */
  | "scaled";

/** The query parameter naming the pin (`/phases/7?via=b`); absent or `any` is the balancer. */
export const PIN_PARAM = "via";

/** The value of {@link PIN_PARAM} meaning "no pin: let the balancer choose". */
export const ANY_INSTANCE = "any";

/** At most this many pins are probed (`make scale --instances` takes 1 to 26: a to z). */
export const MAX_PINS = 26;

/** Whether `name` can be a pin: an instance name as the balancer accepts it. */
export function isPinName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}

/** The pin `?via=` asks for, or `null` for the balancer (absent, `any`, or not a name). */
export function pinFromQuery(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === ANY_INSTANCE || !isPinName(value)) return null;
  return value;
}

/** The base URL that reaches instance `pin` through the balancer at `backendUrl` (or the balancer itself for `null`). */
export function pinnedBaseUrl(backendUrl: string, pin: string | null): string {
  return pin === null ? backendUrl : `${backendUrl}/i/${encodeURIComponent(pin)}`;
}

/** The names `make scale` gives its instances, in order: `a`, `b`, … `z`. */
export function pinCandidates(count = MAX_PINS): string[] {
  return Array.from({ length: Math.min(count, MAX_PINS) }, (_, i) => String.fromCharCode(97 + i));
}

/** Checks a `GET /scale/instance` body. */
export function parseInstanceAnswer(body: unknown): Parsed<InstanceAnswer> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, error: "expected a JSON object" };
  }
  const apiError = parseApiError(body);
  if (apiError) return { ok: false, error: formatApiError(apiError) };
  const { instance, store, bus } = body as Record<string, unknown>;
  for (const [name, value] of [["instance", instance], ["store", store], ["bus", bus]] as const) {
    if (typeof value !== "string") return { ok: false, error: `"${name}" must be a string` };
  }
  return { ok: true, value: { instance: instance as string, store: store as string, bus: bus as string } };
}

/** The deployment an instance's answer describes. */
export function topologyOf(answer: InstanceAnswer): Topology {
  if (answer.store === "embedded") return "single";
  return answer.bus === "none" ? "store-only" : "scaled";
}

/** One answer to `GET <base>/scale/instance`, classified. */
export type InstanceProbe =
  | { readonly kind: "answered"; readonly answer: InstanceAnswer }
  /** 404: no such route, or (behind the balancer) no instance of that name. */
  | { readonly kind: "unknown"; readonly message: string }
  /** Anything else: unreachable, 503 (the pinned instance is down), a broken body. */
  | { readonly kind: "failed"; readonly message: string };

/**
 * Asks `<baseUrl>/scale/instance` which instance answers. Never throws for network or
 * protocol failures; rethrows when `signal` was aborted by the caller.
 */
export async function probeInstance(baseUrl: string, fetch: FetchLike, signal?: AbortSignal): Promise<InstanceProbe> {
  const url = `${baseUrl}/scale/instance`;
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(url, { cache: "no-store", signal });
    body = await response.json().catch(() => undefined);
  } catch (error) {
    if (signal?.aborted) throw error;
    return { kind: "failed", message: `cannot reach ${url}` };
  }
  if (!response.ok) {
    const apiError = parseApiError(body);
    const message = `HTTP ${response.status}${apiError ? `: ${formatApiError(apiError)}` : ""}`;
    return response.status === 404 ? { kind: "unknown", message } : { kind: "failed", message };
  }
  const parsed = parseInstanceAnswer(body);
  return parsed.ok ? { kind: "answered", answer: parsed.value } : { kind: "failed", message: `unexpected body: ${parsed.error}` };
}

/** One pin the balancer knows, and what its last probe said. */
export interface PinProbe {
  readonly pin: string;
  readonly probe: Exclude<InstanceProbe, { kind: "unknown" }>;
}

/**
 * How many pins in a row may fail before {@link discoverPins} stops. A browser cannot tell
 * a pin the balancer does not know from one whose instance is down: HAProxy's own answers
 * (404 `unknown_instance`, 503 `no_instance`) carry no CORS header, so the page sees both
 * as "cannot reach". A gap this long ends the list; a shorter one is a crashed instance
 * between live ones.
 */
export const MAX_PIN_GAP = 2;

/**
 * The pins the balancer at `backendUrl` knows: probes `a`, `b`, … in order and stops at a
 * 404 (a name the balancer does not know, when the page may read it) or after
 * {@link MAX_PIN_GAP} failures in a row. A failed pin between answering ones is listed (its
 * instance is down); failures at the end are not (they cannot be told from unknown names).
 */
export async function discoverPins(backendUrl: string, fetch: FetchLike, signal?: AbortSignal, candidates = pinCandidates()): Promise<PinProbe[]> {
  const found: PinProbe[] = [];
  let gap = 0;
  for (const pin of candidates) {
    const probe = await probeInstance(pinnedBaseUrl(backendUrl, pin), fetch, signal);
    if (probe.kind === "unknown") break;
    found.push({ pin, probe });
    gap = probe.kind === "failed" ? gap + 1 : 0;
    if (gap >= MAX_PIN_GAP) break;
  }
  return found.slice(0, found.length - gap);
}

/**
 * The address of this page on `board`, pinned to `pin` (`null`: through the balancer):
 * `/phases/7?board=demo&via=b`.
 */
export function pinnedPageHref(pathname: string, board: string, pin: string | null): string {
  const query = new URLSearchParams({ board, [PIN_PARAM]: pin ?? ANY_INSTANCE });
  return `${pathname}?${query.toString()}`;
}

/**
 * The instance a second window should pin to, so that the two windows are on different
 * servers: the first known pin after `current` (wrapping around), or the first pin when
 * this window is not pinned. `null` when there is no other instance to go to.
 */
export function otherPin(pins: readonly string[], current: string | null): string | null {
  if (current === null) return pins[0] ?? null;
  const i = pins.indexOf(current);
  const others = [...pins.slice(i + 1), ...pins.slice(0, Math.max(i, 0))].filter((p) => p !== current);
  return others[0] ?? null;
}
