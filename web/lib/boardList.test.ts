import { describe, expect, it } from "vitest";

import { BOARD_PICKER_PAGE, appendPage, boardListUrl, filterBoards, parseBoardList, parseSnapshotNotes } from "./boardList";

describe("the board list", () => {
  it("reads a page of GET /boards and skips malformed rows", () => {
    const row = { board: "demo", notes: 3, seq: 8, position: "ep-8", updatedAtMs: 5 };
    expect(parseBoardList({ boards: [row, { board: 1 }, null], next: "5.demo" })).toEqual({ boards: [row], next: "5.demo" });
    expect(parseBoardList({ boards: [row], next: null })).toEqual({ boards: [row], next: null });
    expect(parseBoardList({ boards: "no" })).toBeNull();
    expect(parseBoardList(null)).toBeNull();
  });

  it("asks for a page of the most recent boards, then the page after a cursor", () => {
    expect(boardListUrl("http://api")).toBe(`http://api/boards?limit=${BOARD_PICKER_PAGE}`);
    expect(boardListUrl("http://api", "5.demo x")).toBe(`http://api/boards?limit=${BOARD_PICKER_PAGE}&after=5.demo+x`);
    expect(BOARD_PICKER_PAGE).toBeLessThanOrEqual(500);
  });

  const summary = (board: string) => ({ board, notes: 1, seq: 1, position: "e-1", updatedAtMs: 1 });

  it("appends a page keeping each board once, in the order first seen", () => {
    const loaded = [summary("a"), summary("b")];
    expect(appendPage(loaded, [summary("b"), summary("c")]).map((b) => b.board)).toEqual(["a", "b", "c"]);
  });

  it("filters by a part of the name, ignoring case, keeping the order", () => {
    const boards = [summary("Team-1"), summary("demo"), summary("team-2")];
    expect(filterBoards(boards, " TEAM ").map((b) => b.board)).toEqual(["Team-1", "team-2"]);
    expect(filterBoards(boards, "")).toBe(boards);
    expect(filterBoards(boards, "zzz")).toEqual([]);
  });

  it("reads the notes of a GET /boards/:board snapshot, skipping malformed ones", () => {
    const note = { id: "n1", board: "b", text: "hi", color: "#fde68a", column: "To do", order: 1, author: "Ana", updatedBy: "Bo", createdAtMs: 1, updatedAtMs: 1, version: 1 };
    expect(parseSnapshotNotes({ board: "b", position: "e-1", seq: 1, notes: [note, { id: 3 }] })).toEqual([note]);
    expect(parseSnapshotNotes({ notes: "no" })).toBeNull();
  });
});
