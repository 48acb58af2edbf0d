// @vitest-environment jsdom
import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { RequestFailed } from "./boardProtocol";
import { FakeWebSocket } from "./testing/fakeWebSocket";
import { useWebSocket, type SocketEvent, type UseWebSocketOptions } from "./useWebSocket";

const URL_ = "ws://127.0.0.1:8080/ws";

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function mount(options: UseWebSocketOptions = {}, url: string | null = URL_) {
  const events: SocketEvent[] = [];
  const hook = renderHook(({ url }) => useWebSocket(url, { onSocketEvent: (e) => events.push(e), ...options }), {
    initialProps: { url },
  });
  return { hook, events };
}

describe("useWebSocket", () => {
  it("opens nothing until connect() is called, then offers the subprotocols", () => {
    const { hook } = mount({ protocols: ["liveboard.v1"] });
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(hook.result.current.state).toBe("closed");

    act(() => hook.result.current.connect());
    const ws = FakeWebSocket.latest();
    expect(ws.url).toBe(URL_);
    expect(ws.protocols).toEqual(["liveboard.v1"]);
    expect(ws.binaryType).toBe("arraybuffer");
    expect(hook.result.current.state).toBe("connecting");

    act(() => ws.serverOpen("liveboard.v1"));
    expect(hook.result.current).toMatchObject({ state: "open", protocol: "liveboard.v1", socket: 1 });
  });

  it("reports connecting, open, every message with its JSON, and the close, in order", () => {
    const { hook, events } = mount({ autoConnect: true });
    const ws = FakeWebSocket.latest();
    act(() => {
      ws.serverOpen();
      ws.serverSend({ type: "welcome", payload: { connectionId: "c1" } });
      ws.serverSend("not json");
      ws.serverSend(new Uint8Array([1, 2]).buffer);
      ws.serverClose(1001, "going away");
    });
    expect(events.map((e) => e.type)).toEqual(["connecting", "open", "message", "message", "message", "close"]);
    expect(events[2]).toMatchObject({ payload: { kind: "text", json: { type: "welcome", payload: { connectionId: "c1" } } } });
    expect(events[3]).toMatchObject({ payload: { kind: "text", text: "not json", json: undefined } });
    expect(events[4]).toMatchObject({ payload: { kind: "binary", bytes: new Uint8Array([1, 2]) } });
    expect(events[5]).toMatchObject({ type: "close", socket: 1, code: 1001, reason: "going away", wasClean: true });
    // The inspector's log still has it all, and the close explained.
    expect(hook.result.current.log.filter((e) => e.direction === "in").map((e) => e.type)).toEqual(["welcome", "text", "binary"]);
    expect(hook.result.current.close).toMatchObject({ code: 1001 });
    expect(hook.result.current.state).toBe("closed");
  });

  it("parses each text message once, for the log, the requests and the listeners together", () => {
    const onEvent = vi.fn();
    const { events } = mount({ autoConnect: true, onEvent });
    const ws = FakeWebSocket.latest();
    act(() => ws.serverOpen());
    const parse = vi.spyOn(JSON, "parse");
    act(() => ws.serverSend('{"type":"message","payload":{"board":"demo","text":"hi","from":null,"sentAtMs":1}}'));
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockRestore();
    expect(onEvent).toHaveBeenCalledWith(expect.objectContaining({ type: "message" }));
    expect(events.at(-1)).toMatchObject({ type: "message" });
  });

  it("answers request() with the reply that carries its id", async () => {
    const { hook } = mount({ autoConnect: true });
    const ws = FakeWebSocket.latest();
    act(() => ws.serverOpen());
    let answer: Promise<unknown> = Promise.resolve();
    act(() => {
      answer = hook.result.current.request({ type: "ping", payload: {} });
    });
    const [sent] = ws.sentJson();
    expect(sent).toMatchObject({ type: "ping", id: expect.any(String) });
    const id = (sent as { id: string }).id;
    act(() => ws.serverSend({ id, type: "pong", payload: { serverTimeMs: 5 } }));
    await expect(answer).resolves.toMatchObject({ ok: true, event: { type: "pong" } });
  });

  it("fails the requests in flight when the connection closes", async () => {
    const { hook } = mount({ autoConnect: true });
    const ws = FakeWebSocket.latest();
    act(() => ws.serverOpen());
    let answer: Promise<unknown> = Promise.resolve();
    act(() => {
      answer = hook.result.current.request({ type: "ping", payload: {} });
    });
    act(() => ws.serverClose(1006, "", false));
    await expect(answer).rejects.toBeInstanceOf(RequestFailed);
  });

  it("refuses to send while not open, and says why a close cannot be made", () => {
    const { hook } = mount({ autoConnect: true });
    expect(hook.result.current.sendText("early")).toBe(false);
    act(() => FakeWebSocket.latest().serverOpen());
    expect(hook.result.current.disconnect(1001)).toMatch(/1000 or a code from 3000/);
    let problem: string | null = "unset";
    act(() => {
      problem = hook.result.current.disconnect(4000, "bye");
    });
    expect(problem).toBeNull();
    expect(FakeWebSocket.latest().closedWith).toEqual({ code: 4000, reason: "bye" });
    expect(hook.result.current.state).toBe("closing");
  });

  it("does not report a replaced socket's late events", () => {
    const { hook, events } = mount({ autoConnect: true });
    const first = FakeWebSocket.latest();
    act(() => first.serverOpen());
    act(() => hook.result.current.connect());
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    expect(first.closedWith).toEqual({ code: 1000, reason: "page moved on" });
    act(() => {
      first.serverSend({ type: "welcome", payload: { connectionId: "old" } });
      first.serverClose(1000);
      second.serverOpen();
    });
    expect(events.map((e) => `${e.type}#${e.socket}`)).toEqual(["connecting#1", "open#1", "connecting#2", "open#2"]);
    expect(hook.result.current).toMatchObject({ state: "open", socket: 2 });
  });

  it("closes its socket when unmounted, and opens none without a url", () => {
    const { hook } = mount({ autoConnect: true });
    const ws = FakeWebSocket.latest();
    act(() => ws.serverOpen());
    hook.unmount();
    expect(ws.closedWith).toEqual({ code: 1000, reason: "page moved on" });

    FakeWebSocket.reset();
    const nowhere = mount({ autoConnect: true }, null);
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(nowhere.hook.result.current.state).toBe("closed");
  });
});
