import { describe, expect, it } from "vitest";

import { columnsOf, DEFAULT_COLUMNS, groupByColumn, orderAt, orderAtEnd, placeFor, stepPlace } from "./boardLayout";
import type { Note } from "./generated/board";

function note(id: string, column: string, order: number): Note {
  return { id, board: "demo", text: id, color: "#fde68a", column, order, author: "Ana", updatedBy: "Ana", createdAtMs: 0, updatedAtMs: 0, version: 1 };
}

const notes = [note("a", "To do", 1), note("b", "To do", 2), note("c", "To do", 3), note("d", "Done", 1)];

describe("columns", () => {
  it("always shows the default columns, then any other column a note is in", () => {
    expect(columnsOf([])).toEqual(DEFAULT_COLUMNS);
    expect(columnsOf([note("x", "Todo", 1), note("y", "Archive", 1), note("z", "Done", 1)])).toEqual([...DEFAULT_COLUMNS, "Archive", "Todo"]);
  });

  it("groups notes by column, sorted by order then id", () => {
    const groups = groupByColumn([note("b", "Done", 1), note("a", "Done", 1), note("c", "Done", 0.5)], DEFAULT_COLUMNS);
    expect(groups.get("Done")?.map((n) => n.id)).toEqual(["c", "a", "b"]);
    expect(groups.get("To do")).toEqual([]);
  });
});

describe("orders", () => {
  it("puts a note between two others at the midpoint, before the first at -1, after the last at +1", () => {
    const column = notes.slice(0, 3);
    expect(orderAt(column, 1)).toBe(1.5);
    expect(orderAt(column, 0)).toBe(0);
    expect(orderAtEnd(column)).toBe(4);
    expect(orderAt([], 0)).toBe(1);
  });

  it("computes a drop position; dropping a note where it is changes nothing", () => {
    expect(placeFor(notes, "a", "To do", 0)).toBeNull();
    expect(placeFor(notes, "a", "To do", 1)).toBeNull(); // just below itself
    expect(placeFor(notes, "a", "To do", 2)).toEqual({ column: "To do", order: 2.5 }); // between b and c
    expect(placeFor(notes, "c", "To do", 0)).toEqual({ column: "To do", order: 0 });
    expect(placeFor(notes, "a", "Done", 0)).toEqual({ column: "Done", order: 0 });
    expect(placeFor(notes, "a", "Doing", 0)).toEqual({ column: "Doing", order: 1 });
    expect(placeFor(notes, "zz", "Done", 0)).toBeNull();
  });

  it("steps a note up, down, and to the end of the neighbouring column", () => {
    const cols = DEFAULT_COLUMNS;
    expect(stepPlace(notes, cols, "b", "up")).toEqual({ column: "To do", order: 0 });
    expect(stepPlace(notes, cols, "b", "down")).toEqual({ column: "To do", order: 4 });
    expect(stepPlace(notes, cols, "a", "up")).toBeNull();
    expect(stepPlace(notes, cols, "c", "down")).toBeNull();
    expect(stepPlace(notes, cols, "a", "right")).toEqual({ column: "Doing", order: 1 });
    expect(stepPlace(notes, cols, "a", "left")).toBeNull();
    expect(stepPlace(notes, cols, "d", "right")).toBeNull();
    expect(stepPlace(notes, cols, "d", "left")).toEqual({ column: "Doing", order: 1 });
  });
});
