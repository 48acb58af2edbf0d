import { describe, expect, it } from "vitest";

import { LatencyClock, REMEMBERED, seqOfPosition } from "./labLatency";

describe("LatencyClock", () => {
  it("times an arrival from the moment its change was sent", () => {
    const clock = new LatencyClock<"sse" | "ws">();
    clock.sent(1, 1_000);
    expect(clock.answered(1, 41)).toEqual([]);
    expect(clock.arrived("sse", 41, 1_030)).toEqual({ transport: "sse", seq: 41, latencyMs: 30 });
    expect(clock.arrived("ws", 41, 1_012)).toEqual({ transport: "ws", seq: 41, latencyMs: 12 });
  });

  it("keeps an arrival that beat the POST's answer until the answer names its seq", () => {
    const clock = new LatencyClock<"ws">();
    clock.sent(1, 1_000);
    expect(clock.arrived("ws", 41, 1_005)).toBeNull();
    expect(clock.answered(1, 41)).toEqual([{ transport: "ws", seq: 41, latencyMs: 5 }]);
  });

  it("ignores the board's other events", () => {
    const clock = new LatencyClock<"sse">();
    expect(clock.arrived("sse", 3, 10)).toBeNull(); // nothing sent: not ours
    clock.sent(1, 100);
    clock.answered(1, 4);
    expect(clock.arrived("sse", 3, 110)).toBeNull();
  });

  it("forgets the oldest sends past its memory", () => {
    const clock = new LatencyClock<"sse">();
    for (let n = 1; n <= REMEMBERED + 1; n++) clock.sent(n, n);
    expect(clock.answered(1, 1)).toEqual([]);
    clock.answered(REMEMBERED + 1, 9);
    expect(clock.arrived("sse", 9, REMEMBERED + 11)).toEqual({ transport: "sse", seq: 9, latencyMs: 10 });
  });
});

describe("seqOfPosition", () => {
  it("reads the sequence number of <epoch>-<seq>", () => {
    expect(seqOfPosition("k3x9q1-41")).toBe(41);
    expect(seqOfPosition("41")).toBeNull();
    expect(seqOfPosition("k3x9q1-")).toBeNull();
    expect(seqOfPosition("k3x9q1-0")).toBeNull();
  });
});
