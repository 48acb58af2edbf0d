// @vitest-environment jsdom
import { act, cleanup, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { BackoffPolicy } from "./backoff";
import { CLOSE_DEADLINE, CLOSE_OFFLINE } from "./connectionSupervisor";
import { FakeWebSocket } from "./testing/fakeWebSocket";
import { useSupervisedSocket } from "./useSupervisedSocket";
import type { SocketEvent } from "./useWebSocket";

const URL_ = "ws://127.0.0.1:8080/ws";
const GENTLE: BackoffPolicy = { baseMs: 300, factor: 1.5, capMs: 10_000, minMs: 0, jitter: { kind: "full" }, stableAfterMs: 2_000 };
const POLICY = { type: "connection.policy", payload: { backoff: GENTLE, heartbeat: { intervalMs: 500, deadlineMs: 1_500 } } };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
});
afterEach(() => {
  // Unmount: a hook left mounted would hear the next test's window events.
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Mounts the hook with a fixed draw; returns it with the events its caller heard. */
function mount(draw = 0.5) {
  const heard: SocketEvent[] = [];
  const hook = renderHook(() => useSupervisedSocket(URL_, { random: () => draw, onSocketEvent: (e) => heard.push(e) }));
  return { hook, heard };
}

/** The first socket, open, told the short policy above. */
function openWithPolicy() {
  const mounted = mount();
  const ws = FakeWebSocket.latest();
  act(() => ws.serverOpen("liveboard.v1"));
  act(() => ws.serverSend(POLICY));
  return { ...mounted, ws };
}

const advance = (ms: number) => act(() => void vi.advanceTimersByTime(ms));

describe("useSupervisedSocket", () => {
  it("reconnects after exactly the delay the advertised policy and the draw give", () => {
    const { hook, ws } = openWithPolicy();
    expect(hook.result.current.supervisor.advertised).toBe(true);
    act(() => ws.serverClose(1006, "", false));
    // gentle, attempt 0, draw 0.5: 0 + ⌊0.5 × 300⌋ = 150 ms.
    expect(hook.result.current.supervisor.phase).toMatchObject({ kind: "waiting", delayMs: 150 });
    advance(149);
    expect(FakeWebSocket.instances).toHaveLength(1);
    advance(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it("gives up on a silent link at the deadline: closes it with 4000, tells the caller at once, then ignores its late close", () => {
    const { hook, ws, heard } = openWithPolicy();
    advance(1_000);
    act(() => ws.serverSend({ type: "heartbeat", payload: { serverTimeMs: 1 } }));
    advance(1_499);
    expect(ws.closedWith).toBeNull();
    advance(1);
    expect(ws.closedWith).toEqual({ code: CLOSE_DEADLINE, reason: "no message for 1.5 s" });
    expect(heard.at(-1)).toMatchObject({ type: "close", code: CLOSE_DEADLINE, socket: 1 });
    expect(hook.result.current.supervisor.phase).toMatchObject({ kind: "waiting", loss: { kind: "deadline", deadlineMs: 1_500 } });
    const before = heard.length;
    act(() => ws.serverClose(1006, "", false));
    expect(heard).toHaveLength(before);
    expect(hook.result.current.timeline.map((e) => e.kind)).toEqual(["state", "policy", "heartbeat", "deadline", "state", "delay"]);
  });

  it("checks the deadline by the wall clock at once when the tab is shown again, without waiting for a timer", () => {
    const { ws } = openWithPolicy();
    // A background tab: a minute passes on the clock, no timer runs.
    act(() => vi.setSystemTime(Date.now() + 60_000));
    expect(ws.closedWith).toBeNull();
    act(() => void document.dispatchEvent(new Event("visibilitychange")));
    expect(ws.closedWith).toMatchObject({ code: CLOSE_DEADLINE });
  });

  it("checks at once when the browser comes back online", () => {
    const { ws } = openWithPolicy();
    act(() => vi.setSystemTime(Date.now() + 60_000));
    act(() => void window.dispatchEvent(new Event("online")));
    expect(ws.closedWith).toMatchObject({ code: CLOSE_DEADLINE });
  });

  it("goes offline at once on the browser's offline event and reconnects when it is back online", () => {
    const { hook, ws } = openWithPolicy();
    act(() => void window.dispatchEvent(new Event("offline")));
    expect(ws.closedWith).toMatchObject({ code: CLOSE_OFFLINE });
    expect(hook.result.current.supervisor.phase.kind).toBe("offline");
    advance(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    act(() => void window.dispatchEvent(new Event("online")));
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it("counts any message as proof of life, and hears nothing while deaf, so its own deadline fires", () => {
    const { hook, ws, heard } = openWithPolicy();
    for (let i = 0; i < 4; i++) {
      advance(1_000);
      act(() => ws.serverSend({ type: "presence.list", payload: { board: "b", people: [] } }));
    }
    expect(ws.closedWith).toBeNull();
    act(() => hook.result.current.controls.setDeaf(true));
    const before = heard.length;
    for (let i = 0; i < 2; i++) {
      advance(1_000);
      act(() => ws.serverSend({ type: "heartbeat", payload: { serverTimeMs: i } }));
    }
    expect(ws.closedWith).toMatchObject({ code: CLOSE_DEADLINE });
    // The caller heard the link end, and none of the messages the deaf page ignored.
    expect(heard.slice(before).map((e) => e.type)).toContain("close");
    expect(heard.slice(before).filter((e) => e.type === "message")).toEqual([]);
  });

  it("drops the link, and holds reconnection while simulated offline until back online", () => {
    const { hook, ws } = openWithPolicy();
    act(() => hook.result.current.controls.drop());
    expect(ws.closedWith?.code).toBe(4002);
    advance(150);
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(ws);
    act(() => second.serverOpen("liveboard.v1"));
    act(() => hook.result.current.controls.goOffline());
    expect(second.closedWith).toMatchObject({ code: CLOSE_OFFLINE });
    advance(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    act(() => hook.result.current.controls.backOnline());
    expect(FakeWebSocket.instances).toHaveLength(3);
  });
});
