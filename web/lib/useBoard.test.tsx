// @vitest-environment jsdom
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { DEFAULT_POLICY } from "./backoff";
import type { Note } from "./generated/board";
import { SUBPROTOCOL } from "./generated/protocol";
import type { Identity } from "./presence";
import { FakeWebSocket } from "./testing/fakeWebSocket";
import { useBoard } from "./useBoard";
import { RuntimeConfigProvider } from "./useRuntimeConfig";

const ME: Identity = { clientId: "c-me", name: "Ana", color: "#fde68a" };
const BO = { clientId: "c-bo", name: "Bo", color: "#bfdbfe" };

function withBackend({ children }: { readonly children: ReactNode }) {
  return <RuntimeConfigProvider config={{ backendUrl: "http://127.0.0.1:8080", bookUrl: "http://localhost:3001" }}>{children}</RuntimeConfigProvider>;
}

const note = (id: string, extra: Partial<Note> = {}): Note => ({
  id,
  board: "demo",
  text: `note ${id}`,
  color: "#fde68a",
  column: "To do",
  order: 1,
  author: "Bo",
  updatedBy: "Bo",
  createdAtMs: 1,
  updatedAtMs: 1,
  version: 1,
  ...extra,
});

type Sent = { readonly id?: string; readonly type: string; readonly payload: Record<string, unknown> };

/** The last request of `type` the page sent on `ws`. */
function lastSent(ws: FakeWebSocket, type: string): Sent | undefined {
  return (ws.sentJson() as Sent[]).filter((m) => m.type === type).at(-1);
}

/** Opens the socket, answers the subscription and the snapshot: the board is live. */
async function openBoard(ws: FakeWebSocket, notes: readonly Note[], position = "ep-1", seq = 1) {
  act(() => ws.serverOpen(SUBPROTOCOL));
  const subscribe = lastSent(ws, "subscribe");
  act(() => ws.serverSend({ id: subscribe?.id, type: "ack", payload: { request: "subscribe", board: "demo" } }));
  await waitFor(() => expect(lastSent(ws, "board_snapshot")).toBeDefined());
  const ask = lastSent(ws, "board_snapshot");
  act(() => ws.serverSend({ id: ask?.id, type: "snapshot", payload: { board: "demo", position, seq, notes } }));
}

