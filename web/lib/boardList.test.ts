import { describe, expect, it } from "vitest";

import { boardFromQuery, isBoardName, parseBoardList } from "./boardList";

describe("the board list", () => {
  it("reads GET /boards and skips malformed rows", () => {
    const row = { board: "demo", notes: 3, seq: 8, position: "ep-8", updatedAtMs: 5 };
    expect(parseBoardList({ boards: [row, { board: 1 }, null] })).toEqual([row]);
    expect(parseBoardList({ boards: "no" })).toBeNull();
    expect(parseBoardList(null)).toBeNull();
  });

  it("accepts board names as the server does, and falls back to demo", () => {
    expect(isBoardName("team-1_a")).toBe(true);
    expect(isBoardName("")).toBe(false);
    expect(isBoardName("a b")).toBe(false);
    expect(isBoardName("x".repeat(65))).toBe(false);
    expect(boardFromQuery(undefined)).toBe("demo");
    expect(boardFromQuery("a b")).toBe("demo");
    expect(boardFromQuery(["team", "other"])).toBe("team");
  });
});
