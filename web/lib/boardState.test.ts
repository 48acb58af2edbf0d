import { describe, expect, it } from "vitest";

import {
  buildRequest,
  MAX_LOG,
  nextRetryAt,
  sendableOps,
  SNAPSHOT_RETRY_MS,
  snapshotWanted,
  type NoteEvent,
} from "./boardState";
import { ModelServer } from "./boardTestServer";
import { BOARD, bo, boCreate, create, Scene } from "./testing/boardScene";
import type { Note } from "./generated/board";

const strip = (notes: readonly Note[]) =>
  [...notes].map(({ id, text, color, column, order, version }) => ({ id, text, color, column, order, version })).sort((a, b) => (a.id < b.id ? -1 : 1));

describe("local ops apply at once", () => {
  it("shows a created note before any answer, marked pending", () => {
    const s = new Scene().sync();
    s.act(create("n1"));
    expect(s.view().notes).toMatchObject([{ id: "n1", text: "hello", pending: true, version: 1 }]);
    expect(s.state.confirmed.notes).toEqual({});
  });

  it("ack before the event: the note stays, unmarked, and leaves pending when its event arrives", () => {
    const s = new Scene().sync();
    s.act(create("n1"));
    const [sent] = s.send();
    s.answer(sent!);
    expect(s.state.pending).toHaveLength(1);
    expect(s.state.pending[0]?.status).toBe("acked");
    expect(s.view().notes).toMatchObject([{ id: "n1", pending: false, version: 1 }]);
    s.event(sent!.outcome.event);
    expect(s.state.pending).toEqual([]);
    expect(s.state.confirmed.seq).toBe(1);
    expect(s.view().notes).toMatchObject([{ id: "n1", pending: false }]);
  });

  it("event before the ack: the event confirms the op, the late ack is ignored", () => {
    const s = new Scene().sync();
    s.act(create("n1"));
    const [sent] = s.send();
    s.event(sent!.outcome.event);
    expect(s.state.pending).toEqual([]);
    s.answer(sent!);
    expect(s.state.pending).toEqual([]);
    expect(s.state.log.at(-1)?.kind).toBe("ignored");
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
  });

  it("does not toast our own changes, and does toast other people's", () => {
    const s = new Scene().sync();
    s.act(create("n1"));
    const [sent] = s.send();
    s.event(sent!.outcome.event);
    s.event(s.remote(bo("n1", "bo-1", 1, { column: "Done" })));
    expect(s.state.notices.map((n) => [n.kind, n.text])).toEqual([["remote", "Bo moved “hello” to Done"]]);
  });
});

describe("ops on one note are chained", () => {
  it("holds a second edit until the first is confirmed, then bases it on the version the server gave", () => {
    const s = new Scene().sync();
    s.act(create("n1"));
    s.act({ kind: "update", noteId: "n1", text: "edited" });
    s.act({ kind: "move", noteId: "n1", column: "Done", order: 1 });
    expect(s.view().byId.n1).toMatchObject({ text: "edited", column: "Done", pending: true });
    // Only the create can go: the others were made on top of it.
    const first = s.send();
    expect(first.map((f) => f.outcome.answer.payload)).toMatchObject([{ request: "note_create" }]);
    s.answer(first[0]!);
    const second = s.send();
    expect(second.map((f) => f.outcome.answer.payload)).toMatchObject([{ request: "note_update", version: 2 }]);
    s.answer(second[0]!);
    const third = s.send();
    expect(third.map((f) => f.outcome.answer.payload)).toMatchObject([{ request: "note_move", version: 3 }]);
    s.answer(third[0]!);
    for (const f of [...first, ...second, ...third]) s.event(f.outcome.event);
    expect(s.state.pending).toEqual([]);
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
  });

  it("a remote change between our two edits does not make the second conflict with the first", () => {
    // The case a predicted baseVersion gets wrong: Bo's move lands between our two text edits.
    const s = new Scene().sync();
    const created = s.remote(boCreate("n1"));
    s.event(created);
    s.act({ kind: "update", noteId: "n1", text: "one" }); // base v1
    s.act({ kind: "update", noteId: "n1", text: "two" }); // made on top of "one"
    const moved = s.remote(bo("n1", "bo-2", 1, { column: "Done" })); // v2, before ours reaches the server
    const [first] = s.send(); // v3
    s.event(moved).answer(first!);
    const [second] = s.send();
    expect(second!.outcome.answer).toMatchObject({ type: "ack", payload: { version: 4 } });
    s.answer(second!).event(first!.outcome.event).event(second!.outcome.event);
    expect(s.view().byId.n1).toMatchObject({ text: "two", column: "Done", pending: false });
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
  });
});

