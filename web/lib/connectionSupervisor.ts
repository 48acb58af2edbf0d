/**
 * The connection supervisor: when to reconnect, and when to give up on a link that went
 * quiet. A pure state machine; the clock and the random draws come in with the events, so
 * every decision can be replayed in a test (connectionSupervisor.test.ts). The hook
 * `useSupervisedSocket.ts` feeds it the socket's events, a periodic tick and the window's
 * `online` / `offline` / `visibilitychange`, and carries out the effects it returns.
 *
 * ```text
 *             open                      deadline passed, close (reconnect verdict), drop
 *  connecting ───▶ open ─────────────────────────────────────────────────▶ waiting ──(until)──▶ connecting
 *      │                         close with a "stop" verdict ──▶ stopped          offline ◀── `offline`
 *      └── fails: close 1006 ──▶ waiting                                          └── `online` ──▶ connecting
 * ```
 *
 * **The reconnection contract** (`backoff.ts`, the same vectors as the server): the delay of
 * attempt `n` is `min + ⌊draw × min(cap, base × factor^n)⌋` under the policy the server
 * advertised in `connection.policy` (or {@link DEFAULT_POLICY} before it did); a retry hint
 * in the close reason (` retry-after-ms=N`) is a floor; the attempt counter resets only when
 * the connection had stayed up `stableAfterMs` (a server that accepts and then crashes is
 * not retried at the minimum delay forever). The close code's verdict comes from the shared
 * close-code table: after a "stop" (1009 message too big, an application's 4xxx) the page
 * does not retry on its own.
 *
 * **Liveness.** Any message is proof of life. The server sends a `heartbeat` every
 * `intervalMs` (and a ping the browser answers without telling the page), so a healthy link
 * is never silent for long. When nothing arrived for `deadlineMs`, the link is dead even if
 * the socket says "open" (a half-open TCP connection: a frozen server, a NAT that forgot us,
 * a laptop lid): the page closes it with {@link CLOSE_DEADLINE} and reconnects by the
 * contract. The check compares wall-clock times (`Date.now()`), never counts timer ticks:
 * a background tab's timers may fire once a minute, so the hook also checks at once when
 * the tab becomes visible or the browser comes back online.
 *
 * The page's own close codes (RFC 6455 §7.4.2: 4000–4999 are for applications):
 * {@link CLOSE_DEADLINE} 4000, {@link CLOSE_OFFLINE} 4001, {@link CLOSE_DROPPED} 4002.
 */

import { closed, DEFAULT_POLICY, delayMs, FRESH_COUNTER, nextDelayMs, opened, type BackoffPolicy, type ReconnectCounter } from "./backoff";
import { explainClose } from "./closeReport";
import type { TimelineEntry } from "./connectionTimeline";
import type { ConnectionPolicy, HeartbeatPolicy } from "./generated/hardening";
import { DEFAULT_HEARTBEAT, retryHintOf } from "./hardeningMessages";

/** The page gave up on a link that was silent past the deadline. */
export const CLOSE_DEADLINE = 4000;
/** The browser (or the person, simulating it) went offline. */
export const CLOSE_OFFLINE = 4001;
/** The person dropped the link on purpose (the `/phases/5` page's button). */
export const CLOSE_DROPPED = 4002;

/** Why the link was lost. */
export type LinkLoss =
  | { readonly kind: "closed"; readonly code: number; readonly meaning: string }
  | { readonly kind: "deadline"; readonly silentMs: number; readonly deadlineMs: number }
  | { readonly kind: "dropped" };

/** Who took the page offline: the browser's `offline` event, or the person (simulated). */
export type OfflineBy = "browser" | "you";

export type LinkPhase =
  | { readonly kind: "connecting"; readonly since: number }
  | { readonly kind: "open"; readonly since: number }
  /** Lost; the next attempt starts at `until`. */
  | { readonly kind: "waiting"; readonly until: number; readonly delayMs: number; readonly loss: LinkLoss }
  /** Offline: no attempt until back online. */
  | { readonly kind: "offline"; readonly by: OfflineBy; readonly since: number }
  /** The close code's verdict said not to retry. */
  | { readonly kind: "stopped"; readonly code: number; readonly reason: string };

