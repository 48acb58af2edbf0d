import { describe, expect, it } from "vitest";

import { BOARD_PICKER_PAGE, boardFromQuery, boardListUrl, isBoardName, parseBoardList } from "./boardList";

describe("the board list", () => {
  it("reads a page of GET /boards and skips malformed rows", () => {
    const row = { board: "demo", notes: 3, seq: 8, position: "ep-8", updatedAtMs: 5 };
    expect(parseBoardList({ boards: [row, { board: 1 }, null], next: "5.demo" })).toEqual({ boards: [row], next: "5.demo" });
    expect(parseBoardList({ boards: [row], next: null })).toEqual({ boards: [row], next: null });
    expect(parseBoardList({ boards: "no" })).toBeNull();
    expect(parseBoardList(null)).toBeNull();
  });

  it("asks for the first page of the most recent boards", () => {
    expect(boardListUrl("http://api")).toBe(`http://api/boards?limit=${BOARD_PICKER_PAGE}`);
    expect(BOARD_PICKER_PAGE).toBeLessThanOrEqual(500);
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
