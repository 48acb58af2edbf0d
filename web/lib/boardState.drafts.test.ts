/**
 * Drafts and conflicts, and undo, in the board reducer: an edit is based on the text it
 * started from, and nothing typed or seen is ever overwritten silently.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { MAX_UNDO, quoteNote, userMessage, type BoardAction, type NoteEvent } from "./boardState";
import { ModelServer, type ModelOutcome } from "./boardTestServer";
import type { Note } from "./generated/board";
import { BOARD, bo, boCreate, create, Scene } from "./testing/boardScene";

/** A scene with one confirmed note "original" (v1, by Bo) and Ana's editor open on it, typed "mine". */
function editing(text = "mine"): Scene {
  const s = new Scene().sync();
  s.event(s.remote(boCreate("n1", "original")));
  s.dispatch({ type: "draft-open", noteId: "n1", at: s.tick() });
  s.dispatch({ type: "draft-change", noteId: "n1", text });
  return s;
}

function save(s: Scene): string {
  const opId = s.nextOp();
  s.dispatch({ type: "draft-save", noteId: "n1", opId, author: "Ana", at: s.tick() });
  return opId;
}

function resolve(s: Scene, choice: "mine" | "theirs" | "both", newNoteId = "copy-1"): string {
  const opId = s.nextOp();
  s.dispatch({ type: "draft-resolve", noteId: "n1", choice, newNoteId, opId, author: "Ana", at: s.tick() });
  return opId;
}

function undo(s: Scene, newNoteId = "again-1", entry?: string): string {
  const opId = s.nextOp();
  s.dispatch({ type: "undo", newNoteId, opId, author: "Ana", at: s.tick(), ...(entry ? { entry } : {}) });
  return opId;
}

/** Sends what may go, answers it and delivers its events. */
function roundTrip(s: Scene): void {
  for (const sent of s.send()) {
    s.answer(sent);
    if (sent.outcome.event) s.event(sent.outcome.event);
  }
}

