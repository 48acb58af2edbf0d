"use client";

import { useCallback, useEffect, useReducer, useRef, useState, type FormEvent } from "react";

import { PRIVATE_MESSAGE, accessView, fetchAccess } from "@/lib/access";
import { useBackendUrl } from "@/lib/useRuntimeConfig";
import { identityQuery, presenceAction, presenceReducer, type Identity } from "@/lib/presence";
import { isBoardName } from "@/lib/boardName";
import { markReplayed, NUMBERED_EVENTS, parseResume, pushLog, type LogEntry, type Resume } from "@/lib/sseStream";
import { useEventSource, type ConnectionState, type EventHandlers } from "@/lib/useEventSource";
import { useIdentity } from "@/lib/useIdentity";
import { sessionReady, useSession } from "@/lib/useSession";

import { SseEventLog } from "./SseEventLog";
import { SseIdentityForm } from "./SseIdentityForm";
import { SseMessageForm } from "./SseMessageForm";
import { SseSignedInAs } from "./SseSignedInAs";
import { SseWhoIsOnline } from "./SseWhoIsOnline";

/**
 * The event types a board's stream carries: phase 2's own, and the board's changes (phase 4)
 * when the server has a board store. (An `EventSource` only dispatches the names it listens to.)
 */
const EVENT_NAMES = [
  "ready",
  "reset",
  "message",
  "presence.list",
  "presence.join",
  "presence.leave",
  "note.created",
  "note.updated",
  "note.moved",
  "note.deleted",
] as const;

const STATE_STYLE: Record<ConnectionState, string> = {
  connecting: "bg-amber-100 text-amber-800",
  open: "bg-emerald-100 text-emerald-800",
  closed: "bg-rose-100 text-rose-800",
};

function describeResume(resume: Resume | null): string {
  if (!resume) return "–";
  switch (resume.kind) {
    case "fresh":
      return "fresh start (nothing to resume)";
    case "recovered":
      return `recovered: ${resume.replayed} missed ${resume.replayed === 1 ? "event" : "events"} replayed`;
    case "reset":
      return `reset: ${resume.reason}`;
  }
}

