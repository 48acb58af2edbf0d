import { existsSync, readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { bookLinks, PHASES, findPhase } from "./phases";

describe("PHASES", () => {
  it("is numbered from 1 in course order (a phase without a page yet is left out)", () => {
    const numbers = PHASES.map((p) => p.number);
    expect(numbers[0]).toBe(1);
    expect(numbers).toEqual([...new Set(numbers)].sort((a, b) => a - b));
  });

  it("links each phase to /phases/N", () => {
    for (const phase of PHASES) {
      expect(phase.href).toBe(`/phases/${phase.number}`);
    }
  });

  it("names phase 7 as the backend's /health does, with its chapter", () => {
    expect(findPhase(7)).toMatchObject({ slug: "scale-out", title: "Scale-out", href: "/phases/7", chapter: "ch07-scale-out" });
  });

  it("starts with Foundations, as the backend's /health names it", () => {
    expect(findPhase(1)).toMatchObject({ slug: "foundations", title: "Foundations" });
    expect(findPhase(99)).toBeUndefined();
  });
});

describe("bookLinks", () => {
  it("names each phase's chapter as mdBook serves it, and its exercises section", () => {
    expect(PHASES.map((p) => p.chapter)).toEqual(["ch01-foundations", "ch02-sse", "ch03-websocket", "ch04-board", "ch05-hardening", "ch06-third-party", "ch07-scale-out", "ch08-protocol-lab"]);
    expect(bookLinks("http://localhost:3001", PHASES[2]!)).toEqual({
      chapter: "http://localhost:3001/ch03-websocket.html",
      exercises: "http://localhost:3001/ch03-websocket.html#exercises",
    });
    expect(bookLinks("https://example.test/book", PHASES[0]!).chapter).toBe("https://example.test/book/ch01-foundations.html");
  });

  it("points at chapters the book has", () => {
    const summary = readFileSync(new URL("../../docs/src/SUMMARY.md", import.meta.url), "utf8");
    for (const phase of PHASES) {
      expect(existsSync(new URL(`../../docs/src/${phase.chapter}.md`, import.meta.url)), phase.chapter).toBe(true);
      expect(summary).toContain(`(${phase.chapter}.md)`);
    }
  });
});