describe("rejections roll back with a message", () => {
  it("version_conflict: the op leaves, the note shows the server's current version", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1", "original")));
    s.act({ kind: "update", noteId: "n1", text: "mine" });
    expect(s.view().byId.n1?.text).toBe("mine");
    // Bo's edit reaches the server first; its event has not reached us yet.
    const boEdit = s.remote(bo("n1", "bo-2", 1, { text: "theirs" }));
    const [sent] = s.send();
    expect(sent!.outcome.answer).toMatchObject({ type: "error", payload: { code: "version_conflict" } });
    s.answer(sent!);
    expect(s.state.pending).toEqual([]);
    expect(s.view().byId.n1).toMatchObject({ text: "theirs", version: 2, pending: false });
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "rejected", code: "version_conflict", noteId: "n1" });
    expect(s.state.notices.at(-1)?.text).toBe("Your edit was undone: someone changed this note first, and it now shows their version.");
    // The server's message is for programs here; a `detail` only when the server sends one.
    expect(s.state.notices.at(-1)?.detail).toBeUndefined();
    // Bo's event, arriving later, changes nothing and is not applied twice.
    s.event(boEdit);
    expect(s.view().byId.n1).toMatchObject({ text: "theirs", version: 2 });
    expect(s.state.confirmed.seq).toBe(2);
  });

  it("validation: a too-long text is rolled back to the confirmed text", () => {
    const s = new Scene();
    (s as { server: ModelServer }).server = new ModelServer(BOARD, { maxTextChars: 5 });
    s.sync();
    s.event(s.remote(boCreate("n1", "short")));
    s.act({ kind: "update", noteId: "n1", text: "far too long" });
    expect(s.view().byId.n1).toMatchObject({ text: "far too long", pending: true });
    s.answer(s.send()[0]!);
    expect(s.view().byId.n1).toMatchObject({ text: "short", pending: false });
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "rejected", code: "validation" });
  });

  it("a refused create takes the ops queued on the new note with it", () => {
    const s = new Scene();
    (s as { server: ModelServer }).server = new ModelServer(BOARD, { maxTextChars: 3 });
    s.sync();
    s.act(create("n1", "too long"));
    s.act({ kind: "move", noteId: "n1", column: "Done", order: 1 });
    s.answer(s.send()[0]!);
    expect(s.state.pending).toEqual([]);
    expect(s.view().notes).toEqual([]);
    expect(s.state.notices.at(-1)?.text).toBe("Your new note was not added: text too long");
    // Nothing typed is thrown away: the notice can put the text back into its column.
    expect(s.state.notices.at(-1)?.restore).toEqual({ column: "To do", text: "too long" });
  });

  it("too_many_boards: a create on a new board past the server's cap is rolled back, not retried", () => {
    const s = new Scene().sync();
    const opId = s.act(create("n1"));
    const [sent] = s.send();
    const message = "the server holds 10000 boards, the most allowed (LIVEBOARD_BOARD_MAX_BOARDS): add notes to an existing board";
    s.dispatch({ type: "error", requestId: sent!.requestId, error: { code: "too_many_boards", message, opId }, at: s.tick() });
    expect(s.state.pending).toEqual([]);
    expect(s.view().notes).toEqual([]);
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "rejected", code: "too_many_boards", detail: message });
    expect(sendableOps(s.state, s.at + 60_000)).toEqual([]);
  });

  it("an error matched only by request id (phase 3's invalid_payload) rolls back too", () => {
    const s = new Scene().sync();
    s.act(create("n1"));
    const [sent] = s.send();
    s.dispatch({ type: "error", requestId: sent!.requestId, error: { code: "invalid_payload", message: "bad" }, at: s.tick() });
    expect(s.state.pending).toEqual([]);
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "rejected", code: "invalid_payload" });
  });

  it("a dependent op inherits the base of a refused op and is sent", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1")));
    s.act({ kind: "update", noteId: "n1", text: "a" });
    s.act({ kind: "update", noteId: "n1", color: "#ff0000" });
    s.event(s.remote(bo("n1", "bo-2", 1, { text: "bo" })));
    const [first] = s.send();
    s.answer(first!); // conflict on text
    const [second] = s.send(); // the color change, based on v1 like the refused edit: no color conflict
    expect(second!.outcome.answer.type).toBe("ack");
    s.answer(second!).event(second!.outcome.event);
    expect(s.view().byId.n1).toMatchObject({ text: "bo", color: "#ff0000" });
  });

  it("rate_limited keeps the op and sends it again later with the same opId", () => {
    const s = new Scene().sync();
    const opId = s.act(create("n1"));
    const [sent] = s.send();
    s.dispatch({
      type: "error",
      requestId: sent!.requestId,
      error: { code: "rate_limited", message: "slow down", opId, retryAfterMs: 50 },
      at: 1_000,
    });
    expect(s.state.pending[0]).toMatchObject({ status: "queued", notBefore: 1_050 });
    expect(sendableOps(s.state, 1_049)).toEqual([]);
    expect(nextRetryAt(s.state)).toBe(1_050);
    expect(sendableOps(s.state, 1_050).map((o) => o.opId)).toEqual([opId]);
    expect(s.view().byId.n1?.pending).toBe(true);
  });
});

