"use client";

/**
 * One board's event stream through a chosen {@link EventSourceOptionId}, switchable live.
 *
 * Switching closes the current stream and opens the new option's, resuming from the last
 * id seen, so nothing is missed or repeated. The last id is also kept in `sessionStorage`
 * per stream, so a reload resumes too: each option then sends it its own way (see
 * {@link firstRequest}). Around the factory this hook keeps what the page shows: the
 * state, a history of opens and errors (how each option reconnects), the first request's
 * URL and headers, how the connection started (`ready`/`reset`), and what loading the
 * option cost in JavaScript.
 */

import { useCallback, useEffect, useRef, useState } from "react";

import { loadFactory, openEventStream, type EventSourceOptionId, type RequestPlan } from "./eventSourceOptions";
import { measureScripts, type ScriptCost } from "./scriptCost";
import { parseResume, type Resume } from "./sseStream";

export type OptionStreamState = "loading" | "connecting" | "open" | "retrying" | "closed";

/** One line of the connection history. */
export interface HistoryEntry {
  readonly n: number;
  readonly at: number;
  readonly option: EventSourceOptionId;
  readonly what: string;
}

export interface OptionStream {
  readonly state: OptionStreamState;
  readonly lastEventId: string;
  readonly firstRequest: RequestPlan | null;
  readonly resume: Resume | null;
  /** Per option, measured the first time it was loaded; `null` until then. */
  readonly cost: Readonly<Partial<Record<EventSourceOptionId, ScriptCost>>>;
  readonly history: readonly HistoryEntry[];
  readonly problem: string | null;
  /** Closes the stream and opens it again with the same option. */
  readonly reconnect: () => void;
}

/** Called for every event, after the hook has noted its id. */
export type OnStreamEvent = (name: string, data: string, lastEventId: string) => void;

const MAX_HISTORY = 40;
const storageKey = (url: string) => `liveboard.phase6.lastEventId:${new URL(url).pathname}`;

function readStoredId(url: string): string {
  try {
    return window.sessionStorage.getItem(storageKey(url)) ?? "";
  } catch {
    return ""; // storage disabled: no resume across reloads
  }
}

function storeId(url: string, id: string): void {
  try {
    window.sessionStorage.setItem(storageKey(url), id);
  } catch {
    // storage disabled
  }
}

/** Streams `url` (when not `null`) with `option`; `eventNames` are the types to listen to. */
export function useEventSourceOption(
  option: EventSourceOptionId,
  url: string | null,
  eventNames: readonly string[],
  onEvent: OnStreamEvent,
): OptionStream {
  const onEventRef = useRef(onEvent);
  useEffect(() => {
    onEventRef.current = onEvent;
  });
  const names = eventNames.join("\n");
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<OptionStreamState>("loading");
  const [lastEventId, setLastEventId] = useState("");
  const [firstRequest, setFirstRequest] = useState<RequestPlan | null>(null);
  const [resume, setResume] = useState<Resume | null>(null);
  const [cost, setCost] = useState<Partial<Record<EventSourceOptionId, ScriptCost>>>({});
  const [history, setHistory] = useState<readonly HistoryEntry[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const counter = useRef(0);
  const loaded = useRef(new Set<EventSourceOptionId>());

  useEffect(() => {
    if (url === null) return;
    let stop: (() => void) | null = null;
    let cancelled = false;
    let opens = 0;
    const note = (what: string) => {
      counter.current += 1;
      const entry = { n: counter.current, at: Date.now(), option, what };
      setHistory((h) => [entry, ...h].slice(0, MAX_HISTORY));
    };
    const loadOnce = loaded.current.has(option)
      ? loadFactory(option)
      : measureScripts(() => loadFactory(option)).then(({ value, cost: measured }) => {
          loaded.current.add(option);
          setCost((c) => ({ ...c, [option]: measured }));
          return value;
        });
    loadOnce.then(
      (factory) => {
        if (cancelled) return;
        const since = readStoredId(url);
        setLastEventId(since);
        setState("connecting");
        setResume(null);
        setProblem(null);
        const stream = openEventStream(
          option,
          factory,
          { url, lastEventId: since, withCredentials: true, eventNames: [...names.split("\n").filter(Boolean), "ready", "reset"] },
          {
            onOpen: () => {
              opens += 1;
              setState("open");
              note(opens === 1 ? "connected" : `reconnected (${opens} connections so far)`);
            },
            onError: (next) => {
              setState(next);
              note(next === "closed" ? "error: gave up (it will not reconnect)" : "error: it will reconnect by itself");
            },
            onEvent: (name, data, id) => {
              if (id) {
                storeId(url, id);
                setLastEventId(id);
              }
              const started = parseResume(name, data);
              if (started) setResume(started);
              onEventRef.current(name, data, id);
            },
          },
        );
        setFirstRequest(stream.firstRequest);
        note(since ? `opening, resuming from ${since}` : "opening, fresh start");
        stop = stream.close;
      },
      (error: unknown) => {
        if (!cancelled) setProblem(`could not load ${option}: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    return () => {
      cancelled = true;
      stop?.();
      setState("loading");
    };
  }, [option, url, names, attempt]);

  const reconnect = useCallback(() => setAttempt((a) => a + 1), []);
  return { state: url === null ? "closed" : state, lastEventId, firstRequest, resume, cost, history, problem, reconnect };
}
