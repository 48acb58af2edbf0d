import { describe, expect, it } from "vitest";

import { persistable, restoreBoardState, storageKey, worthSaving } from "./boardPersistence";
import { boardReducer, boardView, initialBoardState } from "./boardState";
import { BOARD, boCreate, create, Scene } from "./testing/boardScene";

/** Through JSON, as localStorage does it. */
const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe("what survives a reload", () => {
  it("keys each board apart", () => {
    expect(storageKey("demo")).toBe("liveboard:board:demo");
  });

  it("round-trips the board, the pending ops and the drafts; ops in flight come back queued with the same request", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1", "original")));
    s.act(create("n2", "offline note"));
    const [inFlight] = s.send();
    s.dispatch({ type: "draft-open", noteId: "n1", at: s.tick() });
    s.dispatch({ type: "draft-change", noteId: "n1", text: "half typed" });

    const saved = roundTrip(persistable(s.state));
    expect(worthSaving(persistable(s.state))).toBe(true);
    const restored = restoreBoardState(BOARD, saved);
    expect(restored).not.toBeNull();
    const page = boardReducer(initialBoardState(BOARD), { type: "restore", saved: restored!, at: 1 });

    expect(page.restored).toBe(true);
    expect(page.synced).toBe(false);
    expect(page.confirmed).toEqual(s.state.confirmed);
    expect(page.drafts.n1).toMatchObject({ text: "half typed", base: { version: 1, text: "original" } });
    expect(page.pending).toMatchObject([{ opId: inFlight!.request.payload.opId, status: "queued", requestId: null, request: inFlight!.request }]);
    expect(boardView(page).notes.map((n) => [n.text, n.pending])).toEqual([
      ["offline note", true],
      ["original", false],
    ]);
  });

  it("a resend after the reload is applied exactly once: the server answers the same opId with its first ack", () => {
    const s = new Scene().sync();
    s.act(create("n2", "offline note"));
    const [first] = s.send();
    // The server applied it, but the answer was lost with the page.
    expect(first!.outcome.answer.type).toBe("ack");
    const page = new Scene();
    (page as { server: Scene["server"] }).server = s.server;
    page.dispatch({ type: "restore", saved: restoreBoardState(BOARD, roundTrip(persistable(s.state)))!, at: 1 });
    page.sync();
    // The snapshot already has the note: the view shows it once, and the op is resent unchanged.
    expect(page.view().notes).toHaveLength(1);
    const [again] = page.send();
    expect(again!.request).toEqual(first!.request);
    expect(again!.outcome.answer).toMatchObject({ type: "ack", payload: { duplicate: true, seq: 1 } });
    page.answer(again!);
    expect(page.state.pending).toEqual([]);
    expect(s.server.notes()).toHaveLength(1);
    expect(page.state.restored).toBe(false);
  });

  it("a draft whose note was deleted while the page was away comes back as a ghost", () => {
    const s = new Scene().sync();
    s.event(s.remote(boCreate("n1", "original")));
    s.dispatch({ type: "draft-open", noteId: "n1", at: s.tick() });
    s.dispatch({ type: "draft-change", noteId: "n1", text: "mine" });
    const page = new Scene();
    (page as { server: Scene["server"] }).server = s.server;
    page.dispatch({ type: "restore", saved: restoreBoardState(BOARD, roundTrip(persistable(s.state)))!, at: 1 });
    page.remote({ type: "note_delete", payload: { board: BOARD, opId: "bo-del", noteId: "n1", baseVersion: 1, author: "Bo" } });
    page.sync();
    expect(page.state.drafts.n1).toMatchObject({ text: "mine", deleted: { note: { id: "n1" } } });
  });

  it("ignores what it cannot trust: another board, another version, a damaged entry", () => {
    const good = roundTrip(persistable(new Scene().sync().state)) as Record<string, unknown>;
    expect(restoreBoardState(BOARD, good)).not.toBeNull();
    expect(restoreBoardState("other", good)).toBeNull();
    expect(restoreBoardState(BOARD, { ...good, v: 0 })).toBeNull();
    expect(restoreBoardState(BOARD, { ...good, confirmed: "nope" })).toBeNull();
    expect(restoreBoardState(BOARD, null)).toBeNull();
    expect(restoreBoardState(BOARD, { ...good, pending: [{ opId: 3 }] })?.pending).toEqual([]);
  });

  it("saves nothing for a board never seen", () => {
    expect(worthSaving(persistable(initialBoardState(BOARD)))).toBe(false);
  });
});