describe("remote changes rebase the pending ops", () => {
  it("re-applies a pending edit on top of a remote change to another field", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1")));
    s.act({ kind: "update", noteId: "n1", text: "mine" });
    s.event(s.remote(bo("n1", "bo-2", 1, { column: "Done" })));
    expect(s.view().byId.n1).toMatchObject({ text: "mine", column: "Done", pending: true });
    expect(s.state.log.at(-1)?.kind).toBe("rebased");
  });

  it("a remote delete drops our pending edit of that note, with a message", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1")));
    s.act({ kind: "update", noteId: "n1", text: "mine" });
    s.act({ kind: "move", noteId: "n1", column: "Done", order: 1 });
    s.event(s.remote(bo("n1", "bo-2", 1, { delete: true })));
    expect(s.state.pending).toEqual([]);
    expect(s.view().notes).toEqual([]);
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "dropped" });
    expect(s.state.notices.at(-1)?.text).toBe("Bo deleted a note you were changing: your edit and move were dropped.");
  });

  it("the server's later not_found for a dropped op is ignored", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1")));
    s.act({ kind: "update", noteId: "n1", text: "mine" });
    const deleted = s.remote(bo("n1", "bo-2", 1, { delete: true }));
    const [sent] = s.send();
    s.event(deleted).answer(sent!);
    expect(s.state.notices.filter((n) => n.kind === "rejected")).toEqual([]);
    expect(s.state.log.at(-1)?.kind).toBe("ignored");
  });
});

