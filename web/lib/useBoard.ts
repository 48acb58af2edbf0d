"use client";

/**
 * One board, live: a WebSocket to `/ws` (phase 3's {@link useWebSocket}), the optimistic
 * reducer (`boardState.ts`) and the presence list (phase 2's `presence.ts`).
 *
 * The session, as phases/4-board/PROTOCOL.md prescribes it:
 *
 * ```text
 *   open ─▶ subscribe {board, since?: last position, person}
 *        ─▶ board_snapshot            (only when there is no base, or after a reset)
 *        ─▶ every queued op           (new ones, and in-flight ones again: same opId)
 *   ◀─ ack / error / snapshot / note.* / ready / reset / presence.*   → reducers
 *   close ─▶ in-flight ops are queued again; reconnect by the contract (connectionSupervisor.ts)
 * ```
 *
 * All the decisions live in the pure reducer; this hook only moves messages between it and
 * the socket: it sends what {@link sendableOps} says may go, asks for a snapshot when
 * {@link snapshotWanted}, and turns each message into an action.
 *
 * **Where messages come from.** `useWebSocket` reports everything that happens to its
 * socket through one callback, in order ({@link SocketEvent}: connecting, open, each
 * message with its JSON parsed once, close); this hook sorts each message for the board
 * ({@link boardMessageOf}) and turns it into an action. The frame log stays the
 * inspector's: nothing here reads it.
 *
 * **What survives a reload** (`boardPersistence.ts`): after every change the hook writes
 * the board's pending ops, drafts and last confirmed state to `localStorage`, and reads them
 * back when it mounts; leaving the page while ops are unsent asks first (`beforeunload`).
 *
 * **Who is editing** (`editing.ts`): while a draft is open the hook announces it
 * (`note_editing`), again every 15 s, and stops when it closes; other people's
 * `note.editing` messages go to a small reducer of their own, never to the board's state.
 *
 * **Reconnecting and liveness** are the supervisor's ({@link useSupervisedSocket}): the
 * backoff contract the server advertises, the close code's verdict, and a deadline on
 * silence. When it gives up on a link it reports the socket closed at once, so in-flight ops
 * are queued again here without waiting for the browser's own close event. The board adds
 * what only it sees to the connection's timeline: how each resume went.
 */

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";

import type { SupervisorState } from "./connectionSupervisor";
import type { TimelineEntry } from "./connectionTimeline";
import { linkStatus, type LinkStatus } from "./connectionWords";

import { boardMessageOf, encodeNoteRequest } from "./boardMessages";
import { encodeRequest } from "./boardProtocol";
import {
  boardReducer,
  boardView,
  buildRequest,
  initialBoardState,
  nextRetryAt,
  sendableOps,
  snapshotWanted,
  type BoardAction,
  type BoardState,
  type BoardView,
  type NoteIntent,
} from "./boardState";
import { persistable, restoreBoardState, storageKey, worthSaving } from "./boardPersistence";
import { EDITING_REFRESH_MS, editorsReducer, noteEditingRequest, parseNoteEditing, type Editor } from "./editing";
import { SUBPROTOCOL } from "./generated/protocol";
import { newClientId, presenceReducer, type Identity, type Person } from "./presence";
import { useBackendUrl } from "./useRuntimeConfig";
import { useSupervisedSocket, type LinkControls } from "./useSupervisedSocket";
import type { SocketEvent, WebSocketHandle } from "./useWebSocket";
import { webSocketUrl } from "./webSocketUrl";

const PROTOCOLS = [SUBPROTOCOL];
/** Frame log kept by the socket hook for the inspector on /phases/4: enough to scroll back, small enough to draw. */
const MAX_LOG = 1_000;

export interface UseBoardOptions {
  /**
   * Keep new ops queued instead of sending them (the phase 4 page's "hold outgoing ops"
   * switch): the view shows them at once, marked pending, until they are released.
   */
  readonly holdOutgoing?: boolean;
}

