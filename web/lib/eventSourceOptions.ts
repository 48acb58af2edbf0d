/**
 * Three ways to read a Server-Sent Events stream in the browser, behind one interface.
 *
 * - `native`: the browser's `EventSource` (HTML §9.2). No request headers of its own, and
 *   a non-`200` answer or a wrong content type is fatal: it closes and never comes back.
 *   On its own reconnections it sends the last id as `Last-Event-ID`; a *new* one (after a
 *   reload) can only carry the id in the URL, `?lastEventId=` (phase 2's server reads both).
 * - `polyfill`: npm `event-source-polyfill`, a stream read with `fetch`. It sends any
 *   headers we give it (an `Authorization` bearer token, say). It puts its own last id in
 *   the URL (`?lastEventId=`), not in a header; we give it `Last-Event-ID` as one of those
 *   headers, updated on every event, so the very first request after a reload already
 *   resumes, and every reconnection sends the newest id. (It reads the headers object
 *   again for each request: that is what makes the update reach its reconnections.) A
 *   non-`200` answer is fatal here too; a stream silent for 45 s is dropped and retried.
 * - `reconnecting`: npm `reconnecting-eventsource`, a wrapper around the native one that
 *   opens a *new* `EventSource` when the browser's gives up (after a `503`, or a proxy's
 *   HTML error page), after a random wait of up to 3 s, with `?lastEventId=` in the URL.
 *
 * The two packages are loaded with `import()` only when chosen, in the browser only (they
 * read `window` globals when they load): the page pays for what it uses.
 *
 * {@link openEventStream} is the one factory; {@link CAPABILITIES} is what each option can
 * and cannot do, as data the page renders. Unit-tested in eventSourceOptions.test.ts,
 * with the real packages.
 */

import { withLastEventId } from "./sseStream";

export type EventSourceOptionId = "native" | "polyfill" | "reconnecting";

export interface EventSourceOption {
  readonly id: EventSourceOptionId;
  readonly label: string;
  /** The npm package (pinned in package.json), or `null` when the browser has it built in. */
  readonly npm: { readonly name: string; readonly version: string; readonly license: string } | null;
}

export const EVENT_SOURCE_OPTIONS: readonly EventSourceOption[] = [
  { id: "native", label: "Native EventSource", npm: null },
  { id: "polyfill", label: "event-source-polyfill", npm: { name: "event-source-polyfill", version: "1.0.31", license: "MIT" } },
  { id: "reconnecting", label: "reconnecting-eventsource", npm: { name: "reconnecting-eventsource", version: "1.6.5", license: "MIT" } },
];

/** One cell of the table: can it, and how (or why not). */
export interface Answer {
  readonly ok: boolean;
  readonly how: string;
}

/** One row of the table: a question asked of every option. */
export interface Capability {
  readonly id: string;
  readonly question: string;
  readonly answers: Readonly<Record<EventSourceOptionId, Answer>>;
}

export const CAPABILITIES: readonly Capability[] = [
  {
    id: "headers",
    question: "Sends request headers of its own (e.g. Authorization)",
    answers: {
      native: { ok: false, how: "No: only cookies (withCredentials) and the URL." },
      polyfill: { ok: true, how: "Yes: the headers option, sent with every request." },
      reconnecting: { ok: false, how: "No: it wraps the native EventSource." },
    },
  },
  {
    id: "first-resume",
    question: "Resumes on the first request (after a reload)",
    answers: {
      native: { ok: true, how: "Only through the URL: ?lastEventId= (this server reads it)." },
      polyfill: { ok: true, how: "Yes: Last-Event-ID as a header, from the first request on." },
      reconnecting: { ok: true, how: "Its lastEventId option, sent as ?lastEventId= in the URL." },
    },
  },
  {
    id: "drop",
    question: "Reconnects after the stream drops",
    answers: {
      native: { ok: true, how: "After retry: ms, sending the Last-Event-ID header." },
      polyfill: { ok: true, how: "After retry: ms, doubling per failure (up to 16×), id in the URL and our header." },
      reconnecting: { ok: true, how: "The native one reconnects; the wrapper only steps in when it gives up." },
    },
  },
  {
    id: "fatal",
    question: "Keeps trying after a 5xx or a non-event-stream answer",
    answers: {
      native: { ok: false, how: "No: the answer is fatal, readyState stays CLOSED." },
      polyfill: { ok: false, how: "No: it aborts the connection, like the native one." },
      reconnecting: { ok: true, how: "Yes: a new EventSource after a random wait of up to 3 s." },
    },
  },
  {
    id: "silent",
    question: "Notices a stream that went silent (half-open)",
    answers: {
      native: { ok: false, how: "No: it waits for ever." },
      polyfill: { ok: true, how: "Yes: nothing for 45 s (heartbeatTimeout) and it reconnects; our keep-alives count." },
      reconnecting: { ok: false, how: "No: the native one decides." },
    },
  },
  {
    id: "devtools",
    question: "Shows as an event stream in DevTools, one connection per HTTP/2 stream",
    answers: {
      native: { ok: true, how: "Yes: the EventStream tab lists every event." },
      polyfill: { ok: false, how: "No: it is a fetch whose body is read by script." },
      reconnecting: { ok: true, how: "Yes: underneath it is the native one." },
    },
  },
];

/** The first request an option makes: what the page shows as "sent". */
export interface RequestPlan {
  readonly url: string;
  readonly headers: readonly (readonly [name: string, value: string])[];
}

