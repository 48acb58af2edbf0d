import { describe, expect, it } from "vitest";

import { KEPT_LATENCIES, NO_FIGURES, addBytes, addDelivery, addRequest, percentile, setConnections, summarize } from "./labStats";

describe("percentile", () => {
  it("is the nearest rank of the sorted values", () => {
    const values = [50, 10, 40, 20, 30];
    expect(percentile(values, 50)).toBe(30);
    expect(percentile(values, 95)).toBe(50);
    expect(percentile(values, 0)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
  });

  it("is null with no values", () => {
    expect(percentile([], 50)).toBeNull();
  });
});

describe("transport figures", () => {
  it("count requests, bytes and each event once, however often it arrives", () => {
    let f = addRequest(NO_FIGURES, 300);
    f = addRequest(f, 100);
    f = addBytes(f, 50);
    f = addDelivery(f, 7, 12);
    f = addDelivery(f, 7, 99); // a repeat (a webhook delivered twice): not counted again
    f = addDelivery(f, 8, 20);
    f = setConnections(f, 1);
    expect(summarize(f)).toEqual({ received: 2, p50: 12, p95: 20, requests: 2, bytesPerEvent: 225, connections: 1 });
  });

  it("have no bytes per event before the first event", () => {
    expect(summarize(addRequest(NO_FIGURES, 300)).bytesPerEvent).toBeNull();
  });

  it("keep only the latest latencies", () => {
    let f = NO_FIGURES;
    for (let i = 1; i <= KEPT_LATENCIES + 5; i++) f = addDelivery(f, i, i);
    expect(f.latencies).toHaveLength(KEPT_LATENCIES);
    expect(f.latencies[0]).toBe(6);
    expect(f.received).toBe(KEPT_LATENCIES + 5);
  });

  it("never record a negative latency", () => {
    expect(addDelivery(NO_FIGURES, 1, -3).latencies).toEqual([0]);
  });
});