beforeEach(() => {
  window.localStorage.clear();
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("useBoard", () => {
  it("waits for an identity, then subscribes with the person on a liveboard.v1 socket", () => {
    const hook = renderHook(({ identity }) => useBoard("demo", identity), { wrapper: withBackend, initialProps: { identity: null as Identity | null } });
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(hook.result.current.connection).toEqual({ kind: "no-identity" });

    hook.rerender({ identity: ME });
    const ws = FakeWebSocket.latest();
    expect(ws.url).toBe("ws://127.0.0.1:8080/ws");
    expect(ws.protocols).toEqual([SUBPROTOCOL]);
    act(() => ws.serverOpen(SUBPROTOCOL));
    expect(lastSent(ws, "subscribe")?.payload).toEqual({ board: "demo", person: ME });
  });

  it("asks for a snapshot, then follows the board's events and presence", async () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    await openBoard(ws, [note("n1")]);
    expect(hook.result.current.connection).toEqual({ kind: "live" });
    expect(hook.result.current.view.notes.map((n) => n.id)).toEqual(["n1"]);

    act(() => {
      ws.serverSend({
        type: "note.created",
        payload: { board: "demo", position: "ep-2", seq: 2, opId: "op-bo", author: "Bo", summary: "Bo added a note", note: note("n2", { order: 2 }) },
      });
      ws.serverSend({ type: "presence.list", payload: { board: "demo", people: [BO] } });
      ws.serverSend({ type: "presence.join", payload: { board: "demo", ...ME } });
    });
    expect(hook.result.current.view.notes.map((n) => n.id)).toEqual(["n1", "n2"]);
    expect(hook.result.current.people.map((p) => p.clientId)).toEqual(["c-bo", "c-me"]);
  });

  it("parses each message once", async () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    await openBoard(ws, []);
    const parse = vi.spyOn(JSON, "parse");
    act(() =>
      ws.serverSend({
        type: "note.created",
        payload: { board: "demo", position: "ep-2", seq: 2, opId: "op-bo", author: "Bo", summary: "Bo added a note", note: note("n2") },
      }),
    );
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockRestore();
    expect(hook.result.current.view.notes.map((n) => n.id)).toEqual(["n2"]);
  });

  it("shows a new note at once, sends it, and confirms it with the server's ack", async () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    await openBoard(ws, []);

    let noteId: string | null = null;
    act(() => {
      noteId = hook.result.current.create({ text: "Buy milk", color: "#fde68a", column: "To do", order: 1 });
    });
    expect(hook.result.current.view.byId[noteId!]).toMatchObject({ text: "Buy milk", pending: true });
    await waitFor(() => expect(lastSent(ws, "note_create")).toBeDefined());
    const sent = lastSent(ws, "note_create")!;
    expect(sent.payload).toMatchObject({ board: "demo", noteId, text: "Buy milk", author: "Ana" });

    const confirmed = note(noteId!, { text: "Buy milk", author: "Ana" });
    const opId = sent.payload.opId as string;
    act(() => {
      ws.serverSend({
        id: sent.id,
        type: "ack",
        payload: { request: "note_create", board: "demo", position: "ep-2", seq: 2, opId, noteId, version: 1, note: confirmed, duplicate: false },
      });
      ws.serverSend({ type: "note.created", payload: { board: "demo", position: "ep-2", seq: 2, opId, author: "Ana", summary: "Ana added a note", note: confirmed } });
    });
    expect(hook.result.current.state.pending).toEqual([]);
    expect(hook.result.current.view.byId[noteId!]).toMatchObject({ text: "Buy milk", pending: false });
  });

  it("says why the server refused the subscription", () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    act(() => ws.serverOpen(SUBPROTOCOL));
    const subscribe = lastSent(ws, "subscribe");
    act(() => ws.serverSend({ id: subscribe?.id, type: "error", payload: { code: "bad_board_name", message: "no such name" } }));
    expect(hook.result.current.subscribeError).toBe("bad_board_name: no such name");
  });

  it("reconnects after a lost connection and resumes from its last position", async () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const first = FakeWebSocket.latest();
    await openBoard(first, [note("n1")], "ep-5", 5);
    act(() => first.serverSend({ type: "presence.list", payload: { board: "demo", people: [BO] } }));
    // A change in flight when the connection drops: no answer came.
    act(() => void hook.result.current.create({ text: "in flight", color: "#fde68a", column: "To do", order: 2 }));
    await waitFor(() => expect(lastSent(first, "note_create")).toBeDefined());
    const inFlight = lastSent(first, "note_create")!;

    act(() => first.serverClose(1006, "", false));
    expect(hook.result.current.connection).toMatchObject({ kind: "reconnecting", loss: { kind: "closed", code: 1006 } });
    // The change in flight is waiting again, and says so.
    expect(hook.result.current.waitingChanges).toBe(1);
    expect(hook.result.current.people).toEqual([]);
    // The first retry's delay under the default policy: 250 ms + a random part of 500 ms.
    const chosen = hook.result.current.link.timeline.find((e) => e.kind === "delay");
    expect(chosen).toMatchObject({ attempt: 0, why: "policy" });
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2), { timeout: 3_000 });
    const second = FakeWebSocket.latest();
    act(() => second.serverOpen(SUBPROTOCOL));
    expect(lastSent(second, "subscribe")?.payload).toEqual({ board: "demo", since: "ep-5", person: ME });
    act(() => second.serverSend({ id: lastSent(second, "subscribe")?.id, type: "ack", payload: { request: "subscribe", board: "demo" } }));
    act(() => second.serverSend({ type: "ready", payload: { board: "demo", position: "ep-5", recovered: true, replayed: 0 } }));
    // The change in flight goes again, with the same opId: the server applies it once.
    await waitFor(() => expect(lastSent(second, "note_create")?.payload.opId).toBe(inFlight.payload.opId));
    // What it had stays on screen meanwhile.
    expect(hook.result.current.view.notes.map((n) => n.text)).toEqual(["note n1", "in flight"]);
    // The timeline says how the resume went.
    expect(hook.result.current.link.timeline.at(-1)).toMatchObject({ kind: "resume", recovered: true, replayed: 0 });
  });

  it("does not reconnect when the close code says stop", () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    act(() => ws.serverOpen(SUBPROTOCOL));
    act(() => ws.serverClose(1009, "message too big"));
    expect(hook.result.current.connection).toEqual({ kind: "stopped", reason: "1009 message too big" });
    act(() => hook.result.current.reconnect());
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it("starts over on a new socket when asked to reconnect while open", async () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const first = FakeWebSocket.latest();
    await openBoard(first, [note("n1")], "ep-3", 3);
    act(() => first.serverSend({ type: "presence.list", payload: { board: "demo", people: [BO] } }));
    expect(hook.result.current.people).toHaveLength(1);

    act(() => hook.result.current.reconnect());
    // The old socket's close is never reported: the new socket's start is the end of it.
    expect(hook.result.current.people).toEqual([]);
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    act(() => second.serverOpen(SUBPROTOCOL));
    expect(lastSent(second, "subscribe")?.payload).toEqual({ board: "demo", since: "ep-3", person: ME });
  });

  it("gives up on a link that went silent, queues the change in flight again at once, and resumes on a new socket", () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const first = FakeWebSocket.latest();
    act(() => first.serverOpen(SUBPROTOCOL));
    act(() => first.serverSend({ type: "connection.policy", payload: { backoff: DEFAULT_POLICY, heartbeat: { intervalMs: 500, deadlineMs: 1_500 } } }));
    act(() => first.serverSend({ id: lastSent(first, "subscribe")?.id, type: "ack", payload: { request: "subscribe", board: "demo" } }));
    const ask = lastSent(first, "board_snapshot");
    act(() => first.serverSend({ id: ask?.id, type: "snapshot", payload: { board: "demo", position: "ep-4", seq: 4, notes: [note("n1")] } }));
    expect(hook.result.current.connection).toEqual({ kind: "live" });
    act(() => void hook.result.current.create({ text: "in flight", color: "#fde68a", column: "To do", order: 2 }));
    const inFlight = lastSent(first, "note_create")!;
    expect(inFlight).toBeDefined();

    // The server goes quiet (frozen, or the route died): no message for the deadline.
    act(() => void vi.advanceTimersByTime(1_500));
    expect(first.closedWith?.code).toBe(4000);
    expect(hook.result.current.connection).toMatchObject({ kind: "reconnecting", loss: { kind: "deadline", deadlineMs: 1_500 } });
    expect(hook.result.current.waitingChanges).toBe(1);
    expect(hook.result.current.state.pending[0]?.status).toBe("queued");

    // The chosen delay later, a new socket resumes from the last position and sends the op again.
    const phase = hook.result.current.link.supervisor.phase;
    act(() => void vi.advanceTimersByTime(phase.kind === "waiting" ? phase.delayMs : 0));
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    act(() => second.serverOpen(SUBPROTOCOL));
    expect(lastSent(second, "subscribe")?.payload).toEqual({ board: "demo", since: "ep-4", person: ME });
    act(() => second.serverSend({ id: lastSent(second, "subscribe")?.id, type: "ack", payload: { request: "subscribe", board: "demo" } }));
    act(() => second.serverSend({ type: "ready", payload: { board: "demo", position: "ep-4", recovered: true, replayed: 0 } }));
    expect(lastSent(second, "note_create")?.payload.opId).toBe(inFlight.payload.opId);
    expect(hook.result.current.connection).toEqual({ kind: "live" });
  });

  it("keeps unsent changes across a reload: the restored board shows at once, and the op goes again with its opId", async () => {
    const first = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    await openBoard(ws, [note("n1")], "ep-2", 2);
    act(() => void first.result.current.create({ text: "typed offline", color: "#fde68a", column: "To do", order: 2 }));
    await waitFor(() => expect(lastSent(ws, "note_create")).toBeDefined());
    const sent = lastSent(ws, "note_create")!;
    // The page goes away before any answer (a reload).
    first.unmount();
    expect(JSON.parse(window.localStorage.getItem("liveboard:board:demo") ?? "null")).toMatchObject({ v: 1, board: "demo" });

    const second = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    // Before any connection: the last known board, marked restored, with the change pending.
    expect(second.result.current.state.restored).toBe(true);
    expect(second.result.current.view.notes.map((n) => [n.text, n.pending])).toEqual([
      ["note n1", false],
      ["typed offline", true],
    ]);
    expect(second.result.current.online).toBe(false);
    const ws2 = FakeWebSocket.latest();
    await openBoard(ws2, [note("n1")], "ep-2", 2);
    await waitFor(() => expect(lastSent(ws2, "note_create")).toBeDefined());
    // The very same request: a server that applied it answers `duplicate: true`, never twice.
    expect(lastSent(ws2, "note_create")?.payload).toEqual(sent.payload);
    expect(second.result.current.state.restored).toBe(false);
  });

  it("says when my editor is open and closed, and shows other people's editors until they close or leave", async () => {
    const hook = renderHook(() => useBoard("demo", ME), { wrapper: withBackend });
    const ws = FakeWebSocket.latest();
    await openBoard(ws, [note("n1")], "ep-1", 1);
    act(() => hook.result.current.openDraft("n1"));
    await waitFor(() => expect(lastSent(ws, "note_editing")?.payload).toEqual({ board: "demo", noteId: "n1", editing: true }));
    act(() => hook.result.current.closeDraft("n1"));
    await waitFor(() => expect(lastSent(ws, "note_editing")?.payload).toEqual({ board: "demo", noteId: "n1", editing: false }));

    const bo = { board: "demo", noteId: "n1", clientId: BO.clientId, name: "Bo", color: BO.color, editing: true };
    act(() => ws.serverSend({ type: "note.editing", payload: bo }));
    expect(hook.result.current.editors).toMatchObject([{ noteId: "n1", clientId: "c-bo", name: "Bo" }]);
    act(() => ws.serverSend({ type: "presence.leave", payload: { board: "demo", clientId: BO.clientId } }));
    expect(hook.result.current.editors).toEqual([]);
    act(() => ws.serverSend({ type: "note.editing", payload: bo }));
    act(() => ws.serverSend({ type: "note.editing", payload: { ...bo, editing: false } }));
    expect(hook.result.current.editors).toEqual([]);
  });
});
