// @vitest-environment jsdom
import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FakeEventSource } from "./testing/fakeEventSource";
import { useEventSource, type EventHandlers } from "./useEventSource";

const URL_ = "http://127.0.0.1:8080/boards/demo/events";

beforeEach(() => {
  FakeEventSource.reset();
  vi.stubGlobal("EventSource", FakeEventSource);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function mount(handlers: EventHandlers, url: string | null = URL_) {
  return renderHook(({ url, handlers }) => useEventSource(url, handlers), { initialProps: { url, handlers } });
}

describe("useEventSource", () => {
  it("connects, goes open, and hands each named event to its handler", () => {
    const seen: string[] = [];
    const hook = mount({ message: (data) => seen.push(data) });
    const source = FakeEventSource.latest();
    expect(source.url).toBe(URL_);
    expect(hook.result.current.state).toBe("connecting");

    act(() => source.serverOpen());
    expect(hook.result.current).toMatchObject({ state: "open", opens: 1 });

    act(() => source.serverEmit("message", '{"text":"hi"}', "ep-3"));
    act(() => source.serverEmit("presence.join", "{}", "ep-4")); // no handler: not listened to
    expect(seen).toEqual(['{"text":"hi"}']);
    expect(hook.result.current.lastEventId).toBe("ep-3");
  });

  it("sends the cookies with the stream only when asked to (withCredentials)", () => {
    mount({});
    expect(FakeEventSource.latest().withCredentials).toBe(false);
    renderHook(() => useEventSource(URL_, {}, { withCredentials: true }));
    expect(FakeEventSource.latest().withCredentials).toBe(true);
  });

  it("tracks how the stream resumed from its ready or reset event", () => {
    const hook = mount({});
    const source = FakeEventSource.latest();
    act(() => {
      source.serverOpen();
      source.serverEmit("ready", '{"position":"ep-9","recovered":true,"replayed":2}', "ep-9");
    });
    expect(hook.result.current.resume).toEqual({ kind: "recovered", position: "ep-9", replayed: 2 });
    act(() => source.serverEmit("reset", '{"position":"ep-1","reason":"too far behind"}'));
    expect(hook.result.current.resume).toEqual({ kind: "reset", position: "ep-1", reason: "too far behind" });
  });

  it("calls the newest handler without reconnecting", () => {
    const first = vi.fn();
    const second = vi.fn();
    const hook = mount({ message: first });
    hook.rerender({ url: URL_, handlers: { message: second } });
    expect(FakeEventSource.instances).toHaveLength(1);
    act(() => FakeEventSource.latest().serverEmit("message", "x"));
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith("x", expect.any(MessageEvent));
  });

  it("says connecting while the browser retries, closed when it gives up", () => {
    const hook = mount({});
    const source = FakeEventSource.latest();
    act(() => source.serverOpen());
    act(() => source.serverFail(false));
    expect(hook.result.current.state).toBe("connecting");
    act(() => source.serverFail(true));
    expect(hook.result.current.state).toBe("closed");
  });

  it("reconnects on demand from the last event id, closing the old stream", () => {
    const hook = mount({ message: () => {} });
    const first = FakeEventSource.latest();
    act(() => {
      first.serverOpen();
      first.serverEmit("message", "a", "ep-7");
    });
    act(() => hook.result.current.reconnect());
    expect(first.closed).toBe(true);
    const second = FakeEventSource.latest();
    expect(second).not.toBe(first);
    expect(new URL(second.url).searchParams.get("lastEventId")).toBe("ep-7");
    act(() => second.serverOpen());
    expect(hook.result.current).toMatchObject({ state: "open", opens: 2 });
  });

  it("does not carry one board's position to another board", () => {
    const hook = mount({ message: () => {} });
    act(() => FakeEventSource.latest().serverEmit("message", "a", "ep-7"));
    hook.rerender({ url: "http://127.0.0.1:8080/boards/other/events", handlers: { message: () => {} } });
    expect(FakeEventSource.latest().url).toBe("http://127.0.0.1:8080/boards/other/events");
  });

  it("closes the stream on unmount, and opens none without a url", () => {
    const hook = mount({});
    const source = FakeEventSource.latest();
    hook.unmount();
    expect(source.closed).toBe(true);

    FakeEventSource.reset();
    const nowhere = mount({}, null);
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(nowhere.result.current.state).toBe("closed");
  });
});
