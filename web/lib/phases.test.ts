import { describe, expect, it } from "vitest";

import { PHASES, findPhase } from "./phases";

describe("PHASES", () => {
  it("is numbered 1, 2, 3, ... in course order", () => {
    expect(PHASES.map((p) => p.number)).toEqual(PHASES.map((_, i) => i + 1));
  });

  it("links each phase to /phases/N", () => {
    for (const phase of PHASES) {
      expect(phase.href).toBe(`/phases/${phase.number}`);
    }
  });

  it("starts with Foundations, as the backend's /health names it", () => {
    expect(findPhase(1)).toMatchObject({ slug: "foundations", title: "Foundations" });
    expect(findPhase(99)).toBeUndefined();
  });
});
