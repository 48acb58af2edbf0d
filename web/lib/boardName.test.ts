import { describe, expect, it } from "vitest";

import { DEFAULT_BOARD, boardQuery, isBoardName } from "./boardName";

describe("board names", () => {
  it("accepts 1–64 of A-Z a-z 0-9 _ - and nothing else", () => {
    expect(isBoardName("team-1_a")).toBe(true);
    expect(isBoardName("x".repeat(64))).toBe(true);
    expect(isBoardName("x".repeat(65))).toBe(false);
    expect(isBoardName("")).toBe(false);
    expect(isBoardName("a b")).toBe(false);
    expect(isBoardName("café")).toBe(false);
  });

  it("opens the demo board when the address names none", () => {
    expect(boardQuery(null)).toEqual({ kind: "board", board: DEFAULT_BOARD });
    expect(boardQuery(undefined)).toEqual({ kind: "board", board: "demo" });
  });

  it("opens a valid name as it is, the first one when repeated", () => {
    expect(boardQuery("team")).toEqual({ kind: "board", board: "team" });
    expect(boardQuery(["team", "other"])).toEqual({ kind: "board", board: "team" });
  });

  it("says an invalid name is not a board name instead of opening demo", () => {
    expect(boardQuery("bad name!")).toEqual({
      kind: "invalid",
      name: "bad name!",
      message: "“bad name!” is not a board name: use 1–64 letters, digits, - or _",
    });
    expect(boardQuery("")).toMatchObject({ kind: "invalid", name: "" });
  });
});