describe("server events are applied in sequence order", () => {
  function threeRemoteEvents(s: Scene): NoteEvent[] {
    return [s.remote(boCreate("a")), s.remote(boCreate("b")), s.remote(bo("a", "bo-x", 1, { text: "a2" }))];
  }

  it("buffers an early event and applies it once the missing one arrives", () => {
    const s = new Scene().sync();
    const [e1, e2, e3] = threeRemoteEvents(s);
    s.event(e3!).event(e2!);
    expect(s.state.confirmed.seq).toBe(0);
    expect(s.state.buffered.map((e) => e.payload.seq)).toEqual([2, 3]);
    expect(snapshotWanted(s.state)).toBe(true); // a hole: ask, in case it never fills
    s.event(e1!);
    expect(s.state.confirmed.seq).toBe(3);
    expect(s.state.buffered).toEqual([]);
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
  });

  it("takes a numbered chat line between note events as the next seq: no gap, no snapshot, notes unchanged", () => {
    const s = new Scene().sync();
    const e1 = s.remote(boCreate("a"));
    const chat1 = s.server.chat();
    const chat2 = s.server.chat();
    const e4 = s.remote(bo("a", "bo-x", 1, { text: "a2" }));
    s.event(e1).event(chat1);
    const notesAfterNote = s.state.confirmed.notes;
    expect(s.state.confirmed).toMatchObject({ seq: 2, position: "e1-2" });
    expect(s.state.confirmed.notes).toBe(notesAfterNote);
    // Out of order: the note event waits for the chat line before it, then both apply.
    s.event(e4).event(chat2);
    expect(s.state.confirmed.seq).toBe(4);
    expect(s.state.buffered).toEqual([]);
    expect(snapshotWanted(s.state)).toBe(false);
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
    expect(s.state.notices.filter((n) => n.kind === "remote")).toHaveLength(2); // the note events only
    s.event(chat1);
    expect(s.state.log.at(-1)?.kind).toBe("duplicate");
  });

  it("ignores duplicates at or below the last applied seq", () => {
    const s = new Scene().sync();
    const [e1, e2] = threeRemoteEvents(s);
    s.event(e1!).event(e2!);
    const before = s.state.confirmed;
    s.event(e1!).event(e2!);
    expect(s.state.confirmed).toBe(before);
    expect(s.state.log.at(-1)?.kind).toBe("duplicate");
  });

  it("before the first snapshot, keeps events and applies only those after the snapshot's seq", () => {
    const s = new Scene();
    const [e1, e2, e3] = threeRemoteEvents(s);
    s.event(e1!).event(e3!);
    expect(snapshotWanted(s.state)).toBe(true);
    s.dispatch({ type: "snapshot-requested", requestId: "r1", at: s.tick() });
    expect(snapshotWanted(s.state)).toBe(false);
    // The snapshot was read after e2 (seq 2): e1 is in it, e3 is not.
    const snap = { board: BOARD, position: "e1-2", seq: 2, notes: [e1!, e2!].map((e) => (e.type === "note.created" ? e.payload.note : null)).filter((n): n is Note => n !== null) };
    s.dispatch({ type: "snapshot", requestId: "r1", snapshot: snap, at: s.tick() });
    expect(s.state.synced).toBe(true);
    expect(s.state.confirmed.seq).toBe(3);
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
  });

  it("an older snapshot than the board is ignored: the board never goes back in time", () => {
    const s = new Scene().sync();
    const old = s.server.snapshot();
    s.event(s.remote(boCreate("a")));
    s.dispatch({ type: "snapshot", snapshot: old, at: s.tick() });
    expect(s.state.confirmed.seq).toBe(1);
    expect(Object.keys(s.state.confirmed.notes)).toEqual(["a"]);
    expect(s.state.log.at(-1)?.kind).toBe("ignored");
  });

  it("a snapshot replaces the confirmed state and keeps pending ops on top", () => {
    const s = new Scene().sync();
    s.act(create("mine"));
    s.remote(boCreate("theirs"));
    s.dispatch({ type: "snapshot", snapshot: s.server.snapshot(), at: s.tick() });
    expect(s.view().notes.map((n) => [n.id, n.pending])).toEqual([
      ["mine", true],
      ["theirs", false],
    ]);
  });

  it("an event from another epoch means history was lost: resync from a snapshot", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("a")));
    const other = new ModelServer(BOARD, { epoch: "e2" });
    const { event } = other.handle(boCreate("z"));
    s.event(event);
    expect(s.state.synced).toBe(false);
    expect(snapshotWanted(s.state)).toBe(true);
  });
});

