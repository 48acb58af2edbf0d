"use client";

/**
 * A typed React hook around the browser's `EventSource`.
 *
 * What the browser does for us (HTML §9.2): opens a `GET` with `Accept: text/event-stream`,
 * parses the stream, fires one DOM event per server event (named by its `event:` line), and
 * when the connection drops, waits `retry` ms and reconnects **on its own**, sending the
 * last `id:` it saw as `Last-Event-ID`. What it does not do: tell us whether the server
 * could replay what we missed. Our server says so in the first event of every connection
 * (`ready` or `reset`), which this hook tracks as {@link EventSourceStatus.resume}.
 *
 * States: `connecting` (opening, or waiting to reconnect after a drop), `open`, `closed`
 * (the browser gave up: a non-200 answer or a wrong content type is fatal for
 * `EventSource`; call {@link EventSourceHandle.reconnect} to try again).
 *
 * `withCredentials` sends the backend's cookies with the stream (the session, on another
 * origin of the same site): without it, a signed-in page is a stranger to the stream.
 *
 * Handlers are a map of event name → function. The set of *names* decides which listeners
 * are attached; the functions themselves may change on every render without reconnecting.
 */

import { useCallback, useEffect, useRef, useState } from "react";

import { parseResume, withLastEventId, type Resume } from "./sseStream";

export type ConnectionState = "connecting" | "open" | "closed";

/** Called with the event's `data` text and the raw DOM event. */
export type EventHandler = (data: string, event: MessageEvent<string>) => void;

/** Event name → handler. `message` is the type of events sent without an `event:` line. */
export type EventHandlers = Readonly<Record<string, EventHandler>>;

export interface EventSourceStatus {
  readonly state: ConnectionState;
  /** The last `id:` received ("" before any): what a reconnection resumes from. */
  readonly lastEventId: string;
  /** How the current connection started, once its `ready`/`reset` arrived. */
  readonly resume: Resume | null;
  /** How many times a connection has opened (a number above 1 means reconnections). */
  readonly opens: number;
}

export interface EventSourceHandle extends EventSourceStatus {
  /** Closes the current connection and opens a new one resuming from `lastEventId`. */
  readonly reconnect: () => void;
}

interface Tracked extends EventSourceStatus {
  /** Which connection (url + attempt) this status belongs to. */
  readonly key: string;
}

/**
 * Connects to `url` while it is not `null`; reconnects when it changes; closes on unmount.
 */
export function useEventSource(url: string | null, handlers: EventHandlers, { withCredentials = false } = {}): EventSourceHandle {
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });
  const names = Object.keys(handlers).sort().join("\n");

  const [attempt, setAttempt] = useState(0);
  // Ids belong to one stream (one board): remember which path the last id came from, so
  // switching boards does not "resume" board B from board A's position.
  const lastIdRef = useRef({ path: "", id: "" });
  const key = `${attempt}\n${url ?? ""}`;
  const [tracked, setTracked] = useState<Tracked>({
    key: "",
    state: "connecting",
    lastEventId: "",
    resume: null,
    opens: 0,
  });

  useEffect(() => {
    if (url === null) return;
    // A new EventSource cannot set headers: the resume point goes in the URL. (The
    // browser's own reconnections of *this* EventSource send the Last-Event-ID header,
    // which the server prefers over the query parameter.)
    const path = new URL(url).pathname;
    if (lastIdRef.current.path !== path) lastIdRef.current = { path, id: "" };
    const source = new EventSource(withLastEventId(url, lastIdRef.current.id), { withCredentials });
    const update = (change: (t: Tracked) => Partial<Tracked>) =>
      setTracked((t) => {
        const base: Tracked = t.key === key ? t : { ...t, key, state: "connecting", resume: null };
        return { ...base, ...change(base) };
      });

    source.onopen = () => update((t) => ({ state: "open", opens: t.opens + 1 }));
    source.onerror = () =>
      // CONNECTING: the browser will retry after `retry` ms. CLOSED: it gave up.
      update(() => ({ state: source.readyState === EventSource.CLOSED ? "closed" : "connecting" }));

    const listen = (name: string) => {
      const listener = (e: Event) => {
        const event = e as MessageEvent<string>;
        if (event.lastEventId) lastIdRef.current = { path, id: event.lastEventId };
        const resume = parseResume(name, event.data);
        update(() => ({ lastEventId: event.lastEventId, ...(resume ? { resume } : {}) }));
        handlersRef.current[name]?.(event.data, event);
      };
      source.addEventListener(name, listener);
    };
    const wanted = new Set(names ? names.split("\n") : []);
    wanted.add("ready");
    wanted.add("reset");
    wanted.forEach(listen);

    return () => source.close();
  }, [url, key, names, withCredentials]);

  const reconnect = useCallback(() => setAttempt((a) => a + 1), []);

  const status: EventSourceStatus =
    url === null
      ? { state: "closed", lastEventId: tracked.lastEventId, resume: null, opens: tracked.opens }
      : tracked.key === key
        ? tracked
        : { state: "connecting", lastEventId: tracked.lastEventId, resume: null, opens: tracked.opens };
  return { ...status, reconnect };
}