/** The connection as the board's badge shows it (`connectionWords.ts`). */
export type BoardConnection = LinkStatus;

/** The supervised link underneath, for the `/phases/5` page. */
export interface BoardLink {
  readonly supervisor: SupervisorState;
  readonly timeline: readonly TimelineEntry[];
  readonly deaf: boolean;
  readonly controls: LinkControls;
}

export interface BoardHandle {
  readonly board: string;
  readonly state: BoardState;
  readonly view: BoardView;
  /** Who is on the board now (several tabs of one person are one entry). */
  readonly people: readonly Person[];
  readonly connection: BoardConnection;
  /** Our changes the server has not confirmed yet (queued or in flight). */
  readonly waitingChanges: number;
  readonly link: BoardLink;
  /** Why the server refused our subscription (e.g. a bad name), if it did. */
  readonly subscribeError: string | null;
  /** The socket underneath, for the frame log on /phases/4. */
  readonly socket: WebSocketHandle;
  readonly create: (note: { readonly text: string; readonly color: string; readonly column: string; readonly order: number }) => string | null;
  readonly update: (noteId: string, change: { readonly text?: string; readonly color?: string }) => void;
  readonly move: (noteId: string, column: string, order: number) => void;
  readonly remove: (noteId: string) => void;
  readonly dismiss: (noticeId: number) => void;
  /** True while the link is up and subscribed (pending ops are "saving…", not "waiting — offline"). */
  readonly online: boolean;
  /** Other people's open editors ("Bo is editing"). */
  readonly editors: readonly Editor[];
  /** The editor of a note: open, type, save, resolve a conflict, close. */
  readonly openDraft: (noteId: string) => void;
  readonly changeDraft: (noteId: string, text: string) => void;
  readonly saveDraft: (noteId: string) => void;
  readonly resolveDraft: (noteId: string, choice: "mine" | "theirs" | "both") => void;
  readonly closeDraft: (noteId: string) => void;
  /** Undoes my latest action (or the one of op `entry`) as a new op. */
  readonly undo: (entry?: string) => void;
  /** Drops the connection and opens a new one now. */
  readonly reconnect: () => void;
}