export interface SupervisorState {
  readonly policy: BackoffPolicy;
  readonly heartbeat: HeartbeatPolicy;
  /** Whether `policy` and `heartbeat` came from the server or are the defaults. */
  readonly advertised: boolean;
  readonly counter: ReconnectCounter;
  readonly phase: LinkPhase;
  /** When the current attempt last showed a sign of life (its start, its open, any message). */
  readonly lastHeardAt: number;
  /** When the last `heartbeat` of this connection arrived. */
  readonly lastHeartbeatAt: number | null;
}

/** Something that happened. `draw` is a uniform random number in [0, 1), for a delay if one is chosen. */
export type SupervisorEvent =
  | { readonly type: "connecting"; readonly at: number }
  | { readonly type: "opened"; readonly at: number }
  /** Any message: proof of life. */
  | { readonly type: "message"; readonly at: number }
  | { readonly type: "policy"; readonly at: number; readonly policy: ConnectionPolicy }
  | { readonly type: "heartbeat"; readonly at: number; readonly serverTimeMs: number }
  | { readonly type: "closed"; readonly at: number; readonly code: number; readonly reason: string; readonly draw: number }
  /** Time passed: check the deadline and whether a retry is due. */
  | { readonly type: "tick"; readonly at: number; readonly draw: number }
  | { readonly type: "drop"; readonly at: number; readonly draw: number }
  | { readonly type: "offline"; readonly at: number; readonly by: OfflineBy }
  | { readonly type: "online"; readonly at: number; readonly by: OfflineBy }
  /** The person asked to reconnect now. */
  | { readonly type: "reconnect"; readonly at: number };

/** What the hook must do. */
export type SupervisorEffect =
  | { readonly kind: "connect" }
  /** Close the current socket and treat it as gone now (its own close event may take a minute). */
  | { readonly kind: "close"; readonly code: number; readonly reason: string };

export interface SupervisorStep {
  readonly state: SupervisorState;
  readonly effects: readonly SupervisorEffect[];
  readonly log: readonly TimelineEntry[];
}

/** A supervisor whose first socket starts connecting at `now`. */
export function initialSupervisor(now: number): SupervisorState {
  return {
    policy: DEFAULT_POLICY,
    heartbeat: DEFAULT_HEARTBEAT,
    advertised: false,
    counter: FRESH_COUNTER,
    phase: { kind: "connecting", since: now },
    lastHeardAt: now,
    lastHeartbeatAt: null,
  };
}

/** "50 s", "1.5 s", "800 ms": a duration for people. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = ms / 1_000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function loseLink(state: SupervisorState, at: number, loss: LinkLoss, draw: number, hintMs: number | null): SupervisorStep {
  const { attempt, counter } = closed(state.counter, at, state.policy);
  const policyMs = delayMs(state.policy, attempt, draw);
  const delay = nextDelayMs(state.policy, attempt, draw, hintMs);
  const why = hintMs !== null && hintMs > policyMs ? "hint" : "policy";
  return {
    state: { ...state, counter, phase: { kind: "waiting", until: at + delay, delayMs: delay, loss }, lastHeartbeatAt: null },
    effects: [],
    log: [
      { at, kind: "state", to: "waiting", detail: describeLoss(loss) },
      { at, kind: "delay", attempt, draw, policyMs, hintMs, delayMs: delay, why },
    ],
  };
}

/** The loss in a few words, for the timeline. */
export function describeLoss(loss: LinkLoss): string {
  switch (loss.kind) {
    case "closed":
      return `closed: ${loss.code} ${loss.meaning}`;
    case "deadline":
      return `no answer for ${formatDuration(loss.silentMs)} (deadline ${formatDuration(loss.deadlineMs)})`;
    case "dropped":
      return "dropped on the page";
  }
}

function startAttempt(state: SupervisorState, at: number, detail: string, connect: boolean): SupervisorStep {
  return {
    state: { ...state, phase: { kind: "connecting", since: at }, lastHeardAt: at, lastHeartbeatAt: null },
    effects: connect ? [{ kind: "connect" }] : [],
    log: [{ at, kind: "state", to: "connecting", detail }],
  };
}

const same = (state: SupervisorState): SupervisorStep => ({ state, effects: [], log: [] });

/** Whether the link's phase has a socket the page still listens to. */
function hasSocket(phase: LinkPhase): boolean {
  return phase.kind === "connecting" || phase.kind === "open";
}

