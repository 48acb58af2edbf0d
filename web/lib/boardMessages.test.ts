import { describe, expect, it } from "vitest";

import { boardMessageOf, encodeNoteRequest, toNote } from "./boardMessages";
import { parseJson } from "./boardProtocol";
import type { Note } from "./generated/board";

/** What the board makes of a message's text (parsed as useWebSocket parses it). */
const parseBoardMessage = (text: string) => boardMessageOf(parseJson(text));

const note: Note = {
  id: "n1",
  board: "demo",
  text: "Buy milk",
  color: "#fde68a",
  column: "To do",
  order: 1,
  author: "Ana",
  updatedBy: "Bo",
  createdAtMs: 1,
  updatedAtMs: 2,
  version: 3,
};
const common = { board: "demo", position: "ep-7", seq: 7, opId: "op-1", author: "Ana", summary: "Ana moved a note to Done" };

describe("boardMessageOf", () => {
  it("sorts a note ack, an error with the current note, a snapshot and each event", () => {
    const ack = { request: "note_move", board: "demo", position: "ep-7", seq: 7, opId: "op-1", noteId: "n1", version: 4, note, duplicate: false };
    expect(parseBoardMessage(JSON.stringify({ id: "4", type: "ack", payload: ack }))).toEqual({ kind: "ack", id: "4", ack });
    expect(parseBoardMessage(JSON.stringify({ type: "ack", payload: { ...ack, note: null } }))).toMatchObject({ kind: "ack", ack: { note: null } });

    const conflict = { code: "version_conflict", message: "changed", opId: "op-2", current: note };
    expect(parseBoardMessage(JSON.stringify({ id: "5", type: "error", payload: conflict }))).toEqual({ kind: "error", id: "5", error: conflict });
    expect(parseBoardMessage(JSON.stringify({ id: "6", type: "error", payload: { code: "invalid_payload", message: "no" } }))).toEqual({
      kind: "error",
      id: "6",
      error: { code: "invalid_payload", message: "no" },
    });

    const snapshot = { board: "demo", position: "ep-7", seq: 7, notes: [note] };
    expect(parseBoardMessage(JSON.stringify({ id: "1", type: "snapshot", payload: snapshot }))).toEqual({ kind: "snapshot", id: "1", snapshot });

    const moved = { type: "note.moved", payload: { ...common, fromColumn: "To do", note } };
    expect(parseBoardMessage(JSON.stringify(moved))).toEqual({ kind: "event", event: moved });
    const deleted = { type: "note.deleted", payload: { ...common, noteId: "n1", version: 3 } };
    expect(parseBoardMessage(JSON.stringify(deleted))).toEqual({ kind: "event", event: deleted });
    const updated = { type: "note.updated", payload: { ...common, changed: ["text"], note } };
    expect(parseBoardMessage(JSON.stringify(updated))).toEqual({ kind: "event", event: updated });
    const created = { type: "note.created", payload: { ...common, note } };
    expect(parseBoardMessage(JSON.stringify(created))).toEqual({ kind: "event", event: created });
  });

  it("sorts a chat line as a board event taking the seq of its position", () => {
    const line = { board: "demo", position: "ep-8", text: "hi", name: "Bo", sentAtMs: 5 };
    expect(parseBoardMessage(JSON.stringify({ type: "message", payload: line }))).toEqual({
      kind: "event",
      event: { type: "message", payload: { board: "demo", position: "ep-8", seq: 8 } },
    });
    expect(parseBoardMessage(JSON.stringify({ type: "message", payload: { ...line, position: "ep-x" } }))).toBeNull();
    expect(parseBoardMessage(JSON.stringify({ type: "message", payload: { ...line, position: "8" } }))).toBeNull();
  });

  it("passes phase 3's session messages through, subscribe's ack included", () => {
    expect(parseBoardMessage('{"type":"ready","payload":{"board":"demo","position":"ep-7","recovered":true,"replayed":2}}')).toMatchObject({
      kind: "session",
      envelope: { type: "ready" },
    });
    expect(parseBoardMessage('{"id":"1","type":"ack","payload":{"request":"subscribe","board":"demo"}}')).toMatchObject({
      kind: "session",
      envelope: { type: "ack", id: "1" },
    });
  });

  it("refuses what the board cannot trust", () => {
    expect(parseBoardMessage("{oops")).toBeNull();
    expect(parseBoardMessage('{"type":"note.moved","payload":{"seq":"7"}}')).toBeNull();
    expect(parseBoardMessage('{"type":"snapshot","payload":{"board":"demo","position":"p","seq":1,"notes":[{}]}}')).toBeNull();
    expect(parseBoardMessage('{"type":"whatever","payload":{}}')).toBeNull();
    expect(parseBoardMessage('{"id":5,"type":"ready","payload":{}}')).toBeNull();
    expect(toNote({ ...note, order: "1" })).toBeNull();
  });

  it("reads a note logged before updatedBy existed as last changed by its author", () => {
    const { updatedBy: _, ...old } = note;
    expect(toNote(old)).toEqual({ ...note, updatedBy: "Ana" });
    expect(toNote(note)?.updatedBy).toBe("Bo");
  });
});

describe("encodeNoteRequest", () => {
  it("puts the id beside type and payload", () => {
    expect(JSON.parse(encodeNoteRequest({ type: "board_snapshot", payload: { board: "demo" } }, "9"))).toEqual({
      id: "9",
      type: "board_snapshot",
      payload: { board: "demo" },
    });
  });
});