/**
 * What `option` sends on its first request for `url`, resuming from `lastEventId` ("" for
 * a fresh start). Cookies go too (`withCredentials`), which no script can list.
 */
export function firstRequest(option: EventSourceOptionId, url: string, lastEventId: string): RequestPlan {
  const accept = ["Accept", "text/event-stream"] as const;
  switch (option) {
    case "native":
    case "reconnecting":
      return { url: withLastEventId(url, lastEventId), headers: [accept] };
    case "polyfill":
      return { url, headers: lastEventId ? [accept, ["Last-Event-ID", lastEventId]] : [accept] };
  }
}

/** The surface of an `EventSource` the factory uses; all three options have it. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

/** What the factory gives an implementation: cookies, our headers, where to resume. */
export interface OpenInit {
  readonly withCredentials: boolean;
  /** Sent with each request, read again for each (only the polyfill can send them). */
  readonly headers: Record<string, string>;
  readonly lastEventId: string;
}

/** Opens one stream with an implementation. */
export type EventSourceFactory = (url: string, init: OpenInit) => EventSourceLike;

type NativeClass = new (url: string, init?: EventSourceInit) => EventSourceLike;
type PolyfillClass = new (url: string, init?: { withCredentials?: boolean; headers?: Record<string, string> }) => EventSourceLike;
type ReconnectingClass = new (
  url: string,
  init?: { withCredentials?: boolean; lastEventId?: string; eventSourceClass?: typeof EventSource },
) => EventSourceLike;

/** The native `EventSource` (the id, if any, in the URL: a new one cannot set headers). */
export function nativeFactory(EventSourceClass: NativeClass): EventSourceFactory {
  return (url, init) => new EventSourceClass(withLastEventId(url, init.lastEventId), { withCredentials: init.withCredentials });
}

/** `event-source-polyfill`: our headers, `Last-Event-ID` among them. */
export function polyfillFactory(Polyfill: PolyfillClass): EventSourceFactory {
  return (url, init) => new Polyfill(url, { withCredentials: init.withCredentials, headers: init.headers });
}

/** `reconnecting-eventsource` around `EventSourceClass` (the browser's, unless a test gives another). */
export function reconnectingFactory(Reconnecting: ReconnectingClass, EventSourceClass?: NativeClass): EventSourceFactory {
  return (url, init) =>
    new Reconnecting(url, {
      withCredentials: init.withCredentials,
      ...(init.lastEventId ? { lastEventId: init.lastEventId } : {}),
      ...(EventSourceClass ? { eventSourceClass: EventSourceClass as unknown as typeof EventSource } : {}),
    });
}

/** Loads `option`'s implementation (the packages by `import()`): call in the browser only. */
export async function loadFactory(option: EventSourceOptionId): Promise<EventSourceFactory> {
  switch (option) {
    case "native":
      return nativeFactory(window.EventSource);
    case "polyfill":
      return polyfillFactory((await import("event-source-polyfill")).EventSourcePolyfill as unknown as PolyfillClass);
    case "reconnecting":
      return reconnectingFactory((await import("reconnecting-eventsource")).default);
  }
}

/** What the page hears from a stream, whichever option carries it. */
export interface StreamListener {
  readonly onOpen: () => void;
  /** `retrying`: the implementation will reconnect by itself; `closed`: it gave up. */
  readonly onError: (next: "retrying" | "closed") => void;
  readonly onEvent: (name: string, data: string, lastEventId: string) => void;
}

export interface StreamRequest {
  readonly url: string;
  /** Where to resume ("" for a fresh start). */
  readonly lastEventId: string;
  readonly withCredentials: boolean;
  /** The event types to listen to (an `EventSource` dispatches only the names it listens to). */
  readonly eventNames: readonly string[];
}

export interface OpenedStream {
  readonly close: () => void;
  /** What the first request sends. */
  readonly firstRequest: RequestPlan;
}

/** `readyState` CLOSED, the same number in all three. */
const CLOSED = 2;

// ANCHOR: open_event_stream
/** Opens `request` with `option`'s `factory` and wires its events to `listener`. */
export function openEventStream(
  option: EventSourceOptionId,
  factory: EventSourceFactory,
  request: StreamRequest,
  listener: StreamListener,
): OpenedStream {
  // One object for the life of the stream: the polyfill reads it for every request it
  // makes, so updating it below is what its reconnections send.
  const headers: Record<string, string> = option === "polyfill" && request.lastEventId ? { "Last-Event-ID": request.lastEventId } : {};
  const source = factory(request.url, { withCredentials: request.withCredentials, headers, lastEventId: request.lastEventId });
  let closed = false;
  source.onopen = () => {
    if (!closed) listener.onOpen();
  };
  source.onerror = () => {
    if (!closed) listener.onError(source.readyState === CLOSED ? "closed" : "retrying");
  };
  for (const name of new Set(request.eventNames)) {
    source.addEventListener(name, (event) => {
      if (closed) return;
      const { data, lastEventId } = event as MessageEvent<unknown>;
      const id = typeof lastEventId === "string" ? lastEventId : "";
      if (id && option === "polyfill") headers["Last-Event-ID"] = id;
      listener.onEvent(name, typeof data === "string" ? data : String(data), id);
    });
  }
  return {
    close: () => {
      closed = true;
      source.close();
    },
    firstRequest: firstRequest(option, request.url, request.lastEventId),
  };
}
// ANCHOR_END: open_event_stream
