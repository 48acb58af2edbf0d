import { describe, expect, it } from "vitest";

import { formatBytes, scriptCost } from "./scriptCost";

const entry = (name: string, encodedBodySize: number, decodedBodySize: number, startTime = 20) => ({ name, startTime, encodedBodySize, decodedBodySize });

describe("scriptCost", () => {
  it("counts only the JavaScript files fetched since", () => {
    const cost = scriptCost(10, [
      entry("http://h/_next/static/chunks/a.js", 100, 300, 9), // started before
      entry("http://h/_next/static/chunks/b.js?v=1", 40, 120),
      entry("http://h/_next/static/chunks/c.js", 10, 30),
      entry("http://backend/boards/b/events", 5, 5), // not a script
    ]);
    expect(cost).toEqual({ files: 2, wireBytes: 50, bytes: 150 });
  });

  it("is nothing when nothing was fetched", () => {
    expect(scriptCost(0, [])).toEqual({ files: 0, wireBytes: 0, bytes: 0 });
  });
});

describe("formatBytes", () => {
  it("says bytes below a kilobyte and kB above", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(11_567)).toBe("11.6 kB");
  });
});
