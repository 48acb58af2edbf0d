import { afterEach, describe, expect, it, vi } from "vitest";

import {
  CAPABILITIES,
  EVENT_SOURCE_OPTIONS,
  firstRequest,
  nativeFactory,
  openEventStream,
  polyfillFactory,
  reconnectingFactory,
  type StreamListener,
} from "./eventSourceOptions";
import { FakeEventSource } from "./testing/fakeEventSource";

const URL_ = "http://127.0.0.1:8080/boards/b/events";

/** A listener that records what it hears. */
function recorder() {
  const heard: string[] = [];
  const listener: StreamListener = {
    onOpen: () => heard.push("open"),
    onError: (next) => heard.push(`error:${next}`),
    onEvent: (name, data, id) => heard.push(`${name}:${data}:${id}`),
  };
  return { heard, listener };
}

afterEach(() => {
  FakeEventSource.reset();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("the table", () => {
  it("answers every question for every option, with words", () => {
    for (const row of CAPABILITIES) {
      for (const option of EVENT_SOURCE_OPTIONS) {
        expect(row.answers[option.id].how.length, `${row.id}/${option.id}`).toBeGreaterThan(0);
      }
    }
  });

  it("names the package versions package.json pins, under MIT", async () => {
    const { readFileSync } = await import("node:fs");
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { dependencies: Record<string, string> };
    for (const { npm } of EVENT_SOURCE_OPTIONS) {
      if (npm) {
        expect(pkg.dependencies[npm.name]).toBe(npm.version);
        expect(npm.license).toBe("MIT");
      }
    }
  });
});

describe("firstRequest", () => {
  it("puts the id in the URL for the native and the reconnecting one, in a header for the polyfill", () => {
    expect(firstRequest("native", URL_, "e-7")).toEqual({ url: `${URL_}?lastEventId=e-7`, headers: [["Accept", "text/event-stream"]] });
    expect(firstRequest("reconnecting", URL_, "e-7").url).toBe(`${URL_}?lastEventId=e-7`);
    expect(firstRequest("polyfill", URL_, "e-7")).toEqual({
      url: URL_,
      headers: [
        ["Accept", "text/event-stream"],
        ["Last-Event-ID", "e-7"],
      ],
    });
  });

  it("sends no id at all on a fresh start", () => {
    for (const { id } of EVENT_SOURCE_OPTIONS) {
      expect(firstRequest(id, URL_, "")).toEqual({ url: URL_, headers: [["Accept", "text/event-stream"]] });
    }
  });
});

describe("openEventStream with the native EventSource", () => {
  it("resumes through the URL, passes the listened events on, and tells a retry from giving up", () => {
    const { heard, listener } = recorder();
    const stream = openEventStream("native", nativeFactory(FakeEventSource), { url: URL_, lastEventId: "e-3", withCredentials: true, eventNames: ["ready", "message"] }, listener);
    const source = FakeEventSource.latest();
    expect(source.url).toBe(`${URL_}?lastEventId=e-3`);

    source.serverOpen();
    source.serverEmit("message", "hi", "e-4");
    source.serverEmit("note.created", "{}", "e-5"); // not listened to
    source.serverFail(false);
    source.serverFail(true);
    expect(heard).toEqual(["open", "message:hi:e-4", "error:retrying", "error:closed"]);

    stream.close();
    expect(source.closed).toBe(true);
    source.serverEmit("message", "late", "e-6");
    expect(heard).toHaveLength(4);
  });
});

/** A `fetch` that answers every request with a stream the test writes to. */
function streamingFetch() {
  const requests: { url: string; headers: Record<string, string>; credentials: string | undefined }[] = [];
  const bodies: ReadableStreamDefaultController<Uint8Array>[] = [];
  const arrived: (() => void)[] = [];
  const fetch = (url: string, init: { headers: Record<string, string>; credentials?: string }) => {
    requests.push({ url, headers: { ...init.headers }, credentials: init.credentials });
    const body = new ReadableStream<Uint8Array>({ start: (c) => void bodies.push(c) });
    arrived.splice(0).forEach((f) => f());
    return Promise.resolve(new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } }));
  };
  const nextRequest = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (requests.length >= count ? resolve() : arrived.push(check));
      check();
    });
  const write = (text: string) => bodies.at(-1)!.enqueue(new TextEncoder().encode(text));
  const end = () => bodies.at(-1)!.close();
  return { fetch, requests, nextRequest, write, end };
}

describe("openEventStream with event-source-polyfill", () => {
  it("sends Last-Event-ID as a header on the first request, and the newest id on its reconnection", async () => {
    const server = streamingFetch();
    vi.stubGlobal("fetch", server.fetch);
    vi.resetModules();
    // The polyfill reads `fetch` when it loads, so it is loaded after the stub.
    const { EventSourcePolyfill } = await import("event-source-polyfill");
    const { heard, listener } = recorder();
    const got = (entry: string) => vi.waitFor(() => expect(heard).toContain(entry), { timeout: 5_000 });

    const stream = openEventStream(
      "polyfill",
      polyfillFactory(EventSourcePolyfill as never),
      { url: URL_, lastEventId: "e-3", withCredentials: true, eventNames: ["message"] },
      listener,
    );
    await server.nextRequest(1);
    expect(server.requests[0]).toMatchObject({ url: URL_, credentials: "include", headers: { Accept: "text/event-stream", "Last-Event-ID": "e-3" } });
    await got("open");

    server.write("retry: 1000\nid: e-4\nevent: message\ndata: hi\n\n");
    await got("message:hi:e-4");
    server.end(); // the server went away: the polyfill waits `retry` and asks again
    await server.nextRequest(2);
    expect(server.requests[1]!.headers["Last-Event-ID"]).toBe("e-4");
    expect(server.requests[1]!.url).toBe(`${URL_}?lastEventId=e-4`);
    stream.close();
  });
});

describe("openEventStream with reconnecting-eventsource", () => {
  it("opens a new EventSource, resuming from the last id, after the browser's one gave up", async () => {
    vi.useFakeTimers();
    const { default: ReconnectingEventSource } = await import("reconnecting-eventsource");
    const { heard, listener } = recorder();
    const stream = openEventStream(
      "reconnecting",
      reconnectingFactory(ReconnectingEventSource, FakeEventSource),
      { url: URL_, lastEventId: "e-3", withCredentials: true, eventNames: ["message"] },
      listener,
    );
    const first = FakeEventSource.latest();
    expect(first.url).toBe(`${URL_}?lastEventId=e-3`);
    first.serverOpen();
    first.serverEmit("message", "hi", "e-4");
    first.serverFail(true); // a 503: fatal for the native one
    expect(heard).toEqual(["open", "message:hi:e-4", "error:retrying"]);

    await vi.advanceTimersByTimeAsync(3_000); // its random wait is at most 3 s
    expect(FakeEventSource.instances).toHaveLength(2);
    const second = FakeEventSource.latest();
    expect(second.url).toBe(`${URL_}?lastEventId=e-4`);
    second.serverOpen();
    second.serverEmit("message", "again", "e-5");
    expect(heard.slice(3)).toEqual(["open", "message:again:e-5"]);
    stream.close();
    expect(second.closed).toBe(true);
  });
});