describe("an edit is based on the text it started from", () => {
  it("a remote text change seen before saving opens the conflict panel, and nothing is sent", () => {
    const s = editing();
    s.event(s.remote(bo("n1", "bo-2", 1, { text: "theirs" })));
    expect(s.state.drafts.n1).toMatchObject({ text: "mine", conflict: { text: "theirs", version: 2, by: "Bo" } });
    save(s);
    expect(s.state.pending).toEqual([]);
    expect(s.server.note("n1")?.text).toBe("theirs");
  });

  it("my save in flight when their save lands: refused, and the editor comes back with both texts", () => {
    const s = editing();
    save(s);
    expect(s.view().byId.n1).toMatchObject({ text: "mine", pending: true });
    const boEdit = s.remote(bo("n1", "bo-2", 1, { text: "theirs" }));
    const [sent] = s.send();
    expect(sent!.request.payload).toMatchObject({ baseVersion: 1, text: "mine" });
    s.answer(sent!);
    expect(s.server.note("n1")?.text).toBe("theirs");
    expect(s.state.drafts.n1).toMatchObject({ text: "mine", saving: null, conflict: { text: "theirs", version: 2 } });
    // The editor says it, not a notice on top of it.
    expect(s.state.notices.filter((n) => n.kind === "rejected")).toEqual([]);
    s.event(boEdit);
    expect(s.state.drafts.n1?.conflict?.text).toBe("theirs");
  });

  it("keep mine: sent again on their version, knowingly, and it wins", () => {
    const s = editing();
    s.event(s.remote(bo("n1", "bo-2", 1, { text: "theirs" })));
    resolve(s, "mine");
    const [sent] = s.send();
    expect(sent!.request.payload).toMatchObject({ baseVersion: 2, text: "mine" });
    s.answer(sent!).event(sent!.outcome.event);
    expect(s.server.note("n1")?.text).toBe("mine");
    expect(s.state.drafts).toEqual({});
  });

  it("take theirs: my draft goes, their text stays", () => {
    const s = editing();
    s.event(s.remote(bo("n1", "bo-2", 1, { text: "theirs" })));
    resolve(s, "theirs");
    expect(s.state.drafts).toEqual({});
    expect(s.state.pending).toEqual([]);
    expect(s.view().byId.n1?.text).toBe("theirs");
  });

  it("keep both: mine becomes a new note right after theirs, in the same column", () => {
    const s = editing();
    s.event(s.remote(bo("n1", "bo-2", 1, { text: "theirs" })));
    resolve(s, "both", "copy-1");
    roundTrip(s);
    expect(s.server.note("n1")?.text).toBe("theirs");
    expect(s.server.note("copy-1")).toMatchObject({ text: "mine", column: "To do" });
    expect(s.server.note("copy-1")!.order).toBeGreaterThan(s.server.note("n1")!.order);
    expect(s.state.drafts).toEqual({});
  });

  it("an editor nobody typed in follows a remote change instead of conflicting", () => {
    const s = editing("original");
    s.event(s.remote(bo("n1", "bo-2", 1, { text: "theirs" })));
    expect(s.state.drafts.n1).toMatchObject({ text: "theirs", base: { version: 2, text: "theirs" }, conflict: null });
  });

  it("a remote move is no conflict for my text: the server's rule is per field", () => {
    const s = editing();
    s.event(s.remote(bo("n1", "bo-2", 1, { column: "Done" })));
    expect(s.state.drafts.n1?.conflict).toBeNull();
    save(s);
    roundTrip(s);
    expect(s.server.note("n1")).toMatchObject({ text: "mine", column: "Done" });
  });

  it("saving again right after a save is based on my own first save, not a conflict with myself", () => {
    const s = editing("first");
    save(s);
    s.dispatch({ type: "draft-open", noteId: "n1", at: s.tick() });
    s.dispatch({ type: "draft-change", noteId: "n1", text: "second" });
    roundTrip(s);
    save(s);
    roundTrip(s);
    expect(s.server.note("n1")?.text).toBe("second");
    expect(s.state.drafts).toEqual({});
  });

  it("a note deleted under the editor keeps the draft as a ghost, restored as a new note", () => {
    const s = editing();
    s.event(s.remote(bo("n1", "bo-2", 1, { delete: true })));
    expect(s.state.drafts.n1).toMatchObject({ text: "mine", deleted: { by: "Bo", note: { column: "To do" } } });
    expect(s.view().byId.n1).toBeUndefined();
    resolve(s, "both", "restored-1");
    roundTrip(s);
    expect(s.server.note("restored-1")).toMatchObject({ text: "mine", column: "To do", color: "#bfdbfe" });
    expect(s.state.drafts).toEqual({});
  });

  it("a refused save gives the text back to the editor with the message; config names go to the details", () => {
    const s = editing("x".repeat(10));
    const opId = save(s);
    s.dispatch({
      type: "error",
      error: { code: "validation", message: "text has 10 characters; the limit is 5 (LIVEBOARD_BOARD_MAX_TEXT_CHARS)", opId },
      at: s.tick(),
    });
    expect(s.state.drafts.n1).toMatchObject({
      text: "x".repeat(10),
      saving: null,
      error: { message: "text has 10 characters; the limit is 5", detail: "text has 10 characters; the limit is 5 (LIVEBOARD_BOARD_MAX_TEXT_CHARS)" },
    });
  });

  it("the server's own detail goes under details, its message is shown as is", () => {
    const s = new Scene().sync();
    const opId = s.act(create("n1", "too long"));
    s.dispatch({ type: "error", error: { code: "validation", message: "This note is too long.", opId, detail: "max 5 chars" } as never, at: s.tick() });
    expect(s.state.notices.at(-1)).toMatchObject({ text: "Your new note was not added: This note is too long.", detail: "max 5 chars" });
    expect(userMessage("too long (`LIVEBOARD_X_Y`)")).toBe("too long");
  });
});

