import { describe, expect, it } from "vitest";

import { EDITING_TTL_MS, editorsOf, editorsReducer, noteEditingRequest, parseNoteEditing, type Editor } from "./editing";

const BO = { board: "demo", noteId: "n1", clientId: "c-bo", name: "Bo", color: "#bfdbfe", editing: true };

describe("who is editing", () => {
  it("reads note.editing and nothing else", () => {
    expect(parseNoteEditing({ type: "note.editing", payload: BO })).toEqual(BO);
    expect(parseNoteEditing({ type: "note.editing", payload: { ...BO, editing: "yes" } })).toBeNull();
    expect(parseNoteEditing({ type: "note.updated", payload: BO })).toBeNull();
    expect(parseNoteEditing("note.editing")).toBeNull();
  });

  it("asks in the shape the server expects", () => {
    expect(noteEditingRequest("demo", "n1", true)).toEqual({ type: "note_editing", payload: { board: "demo", noteId: "n1", editing: true } });
  });

  it("adds, refreshes and removes an editor; never shows me", () => {
    let editors: readonly Editor[] = [];
    editors = editorsReducer(editors, { type: "event", event: BO, at: 1 });
    editors = editorsReducer(editors, { type: "event", event: BO, at: 2 });
    expect(editors).toEqual([{ noteId: "n1", clientId: "c-bo", name: "Bo", color: "#bfdbfe", at: 2 }]);
    expect(editorsOf(editors, "n1", "c-bo")).toEqual([]);
    expect(editorsOf(editors, "n1", "c-me")).toHaveLength(1);
    expect(editorsReducer(editors, { type: "event", event: { ...BO, editing: false }, at: 3 })).toEqual([]);
  });

  it("drops an entry not refreshed in time, and everything of someone who left", () => {
    let editors = editorsReducer([], { type: "event", event: BO, at: 1_000 });
    editors = editorsReducer(editors, { type: "event", event: { ...BO, noteId: "n2" }, at: 20_000 });
    expect(editorsReducer(editors, { type: "expire", now: 1_000 + EDITING_TTL_MS - 1 })).toHaveLength(2);
    expect(editorsReducer(editors, { type: "expire", now: 1_000 + EDITING_TTL_MS })).toMatchObject([{ noteId: "n2" }]);
    expect(editorsReducer(editors, { type: "leave", clientId: "c-bo" })).toEqual([]);
  });
});
