import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { DEFAULT_POLICY, nextDelayMs, type BackoffPolicy } from "./backoff";
import {
  CLOSE_DEADLINE,
  CLOSE_DROPPED,
  CLOSE_OFFLINE,
  initialSupervisor,
  supervise,
  type SupervisorEvent,
  type SupervisorState,
  type SupervisorStep,
} from "./connectionSupervisor";
import { DEFAULT_HEARTBEAT } from "./hardeningMessages";

type Vectors = {
  policies: Record<string, BackoffPolicy>;
  delays: { policy: string; attempt: number; draw: number; expectedMs: number }[];
};
// The contract's own file: the supervisor must choose the delays it lists.
const vectors = JSON.parse(
  readFileSync(new URL("../../phases/5-hardening/contract/backoff-vectors.json", import.meta.url), "utf8"),
) as Vectors;
const GENTLE = vectors.policies.gentle!;
const HEARTBEAT = { intervalMs: 500, deadlineMs: 1_500 };

/** Runs `events` from a fresh supervisor (first socket connecting at t=0); returns every step. */
function run(events: readonly SupervisorEvent[], from: SupervisorState = initialSupervisor(0)): SupervisorStep[] {
  const steps: SupervisorStep[] = [];
  let state = from;
  for (const event of events) {
    const step = supervise(state, event);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

const last = (steps: readonly SupervisorStep[]) => steps.at(-1)!;
const lost = (at: number, draw: number, code = 1006, reason = ""): SupervisorEvent => ({ type: "closed", at, code, reason, draw });

describe("the connection supervisor's reconnection", () => {
  it("uses the default policy until the server advertises one", () => {
    const step = last(run([{ type: "opened", at: 10 }, lost(20, 0.5)]));
    expect(step.state.phase).toMatchObject({ kind: "waiting", delayMs: nextDelayMs(DEFAULT_POLICY, 0, 0.5, null), until: 20 + 500 });
    expect(step.state.advertised).toBe(false);
    expect(step.state.heartbeat).toEqual(DEFAULT_HEARTBEAT);
  });

  it("chooses each delay the contract's vectors list for the advertised policy, attempt after failed attempt", () => {
    const cases = vectors.delays.filter((c) => c.policy === "gentle").sort((a, b) => a.attempt - b.attempt);
    expect(cases.length).toBeGreaterThan(5);
    for (const c of cases) {
      // A connection that opened, was told the policy, and then failed `attempt` times in a row.
      let state = last(run([{ type: "opened", at: 0 }, { type: "policy", at: 1, policy: { backoff: GENTLE, heartbeat: HEARTBEAT } }])).state;
      for (let i = 0; i < c.attempt; i++) {
        state = last(run([lost(2, 0), { type: "tick", at: 1e9, draw: 0 }], state)).state;
      }
      const step = last(run([lost(2, c.draw)], state));
      expect(step.state.phase, JSON.stringify(c)).toMatchObject({ kind: "waiting", delayMs: c.expectedMs });
      expect(step.log.find((e) => e.kind === "delay"), JSON.stringify(c)).toMatchObject({ attempt: c.attempt, draw: c.draw, why: "policy" });
    }
  });

  it("waits at least as long as the close reason's retry hint, and says the hint decided", () => {
    const steps = run([{ type: "opened", at: 0 }, lost(100, 0, 1012, "service restarting retry-after-ms=4000")]);
    expect(last(steps).state.phase).toMatchObject({ kind: "waiting", delayMs: 4_000, until: 4_100 });
    expect(last(steps).log.find((e) => e.kind === "delay")).toMatchObject({ policyMs: 250, hintMs: 4_000, delayMs: 4_000, why: "hint" });
    // A hint below the policy's own delay changes nothing.
    const low = last(run([{ type: "opened", at: 0 }, lost(100, 0.99, 1013, "busy retry-after-ms=1")]));
    expect(low.log.find((e) => e.kind === "delay")).toMatchObject({ hintMs: 1, why: "policy" });
  });

  it("does not retry when the close code's verdict says stop", () => {
    for (const code of [1000, 1008, 1009, 4321]) {
      const step = last(run([{ type: "opened", at: 0 }, lost(5, 0.5, code, "no")]));
      expect(step.state.phase.kind, String(code)).toBe("stopped");
      expect(step.effects).toEqual([]);
      // No retry, however long we wait.
      expect(supervise(step.state, { type: "tick", at: 1e9, draw: 0 }).effects).toEqual([]);
    }
    expect(last(run([{ type: "opened", at: 0 }, lost(5, 0.5, 1009, "")])).state.phase).toEqual({ kind: "stopped", code: 1009, reason: "1009 message too big" });
  });

  it("starts the next attempt once the delay is over, not before", () => {
    const waiting = last(run([{ type: "opened", at: 0 }, lost(1_000, 0)])).state; // 250 ms
    expect(supervise(waiting, { type: "tick", at: 1_249, draw: 0 }).effects).toEqual([]);
    const due = supervise(waiting, { type: "tick", at: 1_250, draw: 0 });
    expect(due.effects).toEqual([{ kind: "connect" }]);
    expect(due.state.phase).toEqual({ kind: "connecting", since: 1_250 });
  });

  it("grows the window while attempts keep failing, and resets it only after the connection stayed up stableAfterMs", () => {
    const policy: BackoffPolicy = { ...DEFAULT_POLICY, jitter: { kind: "none" }, minMs: 0 };
    const told = last(run([{ type: "opened", at: 0 }, { type: "policy", at: 0, policy: { backoff: policy, heartbeat: HEARTBEAT } }])).state;
    const delays: number[] = [];
    let state = told;
    const fail = (at: number) => {
      const step = supervise(state, lost(at, 0.5));
      if (step.state.phase.kind === "waiting") delays.push(step.state.phase.delayMs);
      state = supervise(step.state, { type: "tick", at: at + 1e6, draw: 0 }).state;
    };
    fail(100); // open for 100 ms: not stable
    fail(2e6); // the handshake failed: never opened
    state = supervise(state, { type: "opened", at: 3e6 }).state;
    fail(3e6 + 4_999); // up 4.999 s: still not stable
    state = supervise(state, { type: "opened", at: 4e6 }).state;
    fail(4e6 + 5_000); // up 5 s: the counter starts over
    expect(delays).toEqual([500, 1_000, 2_000, 500]);
  });
});

describe("the connection supervisor's deadline", () => {
  const told = () =>
    last(run([{ type: "opened", at: 0 }, { type: "policy", at: 0, policy: { backoff: DEFAULT_POLICY, heartbeat: HEARTBEAT } }])).state;

  it("gives up on a link silent for the deadline by the wall clock, however few ticks came", () => {
    // One tick, 1.5 s after the last message: a throttled background tab sees only this one.
    const step = supervise(told(), { type: "tick", at: 1_500, draw: 0 });
    expect(step.effects).toEqual([{ kind: "close", code: CLOSE_DEADLINE, reason: "no message for 1.5 s" }]);
    expect(step.state.phase).toMatchObject({ kind: "waiting", loss: { kind: "deadline", silentMs: 1_500, deadlineMs: 1_500 } });
    expect(step.log.map((e) => e.kind)).toEqual(["deadline", "state", "delay"]);
  });

  it("counts any message, not only heartbeats, as proof of life", () => {
    const steps = run(
      [
        { type: "message", at: 1_000 },
        { type: "tick", at: 2_400, draw: 0 },
        { type: "heartbeat", at: 2_400, serverTimeMs: 99 },
        { type: "tick", at: 3_899, draw: 0 },
      ],
      told(),
    );
    expect(steps.flatMap((s) => s.effects)).toEqual([]);
    expect(last(steps).state.phase.kind).toBe("open");
    expect(supervise(last(steps).state, { type: "tick", at: 3_900, draw: 0 }).effects[0]).toMatchObject({ code: CLOSE_DEADLINE });
  });

  it("returns the very same state from a tick that changes nothing, so the page need not draw again", () => {
    const state = told();
    const step = supervise(state, { type: "tick", at: 100, draw: 0.3 });
    expect(step.state).toBe(state);
    expect(step.log).toEqual([]);
  });

  it("uses the default deadline of 50 s before the server advertised one", () => {
    const open = last(run([{ type: "opened", at: 0 }])).state;
    expect(supervise(open, { type: "tick", at: 49_999, draw: 0 }).effects).toEqual([]);
    expect(supervise(open, { type: "tick", at: 50_000, draw: 0 }).effects).toHaveLength(1);
  });

  it("also gives up on a handshake that never answers", () => {
    const step = supervise(initialSupervisor(0), { type: "tick", at: 50_000, draw: 0 });
    expect(step.effects).toEqual([{ kind: "close", code: CLOSE_DEADLINE, reason: "no message for 50 s" }]);
  });

  it("ignores the close of a socket it already gave up on", () => {
    const gaveUp = supervise(told(), { type: "tick", at: 2_000, draw: 0 }).state;
    expect(supervise(gaveUp, lost(2_001, 0, 4000, "")).state).toBe(gaveUp);
  });

  it("logs each heartbeat with the time since the previous one", () => {
    const steps = run(
      [
        { type: "heartbeat", at: 500, serverTimeMs: 1 },
        { type: "heartbeat", at: 1_020, serverTimeMs: 2 },
      ],
      told(),
    );
    expect(steps.map((s) => s.log[0])).toEqual([
      { at: 500, kind: "heartbeat", serverTimeMs: 1, sinceLastMs: null },
      { at: 1_020, kind: "heartbeat", serverTimeMs: 2, sinceLastMs: 520 },
    ]);
  });
});

describe("the connection supervisor offline", () => {
  it("closes the socket and holds every retry until back online, then connects at once", () => {
    const steps = run([{ type: "opened", at: 0 }, { type: "offline", at: 10, by: "browser" }, { type: "tick", at: 1e9, draw: 0 }]);
    expect(steps[1]!.effects).toEqual([{ kind: "close", code: CLOSE_OFFLINE, reason: "offline" }]);
    expect(last(steps).effects).toEqual([]);
    expect(last(steps).state.phase).toMatchObject({ kind: "offline", by: "browser" });
    const back = supervise(last(steps).state, { type: "online", at: 2e9, by: "browser" });
    expect(back.effects).toEqual([{ kind: "connect" }]);
    expect(back.state.phase).toEqual({ kind: "connecting", since: 2e9 });
  });

  it("cancels a planned retry while offline, and only the one who went offline brings it back", () => {
    const waiting = last(run([{ type: "opened", at: 0 }, lost(10, 0)])).state;
    const off = supervise(waiting, { type: "offline", at: 20, by: "you" });
    expect(off.effects).toEqual([]);
    expect(supervise(off.state, { type: "online", at: 30, by: "browser" }).effects).toEqual([]);
    expect(supervise(off.state, { type: "online", at: 30, by: "you" }).effects).toEqual([{ kind: "connect" }]);
  });

  it("drops the link on request and reconnects by the contract", () => {
    const step = last(run([{ type: "opened", at: 0 }, { type: "drop", at: 100, draw: 0 }]));
    expect(step.effects).toEqual([{ kind: "close", code: CLOSE_DROPPED, reason: "link dropped on the page" }]);
    expect(step.state.phase).toMatchObject({ kind: "waiting", delayMs: 250, loss: { kind: "dropped" } });
  });
});