/** One event in, the new state, what to do, and what to write in the timeline. */
export function supervise(state: SupervisorState, event: SupervisorEvent): SupervisorStep {
  const { at } = event;
  const { phase } = state;
  switch (event.type) {
    case "connecting":
      // Started by the hook (a due retry) or by the page itself (a new identity, the first socket).
      if (phase.kind === "connecting") return same({ ...state, lastHeardAt: at });
      return startAttempt(state, at, "a new socket", false);

    case "opened":
      if (phase.kind !== "connecting") return same(state);
      return {
        state: { ...state, counter: opened(state.counter, at), phase: { kind: "open", since: at }, lastHeardAt: at },
        effects: [],
        log: [{ at, kind: "state", to: "open", detail: "handshake done" }],
      };

    case "message":
      return hasSocket(phase) ? same({ ...state, lastHeardAt: at }) : same(state);

    case "policy": {
      const { backoff, heartbeat } = event.policy;
      return {
        state: { ...state, policy: backoff, heartbeat, advertised: true, lastHeardAt: hasSocket(phase) ? at : state.lastHeardAt },
        effects: [],
        log: [{ at, kind: "policy", backoff, heartbeat }],
      };
    }

    case "heartbeat": {
      if (!hasSocket(phase)) return same(state);
      const sinceLastMs = state.lastHeartbeatAt === null ? null : at - state.lastHeartbeatAt;
      return {
        state: { ...state, lastHeardAt: at, lastHeartbeatAt: at },
        effects: [],
        log: [{ at, kind: "heartbeat", serverTimeMs: event.serverTimeMs, sinceLastMs }],
      };
    }

    case "closed": {
      // Only the socket we still listen to: once the page gave up on one, its close is old news.
      if (!hasSocket(phase)) return same(state);
      const report = explainClose({ code: event.code, reason: event.reason, wasClean: true, initiatedBy: "server", at });
      if (report.verdict !== "reconnect") {
        const reason = `${event.code} ${report.meaning}`;
        return {
          state: { ...state, phase: { kind: "stopped", code: event.code, reason }, lastHeartbeatAt: null },
          effects: [],
          log: [
            { at, kind: "verdict", code: event.code, meaning: report.meaning, verdict: report.verdict },
            { at, kind: "state", to: "stopped", detail: reason },
          ],
        };
      }
      const loss: LinkLoss = { kind: "closed", code: event.code, meaning: report.meaning };
      return loseLink(state, at, loss, event.draw, retryHintOf(event.reason));
    }

    case "tick": {
      if (phase.kind === "waiting") {
        return at >= phase.until ? startAttempt(state, at, `retry after ${formatDuration(phase.delayMs)}`, true) : same(state);
      }
      if (!hasSocket(phase)) return same(state);
      const silentMs = at - state.lastHeardAt;
      const deadlineMs = state.heartbeat.deadlineMs;
      if (silentMs < deadlineMs) return same(state);
      const step = loseLink(state, at, { kind: "deadline", silentMs, deadlineMs }, event.draw, null);
      return {
        ...step,
        effects: [{ kind: "close", code: CLOSE_DEADLINE, reason: `no message for ${formatDuration(silentMs)}` }],
        log: [{ at, kind: "deadline", silentMs, deadlineMs }, ...step.log],
      };
    }

    case "drop": {
      if (!hasSocket(phase)) return same(state);
      const step = loseLink(state, at, { kind: "dropped" }, event.draw, null);
      return { ...step, effects: [{ kind: "close", code: CLOSE_DROPPED, reason: "link dropped on the page" }] };
    }

    case "offline": {
      if (phase.kind === "stopped" || phase.kind === "offline") return same(state);
      const detail = event.by === "browser" ? "the browser went offline" : "offline (simulated)";
      return {
        state: { ...state, phase: { kind: "offline", by: event.by, since: at }, lastHeartbeatAt: null },
        effects: hasSocket(phase) ? [{ kind: "close", code: CLOSE_OFFLINE, reason: "offline" }] : [],
        log: [{ at, kind: "state", to: "offline", detail }],
      };
    }

    case "online":
      if (phase.kind !== "offline" || phase.by !== event.by) return same(state);
      return startAttempt(state, at, "back online", true);

    case "reconnect":
      return startAttempt(state, at, "reconnect asked on the page", true);
  }
}
