import { describe, expect, it } from "vitest";

import { DEFAULT_POLICY } from "./backoff";
import { hardeningMessageOf, retryHintOf } from "./hardeningMessages";

describe("phase 5's messages", () => {
  it("read the connection policy the server advertises after welcome", () => {
    const json = { type: "connection.policy", payload: { backoff: DEFAULT_POLICY, heartbeat: { intervalMs: 20_000, deadlineMs: 50_000 } } };
    expect(hardeningMessageOf(json)).toEqual({ kind: "policy", policy: json.payload });
  });

  it("read a heartbeat", () => {
    expect(hardeningMessageOf({ type: "heartbeat", payload: { serverTimeMs: 1_764_600_000_000 } })).toEqual({ kind: "heartbeat", serverTimeMs: 1_764_600_000_000 });
  });

  it("refuse a policy that would make backoff a tight loop, and anything malformed", () => {
    const heartbeat = { intervalMs: 1, deadlineMs: 1 };
    expect(hardeningMessageOf({ type: "connection.policy", payload: { backoff: { ...DEFAULT_POLICY, factor: 0.5 }, heartbeat } })).toBeNull();
    expect(hardeningMessageOf({ type: "connection.policy", payload: { backoff: { ...DEFAULT_POLICY, baseMs: 0 }, heartbeat } })).toBeNull();
    expect(hardeningMessageOf({ type: "connection.policy", payload: { backoff: DEFAULT_POLICY, heartbeat: { intervalMs: 1 } } })).toBeNull();
    expect(hardeningMessageOf({ type: "heartbeat", payload: { serverTimeMs: "now" } })).toBeNull();
    expect(hardeningMessageOf({ type: "welcome", payload: {} })).toBeNull();
    expect(hardeningMessageOf("heartbeat")).toBeNull();
  });
});

describe("the retry hint in a close reason", () => {
  it("is read as the Rust side writes it", () => {
    expect(retryHintOf("server shutting down retry-after-ms=2300")).toBe(2_300);
    expect(retryHintOf(" retry-after-ms=0")).toBe(0);
    expect(retryHintOf("slow consumer")).toBeNull();
    expect(retryHintOf("x retry-after-ms=soon")).toBeNull();
    expect(retryHintOf("x retry-after-ms=-5")).toBeNull();
  });
});
