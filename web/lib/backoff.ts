/**
 * The reconnection contract, the browser's half: the same function as
 * `phases/5-hardening/src/backoff.rs`, checked against the same vectors
 * (`phases/5-hardening/contract/backoff-vectors.json`) by `backoff.test.ts`.
 *
 *   delay(attempt, draw) = min + ⌊draw × min(cap, base × factor^attempt)⌋,  draw ∈ [0, 1)
 *
 * The server advertises the policy when a client connects; until then the client uses
 * {@link DEFAULT_POLICY}. A hint from the server (a 1012/1013 close reason, a 503's
 * `Retry-After`) is a floor: the client waits at least that long.
 */
import type { BackoffPolicy } from "./generated/hardening";

export type { BackoffPolicy, Jitter } from "./generated/hardening";

/** The server's defaults, used before its advice arrives. */
export const DEFAULT_POLICY: BackoffPolicy = {
  baseMs: 500,
  factor: 2,
  capMs: 30_000,
  minMs: 250,
  jitter: { kind: "full" },
  stableAfterMs: 5_000,
};

/** `min(cap, base × factor^attempt)`, grown by repeated multiplication as in Rust. */
export function windowMs(policy: BackoffPolicy, attempt: number): number {
  let window = policy.baseMs;
  for (let i = 0; i < attempt; i++) {
    if (window >= policy.capMs) break;
    window *= policy.factor;
  }
  return Math.min(window, policy.capMs);
}

/** The delay before retry number `attempt` for a uniform `draw` in [0, 1), in whole ms. */
export function delayMs(policy: BackoffPolicy, attempt: number, draw: number): number {
  const d = Math.min(Math.max(draw, 0), 1);
  const window = windowMs(policy, attempt);
  let spread: number;
  switch (policy.jitter.kind) {
    case "full":
      spread = d * window;
      break;
    case "none":
      spread = window;
      break;
    case "clampedProportional": {
      // The mistake the chapter warns about, kept to show it: jitter first, clamp second.
      const r = policy.jitter.ratio;
      spread = Math.min(window * (1 - r + 2 * r * d), policy.capMs);
      break;
    }
  }
  return Math.floor(policy.minMs + spread);
}

/** The delay when the server also sent a hint: at least the hint. */
export function nextDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  draw: number,
  hintMs: number | null,
): number {
  const own = delayMs(policy, attempt, draw);
  return hintMs === null ? own : Math.max(hintMs, own);
}

/**
 * The attempt counter. It resets only after a connection stayed up `stableAfterMs`: a
 * server that accepts and then crashes must not be retried at the minimum delay forever.
 */
export type ReconnectCounter = { readonly attempt: number; readonly openedAt: number | null };

export const FRESH_COUNTER: ReconnectCounter = { attempt: 0, openedAt: null };

/** A connection opened at `now`. */
export function opened(counter: ReconnectCounter, now: number): ReconnectCounter {
  return { ...counter, openedAt: now };
}

/** A connection closed (or an attempt failed) at `now`: the attempt to use, and the new counter. */
export function closed(
  counter: ReconnectCounter,
  now: number,
  policy: BackoffPolicy,
): { readonly attempt: number; readonly counter: ReconnectCounter } {
  const stable = counter.openedAt !== null && now - counter.openedAt >= policy.stableAfterMs;
  const attempt = stable ? 0 : counter.attempt;
  return { attempt, counter: { attempt: attempt + 1, openedAt: null } };
}