describe("any interleaving of a remote text change and my save", () => {
  it("ends in a conflict or in my text on a base that contained theirs, never in a silent overwrite", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 12, maxLength: 12 }), (choices) => {
        const s = editing();
        let boOutcome: ModelOutcome | null = null;
        let boDelivered = false;
        let saved = false;
        let sent: { requestId: string; outcome: ModelOutcome } | null = null;
        let answered = false;
        let mineDelivered = false;
        for (let i = 0; ; i++) {
          const steps: (() => void)[] = [];
          if (!boOutcome) steps.push(() => (boOutcome = s.server.handle(bo("n1", "bo-2", 1, { text: "theirs" }))));
          const boEvent = (boOutcome as ModelOutcome | null)?.event ?? null;
          if (boEvent && !boDelivered) steps.push(() => (s.event(boEvent), (boDelivered = true)));
          if (!saved && !s.state.drafts.n1?.conflict) steps.push(() => (save(s), (saved = true)));
          if (saved && !sent && s.state.pending.length > 0) steps.push(() => (sent = s.send()[0] ?? null));
          if (sent && !answered) steps.push(() => (s.answer(sent!), (answered = true)));
          const mine = (sent as { outcome: ModelOutcome } | null)?.outcome.event ?? null;
          if (answered && mine && !mineDelivered) steps.push(() => (s.event(mine), (mineDelivered = true)));
          if (steps.length === 0) break;
          steps[(choices[i % choices.length] ?? 0) % steps.length]!();
        }
        const theirsFirst = (boOutcome as ModelOutcome | null)?.answer.type === "ack";
        if (theirsFirst) {
          // Bo's text reached the server first: mine must not have replaced it unseen.
          expect(s.server.note("n1")?.text).toBe("theirs");
          expect(s.state.drafts.n1).toMatchObject({ text: "mine", conflict: { text: "theirs" } });
          expect(["Bo", "Someone"]).toContain(s.state.drafts.n1?.conflict?.by);
        } else {
          // Mine reached it first (Bo's stale edit is his to resolve): mine is there, my editor is done.
          expect(s.server.note("n1")?.text).toBe("mine");
          expect(s.state.drafts).toEqual({});
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("undo makes new operations, based on what my action produced", () => {
  it("undoes a create, an edit, a move and a delete, each seen on the server", () => {
    const s = new Scene().sync();
    s.act(create("n1", "Buy milk"));
    roundTrip(s);
    s.act({ kind: "update", noteId: "n1", text: "Buy oat milk" });
    roundTrip(s);
    s.act({ kind: "move", noteId: "n1", column: "Done", order: 7 });
    roundTrip(s);
    s.act({ kind: "delete", noteId: "n1" });
    roundTrip(s);
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "deleted", text: "Deleted “Buy oat milk”" });
    expect(s.state.undo).toHaveLength(4);

    undo(s, "again-1");
    roundTrip(s);
    // Ids are never reused: the note comes back as a new one, where it was.
    expect(s.server.note("again-1")).toMatchObject({ text: "Buy oat milk", column: "Done", order: 7 });
    expect(s.state.notices.some((n) => n.kind === "deleted")).toBe(false);

    const s2 = new Scene().sync();
    s2.act(create("n1", "Buy milk"));
    roundTrip(s2);
    s2.act({ kind: "update", noteId: "n1", text: "Buy oat milk" });
    roundTrip(s2);
    s2.act({ kind: "move", noteId: "n1", column: "Done", order: 7 });
    roundTrip(s2);
    undo(s2);
    roundTrip(s2);
    expect(s2.server.note("n1")).toMatchObject({ column: "To do", order: 1 });
    undo(s2);
    roundTrip(s2);
    expect(s2.server.note("n1")?.text).toBe("Buy milk");
    undo(s2);
    roundTrip(s2);
    expect(s2.server.note("n1")).toBeUndefined();
    expect(s2.state.undo).toEqual([]);
    // The undos themselves are not undoable: nothing more happens.
    undo(s2);
    expect(s2.state.pending).toEqual([]);
  });

  it("is refused when someone changed the note since, and says who: nothing of theirs is overwritten", () => {
    const s = new Scene().sync();
    s.act(create("n1", "Buy milk"));
    roundTrip(s);
    s.act({ kind: "update", noteId: "n1", text: "Buy oat milk" });
    roundTrip(s);
    s.event(s.remote(bo("n1", "bo-9", 2, { text: "Buy soy milk" })));
    const opId = undo(s);
    const [sent] = s.send();
    expect(sent!.request.payload).toMatchObject({ baseVersion: 2, text: "Buy milk" });
    expect(sent!.outcome.answer.type).toBe("error");
    // The server names the last author in `current.updatedBy`.
    const current: Note & { updatedBy: string } = { ...s.server.note("n1")!, updatedBy: "Bo" };
    s.dispatch({ type: "error", requestId: sent!.requestId, error: { code: "version_conflict", message: "changed", opId, current }, at: s.tick() });
    expect(s.state.notices.at(-1)?.text).toBe("Can't undo: Bo changed “Buy soy milk” since.");
    expect(s.server.note("n1")?.text).toBe("Buy soy milk");
  });

  it("undoing my later change first does not make the earlier undo conflict with me, but a change by someone else in between does", () => {
    const s = new Scene().sync();
    s.act(create("n1", "Buy milk"));
    roundTrip(s);
    s.act({ kind: "update", noteId: "n1", text: "mine" });
    roundTrip(s);
    s.event(s.remote(bo("n1", "bo-3", 2, { text: "Bo's" })));
    s.act({ kind: "move", noteId: "n1", column: "Done", order: 1 });
    roundTrip(s);
    undo(s);
    roundTrip(s);
    expect(s.server.note("n1")?.column).toBe("To do");
    undo(s);
    roundTrip(s);
    // My edit was overtaken by Bo's: its undo is refused, his text stays.
    expect(s.server.note("n1")?.text).toBe("Bo's");
    expect(s.state.notices.at(-1)).toMatchObject({ kind: "rejected", code: "version_conflict" });
    expect(s.state.notices.at(-1)?.text).toMatch(/^Can't undo: /);
  });

  it("an undo made before my action is confirmed waits for it and is based on its result", () => {
    const s = new Scene().sync();
    s.act(create("n1", "Buy milk"));
    roundTrip(s);
    s.act({ kind: "move", noteId: "n1", column: "Done", order: 3 });
    undo(s);
    expect(s.view().byId.n1).toMatchObject({ column: "To do" });
    roundTrip(s);
    roundTrip(s);
    expect(s.server.note("n1")).toMatchObject({ column: "To do", version: 3 });
  });

  it("a delete's toast undoes that delete, even after other actions", () => {
    const s = new Scene().sync();
    s.act(create("n1", "one"));
    s.act(create("n2", "two"));
    roundTrip(s);
    const del = s.act({ kind: "delete", noteId: "n1" });
    s.act({ kind: "move", noteId: "n2", column: "Done", order: 1 });
    roundTrip(s);
    roundTrip(s);
    undo(s, "again-1", del);
    roundTrip(s);
    expect(s.server.note("again-1")?.text).toBe("one");
    expect(s.server.note("n2")?.column).toBe("Done");
  });

  it(`keeps at most ${MAX_UNDO} actions, and forgets a refused one`, () => {
    const s = new Scene();
    (s as { server: ModelServer }).server = new ModelServer(BOARD, { maxTextChars: 3 });
    s.sync();
    for (let i = 0; i < MAX_UNDO + 5; i++) s.act(create(`n${i}`, "ok"));
    s.act(create("long", "far too long"));
    expect(s.state.undo).toHaveLength(MAX_UNDO);
    expect(s.state.undo[0]?.noteId).toBe("n6");
    for (const sent of s.send()) s.answer(sent);
    expect(s.state.undo).toHaveLength(MAX_UNDO - 1);
    expect(s.state.undo.some((e) => e.noteId === "long")).toBe(false);
  });
});

describe("words", () => {
  it("names a note by its first line, cut short", () => {
    expect(quoteNote("Buy milk\nand bread")).toBe("“Buy milk”");
    expect(quoteNote("")).toBe("a note");
    expect(quoteNote("x".repeat(60))).toBe(`“${"x".repeat(39)}…”`);
  });

  it("toasts name the note: someone else's move says which note went where", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1", "Buy milk")));
    const moved: NoteEvent = s.remote(bo("n1", "bo-2", 1, { column: "Done" }));
    const action: BoardAction = { type: "event", event: moved, at: s.tick() };
    s.dispatch(action);
    expect(s.state.notices.map((n) => n.text)).toEqual(["Bo added “Buy milk” to To do", "Bo moved “Buy milk” to Done"]);
  });
});
