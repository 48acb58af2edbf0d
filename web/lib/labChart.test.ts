import { describe, expect, it } from "vitest";

import { bars, linePoints, niceCeiling, yOf } from "./labChart";

describe("chart scales", () => {
  it("end on 1, 2 or 5 times a power of ten", () => {
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(5)).toBe(5);
    expect(niceCeiling(12)).toBe(20);
    expect(niceCeiling(740)).toBe(1_000);
    expect(niceCeiling(0.3)).toBe(0.5);
    expect(niceCeiling(Number.NaN)).toBe(1);
  });

  it("put zero at the bottom and the maximum at the top, clamping what is outside", () => {
    expect(yOf(0, 10, 100)).toBe(100);
    expect(yOf(10, 10, 100)).toBe(0);
    expect(yOf(25, 10, 100)).toBe(0);
    expect(yOf(-1, 10, 100)).toBe(100);
  });
});

describe("chart shapes", () => {
  it("spread a line's points evenly across the width", () => {
    expect(linePoints([0, 5, 10], 10, 100, 50)).toBe("0,50 50,25 100,0");
    expect(linePoints([4], 8, 100, 50)).toBe("0,25");
    expect(linePoints([], 8, 100, 50)).toBe("");
  });

  it("set bars side by side with their heights to scale", () => {
    expect(bars([10, null, 5], 10, 100, 40, 5)).toEqual([
      { x: 0, y: 0, width: 30, height: 40 },
      { x: 35, y: 40, width: 30, height: 0 },
      { x: 70, y: 20, width: 30, height: 20 },
    ]);
  });
});