/** Phase 2's live demo: identity, one board's stream, who's online, a log, a message form. */
export function SseDemo() {
  const baseUrl = useBackendUrl();
  const [identity, saveIdentity] = useIdentity();
  const onSession = useCallback((person: Identity) => saveIdentity(person.name, person.color, person.clientId), [saveIdentity]);
  const session = useSession(baseUrl, identity, onSession);
  const [board, setBoard] = useState("demo");
  const [boardInput, setBoardInput] = useState("demo");
  const [people, dispatch] = useReducer(presenceReducer, []);
  const [log, setLog] = useState<readonly LogEntry[]>([]);
  const counter = useRef(0);
  // "Drop": the stream stays closed (messages posted meanwhile are missed) until "Reconnect".
  const [dropped, setDropped] = useState(false);

  // Signed in first (or a server without sessions): the stream carries the cookie.
  const url =
    identity && baseUrl && sessionReady(session.status) ? `${baseUrl}/boards/${board}/events?${identityQuery(identity)}` : null;

  // A new map each render is fine: the hook reconnects only when the set of names changes.
  const handlers: EventHandlers = Object.fromEntries(
    EVENT_NAMES.map((name) => [
      name,
      (data: string, event: MessageEvent<string>) => {
        counter.current += 1;
        // Only numbered events have an id of their own (see `LogEntry.id`).
        const id = NUMBERED_EVENTS.has(name) ? event.lastEventId : "";
        const entry: LogEntry = { n: counter.current, event: name, id, data, at: Date.now() };
        const resume = parseResume(name, data);
        const replayed = resume?.kind === "recovered" ? resume.replayed : 0;
        setLog((l) => pushLog(resume ? markReplayed(l, replayed) : l, entry));
        const action = presenceAction(name, data);
        if (action) dispatch(action);
      },
    ]),
  );
  const stream = useEventSource(dropped ? null : url, handlers, { withCredentials: true });
  const [refusal, setRefusal] = useState<string | null>(null);
  const { recheck } = session;
  const gaveUp = stream.state === "closed" && url !== null && !dropped;
  // The browser gave up on the stream (a 403 is fatal for EventSource): ask the server why.
  // A restarted server that kept sessions in memory forgot ours — signing in again gives a
  // new clientId, hence a new URL and a new stream; a board someone else owns stays shut.
  useEffect(() => {
    if (!gaveUp || baseUrl === null) return;
    recheck();
    const abort = new AbortController();
    fetchAccess(baseUrl, board, abort.signal).then(
      // Not signed in (any more): the recheck above signs in again; nothing to explain.
      (access) => setRefusal(access.signedIn && accessView(access) === "private" ? PRIVATE_MESSAGE : null),
      () => setRefusal(null), // no access route (phase 2 alone), or the server is away
    );
    return () => abort.abort();
  }, [gaveUp, baseUrl, board, recheck]);
  const replayedIds = log.filter((e) => e.replayed).map((e) => e.id).reverse();

  function switchBoard(e: FormEvent) {
    e.preventDefault();
    if (isBoardName(boardInput)) {
      setBoard(boardInput);
      setLog([]);
      setDropped(false);
      dispatch({ type: "list", people: [] });
    }
  }

  return (
    <section
      aria-labelledby="sse-demo-heading"
      className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-sm"
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="sse-demo-heading" className="text-lg font-semibold">
          Live stream of board <code>{board}</code>
        </h2>
        <span data-testid="sse-state" className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STATE_STYLE[stream.state]}`}>
          {url === null ? "not connected" : dropped ? "dropped" : stream.state}
        </span>
      </div>

      <SseIdentityForm key={identity?.clientId ?? "new"} identity={identity} onSave={saveIdentity} />
      <SseSignedInAs status={session.status} />
      {gaveUp && refusal && (
        <p data-testid="sse-refused" role="alert" className="text-sm text-rose-700">
          {refusal} Or switch to a board of your own.
        </p>
      )}

      <form onSubmit={switchBoard} className="flex flex-wrap items-end gap-2" aria-label="Board">
        <label className="flex flex-col text-sm">
          <span className="font-medium text-slate-600">Board</span>
          <input
            data-testid="sse-board-input"
            className="rounded-md border border-slate-300 px-2 py-1"
            value={boardInput}
            onChange={(e) => setBoardInput(e.target.value)}
          />
        </label>
        <button type="submit" className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50">
          Switch
        </button>
        {!isBoardName(boardInput) && (
          <p className="w-full text-sm text-rose-700">1–64 characters of A–Z, a–z, 0–9, _ or -.</p>
        )}
      </form>

      {url && (
        <>
          <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
            <dt className="font-medium text-slate-500">Stream</dt>
            <dd className="break-all">
              <code>GET {url}</code>
            </dd>
            <dt className="font-medium text-slate-500">Last event id</dt>
            <dd data-testid="sse-last-event-id" className="font-mono">
              {stream.lastEventId || "–"}
            </dd>
            <dt className="font-medium text-slate-500">This connection</dt>
            <dd data-testid="sse-resume">{describeResume(stream.resume)}</dd>
            <dt className="font-medium text-slate-500">Replayed</dt>
            <dd data-testid="sse-replayed" className="font-mono break-all">
              {replayedIds.length > 0 ? replayedIds.join(", ") : "–"}
            </dd>
            <dt className="font-medium text-slate-500">Connections opened</dt>
            <dd>
              {stream.opens}{" "}
              <button
                type="button"
                data-testid="sse-reconnect"
                onClick={stream.reconnect}
                className="ml-2 rounded border border-slate-300 px-2 text-xs hover:bg-slate-50"
              >
                Drop and reconnect
              </button>
              <button
                type="button"
                data-testid="sse-drop"
                onClick={() => setDropped((d) => !d)}
                aria-pressed={dropped}
                className="ml-2 rounded border border-slate-300 px-2 text-xs hover:bg-slate-50"
                title="Close the stream and keep it closed: what is posted meanwhile is missed, then replayed on Reconnect"
              >
                {dropped ? "Reconnect" : "Drop"}
              </button>
            </dd>
          </dl>

          <div className="grid gap-5 md:grid-cols-[1fr_2fr]">
            <SseWhoIsOnline people={people} me={identity?.clientId ?? null} />
            <div className="space-y-3">
              {baseUrl && <SseMessageForm endpoint={`${baseUrl}/boards/${board}/messages`} name={identity?.name ?? null} />}
              <SseEventLog log={log} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}