export function useBoard(board: string, identity: Identity | null, options: UseBoardOptions = {}): BoardHandle {
  const { holdOutgoing = false } = options;
  const backendUrl = useBackendUrl();
  const url = identity && backendUrl ? webSocketUrl(backendUrl, "/ws") : null;

  const [state, dispatch] = useReducer(boardReducer, board, initialBoardState);
  const [people, presence] = useReducer(presenceReducer, []);
  const [editors, editorsDispatch] = useReducer(editorsReducer, []);

  // --- What a previous page left (before the socket opens: its ops go out first). -------
  useEffect(() => {
    let saved: unknown = null;
    try {
      const text = window.localStorage.getItem(storageKey(board));
      saved = text === null ? null : JSON.parse(text);
    } catch {
      // No storage (private mode, a sandbox) or a damaged entry: start from the server alone.
    }
    const restored = restoreBoardState(board, saved);
    if (restored) dispatch({ type: "restore", saved: restored, at: Date.now() });
  }, [board]);
  // The socket (by number) on which `subscribe` went out: ops and snapshots wait for it.
  const [subscribedOn, setSubscribedOn] = useState(0);
  const [subscribeError, setSubscribeError] = useState<string | null>(null);
  // Bumped when a held-back op (rate_limited) may go.
  const [tick, setTick] = useState(0);

  // What the last render saw, for the socket's callbacks.
  const stateRef = useRef(state);
  const identityRef = useRef(identity);
  useEffect(() => {
    stateRef.current = state;
    identityRef.current = identity;
  });
  const requestCounter = useRef(0);
  const subscribeRequest = useRef<string | null>(null);
  const sentKeys = useRef(new Set<string>());
  const snapshotAsked = useRef<string | null>(null);
  // The notes whose open editor we announced on this connection.
  const announced = useRef(new Set<string>());
  // The socket that opened and has not been seen closing yet (0: none).
  const openSocket = useRef(0);

  const nextRequestId = useCallback(() => {
    requestCounter.current += 1;
    return `b${requestCounter.current}`;
  }, []);

  // --- Inbound: everything that happens to the socket, in order. -------------------------
  // Called by the socket's events, never while rendering (so `sendText`, below, is set).
  const onSocketEvent = (event: SocketEvent) => {
    const now = event.at;
    const act = (action: BoardAction) => dispatch(action);
    // The connection we were using is gone: what was in flight must be sent again.
    const lost = () => {
      openSocket.current = 0;
      act({ type: "connection-lost", at: now });
      presence({ type: "list", people: [] });
      editorsDispatch({ type: "clear" });
      announced.current.clear();
      setSubscribedOn(0);
      sentKeys.current.clear();
      snapshotAsked.current = null;
    };
    switch (event.type) {
      case "connecting":
        // A new socket replaces an open one (reconnect, new name): the old one's close
        // will not be reported, so this is where it ends for us.
        if (openSocket.current !== 0) lost();
        return;
      case "open": {
        openSocket.current = event.socket;
        // Subscribe first; the snapshot (if needed) and the ops follow once this is sent.
        const s = stateRef.current;
        const me = identityRef.current;
        const id = nextRequestId();
        subscribeRequest.current = id;
        const since = s.synced && s.confirmed.position ? { since: s.confirmed.position } : {};
        const person = me ? { person: { clientId: me.clientId, name: me.name, color: me.color } } : {};
        if (sendText(encodeRequest({ type: "subscribe", payload: { board, ...since, ...person } }, id))) {
          setSubscribedOn(event.socket);
          setSubscribeError(null);
        }
        return;
      }
      case "close":
        lost();
        return;
      case "message":
        break;
    }
    if (event.payload.kind !== "text") return;
    const editing = parseNoteEditing(event.payload.json);
    if (editing) {
      if (editing.board === board) editorsDispatch({ type: "event", event: editing, at: now });
      return;
    }
    const message = boardMessageOf(event.payload.json);
    if (!message) return;
    switch (message.kind) {
      case "ack":
        act({ type: "ack", requestId: message.id, ack: message.ack, at: now });
        break;
      case "error":
        if (message.id !== undefined && message.id === subscribeRequest.current) {
          setSubscribeError(`${message.error.code}: ${message.error.message}`);
        } else {
          act({ type: "error", requestId: message.id, error: message.error, at: now });
        }
        break;
      case "snapshot":
        act({ type: "snapshot", requestId: message.id, snapshot: message.snapshot, at: now });
        if (message.snapshot.board === board) note({ at: now, kind: "snapshot", notes: message.snapshot.notes.length });
        break;
      case "event":
        act({ type: "event", event: message.event, at: now });
        break;
      case "session": {
        const { envelope } = message;
        if (envelope.type === "ready" && envelope.payload.board === board) {
          act({ type: "resumed", recovered: envelope.payload.recovered, at: now });
          note({ at: now, kind: "resume", recovered: envelope.payload.recovered, replayed: envelope.payload.replayed });
        } else if (envelope.type === "reset" && envelope.payload.board === board) {
          act({ type: "reset", reason: envelope.payload.reason, at: now });
          note({ at: now, kind: "reset", reason: envelope.payload.reason });
        } else if (envelope.type === "presence.list" && envelope.payload.board === board) {
          presence({ type: "list", people: envelope.payload.people });
        } else if (envelope.type === "presence.join" && envelope.payload.board === board) {
          const { clientId, name, color } = envelope.payload;
          presence({ type: "join", person: { clientId, name, color } });
        } else if (envelope.type === "presence.leave" && envelope.payload.board === board) {
          presence({ type: "leave", clientId: envelope.payload.clientId });
          editorsDispatch({ type: "leave", clientId: envelope.payload.clientId });
        }
        break;
      }
    }
  };

  const supervised = useSupervisedSocket(url, { protocols: PROTOCOLS, maxLog: MAX_LOG, onSocketEvent });
  const { socket, note, supervisor, timeline, deaf, controls } = supervised;
  const { connect, sendText } = socket;

  const live = socket.state === "open" && subscribedOn === socket.socket && subscribedOn > 0;

  // --- Outbound: a snapshot when the reducer wants one. ----------------------------------
  useEffect(() => {
    if (!live || snapshotAsked.current !== null) return;
    const now = Date.now();
    if (!snapshotWanted(state, now)) {
      // Held back after a refusal: look again when the wait is over.
      if (!snapshotWanted(state) || state.snapshotNotBefore <= now) return;
      const timer = setTimeout(() => setTick((t) => t + 1), state.snapshotNotBefore - now);
      return () => clearTimeout(timer);
    }
    const id = nextRequestId();
    if (sendText(encodeNoteRequest({ type: "board_snapshot", payload: { board } }, id))) {
      snapshotAsked.current = id;
      dispatch({ type: "snapshot-requested", requestId: id, at: now });
    }
  }, [live, state, board, sendText, nextRequestId, tick]);
  useEffect(() => {
    // The reducer forgot the request (answered, refused or lost): a new one may go.
    if (state.snapshotRequest === null) snapshotAsked.current = null;
  }, [state.snapshotRequest]);

  // --- Outbound: every op that may go now. -----------------------------------------------
  useEffect(() => {
    if (!live || holdOutgoing) return;
    const now = Date.now();
    for (const op of sendableOps(state, now)) {
      const key = `${op.opId}#${op.sends}`;
      if (sentKeys.current.has(key)) continue;
      const id = nextRequestId();
      const request = buildRequest(board, op);
      if (!sendText(encodeNoteRequest(request, id))) break;
      sentKeys.current.add(key);
      dispatch({ type: "sent", opId: op.opId, requestId: id, request, at: now });
    }
    const retry = nextRetryAt(state);
    if (retry === null || retry <= now) return;
    const timer = setTimeout(() => setTick((t) => t + 1), retry - now);
    return () => clearTimeout(timer);
  }, [live, holdOutgoing, state, board, sendText, nextRequestId, tick]);

  // --- Keep what a reload must not lose. ---------------------------------------------------
  const lastSaved = useRef("");
  useEffect(() => {
    const saved = persistable(state);
    if (!worthSaving(saved)) return;
    const text = JSON.stringify(saved);
    if (text === lastSaved.current) return;
    lastSaved.current = text;
    try {
      window.localStorage.setItem(storageKey(board), text);
    } catch {
      // Full quota or no storage: the board works on; only a reload would lose the queue.
    }
  }, [state, board]);

  // --- Leaving with unsent changes asks first. -------------------------------------------
  const unsent = state.pending.some((op) => op.status !== "acked");
  useEffect(() => {
    if (!unsent) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [unsent]);

  // --- "I am editing this note", while my editor is open. --------------------------------
  const openEditors = Object.values(state.drafts)
    .filter((d) => d.saving === null && !d.deleted)
    .map((d) => d.noteId)
    .sort()
    .join("\n");
  useEffect(() => {
    if (!live) return;
    const open = openEditors ? openEditors.split("\n") : [];
    const say = (noteId: string, editing: boolean) => sendText(JSON.stringify(noteEditingRequest(board, noteId, editing)));
    for (const noteId of [...announced.current]) {
      if (!open.includes(noteId) && say(noteId, false)) announced.current.delete(noteId);
    }
    for (const noteId of open) {
      if (!announced.current.has(noteId) && say(noteId, true)) announced.current.add(noteId);
    }
    if (open.length === 0) return;
    const timer = setInterval(() => open.forEach((noteId) => say(noteId, true)), EDITING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, openEditors, board, sendText]);
  useEffect(() => {
    if (editors.length === 0) return;
    const timer = setInterval(() => editorsDispatch({ type: "expire", now: Date.now() }), 5_000);
    return () => clearInterval(timer);
  }, [editors.length]);

  // --- A new name or color: subscribe again on a new connection. -------------------------
  const identityKey = identity ? `${identity.clientId}|${identity.name}|${identity.color}` : "";
  const lastIdentityKey = useRef(identityKey);
  useEffect(() => {
    if (lastIdentityKey.current === identityKey) return;
    const hadOne = lastIdentityKey.current !== "";
    lastIdentityKey.current = identityKey;
    if (hadOne && identityKey !== "") connect();
  }, [identityKey, connect]);

  // --- What the person does. -------------------------------------------------------------
  const local = useCallback((intent: NoteIntent) => {
    const me = identityRef.current;
    if (!me) return false;
    dispatch({ type: "local", opId: `op-${newClientId()}`, intent, author: me.name.trim(), at: Date.now() });
    return true;
  }, []);

  const create = useCallback<BoardHandle["create"]>(
    (note) => {
      const noteId = newClientId();
      return local({ kind: "create", noteId, ...note }) ? noteId : null;
    },
    [local],
  );
  const update = useCallback<BoardHandle["update"]>((noteId, change) => void local({ kind: "update", noteId, ...change }), [local]);
  const move = useCallback<BoardHandle["move"]>((noteId, column, order) => void local({ kind: "move", noteId, column, order }), [local]);
  const remove = useCallback<BoardHandle["remove"]>((noteId) => void local({ kind: "delete", noteId }), [local]);
  const dismiss = useCallback((id: number) => dispatch({ type: "dismiss", id }), []);
  /** Who acts now, for the actions that make an op. */
  const origin = useCallback(() => {
    const me = identityRef.current;
    return me ? { opId: `op-${newClientId()}`, author: me.name.trim(), at: Date.now() } : null;
  }, []);
  const openDraft = useCallback((noteId: string) => dispatch({ type: "draft-open", noteId, at: Date.now() }), []);
  const changeDraft = useCallback((noteId: string, text: string) => dispatch({ type: "draft-change", noteId, text }), []);
  const closeDraft = useCallback((noteId: string) => dispatch({ type: "draft-close", noteId }), []);
  const saveDraft = useCallback(
    (noteId: string) => {
      const o = origin();
      if (o) dispatch({ type: "draft-save", noteId, ...o });
    },
    [origin],
  );
  const resolveDraft = useCallback<BoardHandle["resolveDraft"]>(
    (noteId, choice) => {
      const o = origin();
      if (o) dispatch({ type: "draft-resolve", noteId, choice, newNoteId: newClientId(), ...o });
    },
    [origin],
  );
  const undo = useCallback(
    (entry?: string) => {
      const o = origin();
      if (o) dispatch({ type: "undo", newNoteId: newClientId(), ...(entry !== undefined ? { entry } : {}), ...o });
    },
    [origin],
  );

  const view = useMemo(() => boardView(state), [state]);

  const connection: BoardConnection = url === null ? { kind: "no-identity" } : linkStatus(supervisor, state.synced && live);
  const waitingChanges = state.pending.filter((op) => op.status !== "acked").length;
  const link = useMemo<BoardLink>(() => ({ supervisor, timeline, deaf, controls }), [supervisor, timeline, deaf, controls]);

  return {
    board,
    state,
    view,
    people,
    connection,
    waitingChanges,
    link,
    subscribeError,
    socket,
    create,
    update,
    move,
    remove,
    dismiss,
    online: live,
    editors,
    openDraft,
    changeDraft,
    saveDraft,
    resolveDraft,
    closeDraft,
    undo,
    reconnect: controls.reconnect,
  };
}
