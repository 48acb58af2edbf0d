import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { closed, DEFAULT_POLICY, FRESH_COUNTER, nextDelayMs, opened, type BackoffPolicy } from "./backoff";

type DelayCase = {
  policy: string;
  attempt: number;
  draw: number;
  hintMs?: number | null;
  expectedMs: number;
};
type Step = { event: "opened" | "closed"; atMs: number; expectedAttempt?: number };
type Vectors = {
  policies: Record<string, BackoffPolicy>;
  delays: DelayCase[];
  hints: DelayCase[];
  resets: { policy: string; steps: Step[] };
};

// The same file the Rust tests read: one contract, two implementations.
const vectors = JSON.parse(
  readFileSync(new URL("../../phases/5-hardening/contract/backoff-vectors.json", import.meta.url), "utf8"),
) as Vectors;

describe("the backoff contract's vectors", () => {
  it("cover enough cases", () => {
    expect(vectors.delays.length).toBeGreaterThanOrEqual(100);
  });

  it("give the same delay in TypeScript as in Rust, case by case", () => {
    for (const c of [...vectors.delays, ...vectors.hints]) {
      const policy = vectors.policies[c.policy];
      expect(policy, c.policy).toBeDefined();
      expect(nextDelayMs(policy!, c.attempt, c.draw, c.hintMs ?? null), JSON.stringify(c)).toBe(c.expectedMs);
    }
  });

  it("reset the counter only after a stable connection, step by step", () => {
    const policy = vectors.policies[vectors.resets.policy]!;
    let counter = FRESH_COUNTER;
    for (const step of vectors.resets.steps) {
      if (step.event === "opened") {
        counter = opened(counter, step.atMs);
      } else {
        const next = closed(counter, step.atMs, policy);
        expect(next.attempt, `closed at ${step.atMs}`).toBe(step.expectedAttempt);
        counter = next.counter;
      }
    }
  });

  it("use the same default policy the client falls back to", () => {
    expect(vectors.policies.default).toEqual(DEFAULT_POLICY);
  });
});
