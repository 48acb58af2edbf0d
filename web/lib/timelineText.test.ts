import { describe, expect, it } from "vitest";

import { DEFAULT_POLICY } from "./backoff";
import { timelineText } from "./timelineText";

describe("the timeline's words", () => {
  it("show every number behind a chosen delay, and who decided it", () => {
    expect(timelineText({ at: 0, kind: "delay", attempt: 2, draw: 0.25, policyMs: 750, hintMs: null, delayMs: 750, why: "policy" })).toBe(
      "retry #3 in 750 ms (attempt 2, draw 0.250: policy 750 ms; decided by the policy)",
    );
    expect(timelineText({ at: 0, kind: "delay", attempt: 0, draw: 0, policyMs: 250, hintMs: 4_000, delayMs: 4_000, why: "hint" })).toBe(
      "retry #1 in 4 s (attempt 0, draw 0.000: policy 250 ms, hint 4 s; decided by the server's hint)",
    );
  });

  it("say how a resume went", () => {
    expect(timelineText({ at: 0, kind: "resume", recovered: true, replayed: 1 })).toBe("resumed: 1 missed event replayed");
    expect(timelineText({ at: 0, kind: "resume", recovered: false, replayed: 0 })).toBe("resumed, but not every missed event could be replayed");
    expect(timelineText({ at: 0, kind: "reset", reason: "too far behind" })).toBe("reset (too far behind): the board starts over from a snapshot");
  });

  it("say the verdict of a close that stops, the deadline and the heartbeats", () => {
    expect(timelineText({ at: 0, kind: "verdict", code: 1009, meaning: "message too big", verdict: "stop" })).toBe("closed 1009 message too big: do not reconnect — no retry");
    expect(timelineText({ at: 0, kind: "deadline", silentMs: 1_600, deadlineMs: 1_500 })).toBe("nothing heard for 1.6 s (deadline 1.5 s): the link is dead");
    expect(timelineText({ at: 0, kind: "heartbeat", serverTimeMs: 1, sinceLastMs: 502 })).toBe("heartbeat, 502 ms after the previous one");
    expect(timelineText({ at: 0, kind: "policy", backoff: DEFAULT_POLICY, heartbeat: { intervalMs: 20_000, deadlineMs: 50_000 } })).toContain("deadline 50 s");
  });
});