describe("reconnection and idempotent retries", () => {
  it("resends in-flight ops unchanged after a lost connection; a duplicate ack confirms them once", () => {
    const s = new Scene().sync();
    const opId = s.act(create("n1"));
    s.send(); // applied on the server, but the answer is lost
    s.dispatch({ type: "connection-lost", at: s.tick() });
    expect(s.state.pending[0]).toMatchObject({ status: "queued", requestId: null, sends: 1 });
    const [again] = s.send();
    expect(again!.outcome.answer).toMatchObject({ type: "ack", payload: { opId, duplicate: true, seq: 1 } });
    s.answer(again!);
    // The replay after the resume brings the event; nothing is applied twice.
    for (const e of s.server.eventsAfter(s.state.confirmed.seq)) s.event(e);
    s.dispatch({ type: "resumed", recovered: true, at: s.tick() });
    expect(s.state.pending).toEqual([]);
    expect(s.server.notes()).toHaveLength(1);
    expect(strip(s.view().notes)).toEqual(strip(s.server.notes()));
  });

  it("a reset or an incomplete resume asks for a snapshot", () => {
    const s = new Scene().sync();
    expect(snapshotWanted(s.state)).toBe(false);
    s.dispatch({ type: "resumed", recovered: false, at: s.tick() });
    expect(snapshotWanted(s.state)).toBe(true);
    s.sync();
    s.dispatch({ type: "reset", reason: "position unknown", at: s.tick() });
    expect(snapshotWanted(s.state)).toBe(true);
  });

  it("a lost connection forgets the snapshot request in flight", () => {
    const s = new Scene();
    s.dispatch({ type: "snapshot-requested", requestId: "r9", at: 1 });
    s.dispatch({ type: "connection-lost", at: 2 });
    expect(snapshotWanted(s.state)).toBe(true);
  });
});

describe("bookkeeping", () => {
  it("bounds the log and lets notices be dismissed", () => {
    const s = new Scene().sync();
    for (let i = 0; i < MAX_LOG + 10; i += 1) s.act(create(`n${i}`));
    expect(s.state.log).toHaveLength(MAX_LOG);
    expect(s.state.log.at(-1)?.n).toBe(s.state.nextLog - 1);
    s.event(s.remote(boCreate("x")));
    const id = s.state.notices.at(-1)!.id;
    s.dispatch({ type: "dismiss", id });
    expect(s.state.notices).toEqual([]);
  });

  it("ignores messages about other boards", () => {
    const s = new Scene().sync();
    const other = new ModelServer("elsewhere");
    const { event } = other.handle({ ...boCreate("z"), payload: { ...boCreate("z").payload, board: "elsewhere" } });
    const before = s.state;
    s.event(event);
    expect(s.state).toBe(before);
  });

  it("builds each request type with the board, author and base version", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1")));
    s.act({ kind: "update", noteId: "n1", color: "#000000" });
    const op = s.state.pending[0]!;
    expect(buildRequest(BOARD, op)).toEqual({
      type: "note_update",
      payload: { board: BOARD, opId: op.opId, noteId: "n1", baseVersion: 1, color: "#000000", author: "Ana" },
    });
  });
});

describe("snapshot requests", () => {
  it("waits before asking again after a refusal (e.g. a server without phase 4)", () => {
    const s = new Scene();
    s.dispatch({ type: "snapshot-requested", requestId: "r1", at: 1_000 });
    s.dispatch({ type: "error", requestId: "r1", error: { code: "unknown_type", message: "no such request" }, at: 1_000 });
    expect(snapshotWanted(s.state, 1_000)).toBe(false);
    expect(snapshotWanted(s.state, 1_000 + SNAPSHOT_RETRY_MS)).toBe(true);
    expect(s.state.notices).toEqual([]);
  });
});
