"use client";

/**
 * A WebSocket that looks after itself: phase 3's {@link useWebSocket} under the
 * {@link supervise connection supervisor} (`connectionSupervisor.ts`). This hook is the
 * supervisor's hands and ears; every decision is the pure reducer's.
 *
 * - **Ears.** Each socket event goes to the supervisor (open, any message as proof of life,
 *   `connection.policy`, `heartbeat`, close), then on to the caller. A periodic check
 *   (every {@link CHECK_EVERY_MS}) hands it the wall-clock time; so do the window's `online`
 *   and `visibilitychange` events at once, because a background tab's timers may be held
 *   back to one a minute and a laptop that wakes up must not wait for the next one.
 *   `offline` marks the link offline at once.
 * - **Hands.** The effects: open a new socket, or close the current one. A socket the page
 *   gave up on is closed and reported to the caller as closed *now* (the browser's own
 *   close event can take up to a minute on a dead link); its later events are ignored.
 *
 * For the `/phases/5` page it also keeps the connection's timeline and lets a person drop
 * the link, go "deaf" (ignore every incoming message, as if the link were half-open: the
 * browser still answers the server's pings, but the page hears nothing, so its own deadline
 * fires), or go offline and back.
 */

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import {
  initialSupervisor,
  supervise,
  type SupervisorEvent,
  type SupervisorState,
} from "./connectionSupervisor";
import { appendTimeline, type TimelineEntry } from "./connectionTimeline";
import { hardeningMessageOf } from "./hardeningMessages";
import { useWebSocket, type SocketEvent, type UseWebSocketOptions, type WebSocketHandle } from "./useWebSocket";

/** How often the deadline and a due retry are checked while the tab's timers run freely. */
export const CHECK_EVERY_MS = 500;

export interface UseSupervisedSocketOptions extends Omit<UseWebSocketOptions, "autoConnect"> {
  /** Uniform draws in [0, 1) for the backoff's jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** What a person can do to the link on the `/phases/5` page. */
export interface LinkControls {
  /** Close the socket now; the supervisor reconnects by the contract. */
  readonly drop: () => void;
  /** Ignore (`true`) or hear again (`false`) every incoming message. */
  readonly setDeaf: (deaf: boolean) => void;
  /** Close the socket and hold every reconnection until {@link LinkControls.backOnline}. */
  readonly goOffline: () => void;
  readonly backOnline: () => void;
  /** A new socket now, whatever the state. */
  readonly reconnect: () => void;
}

export interface SupervisedSocket {
  readonly socket: WebSocketHandle;
  readonly supervisor: SupervisorState;
  readonly timeline: readonly TimelineEntry[];
  /** True while the page ignores incoming messages (simulated half-open link). */
  readonly deaf: boolean;
  /** Adds entries the caller saw (a resume, a reset) to the timeline. */
  readonly note: (...entries: TimelineEntry[]) => void;
  readonly controls: LinkControls;
}

interface View {
  readonly supervisor: SupervisorState;
  readonly timeline: readonly TimelineEntry[];
}

/** Connects to `url` at once (`null`: nowhere yet) and keeps it connected by the contract. */
export function useSupervisedSocket(url: string | null, options: UseSupervisedSocketOptions = {}): SupervisedSocket {
  const { random = Math.random, onSocketEvent, ...socketOptions } = options;
  const [view, setView] = useState<View>(() => ({ supervisor: initialSupervisor(Date.now()), timeline: [] }));
  const [deaf, setDeafState] = useState(false);

  const supervisorRef = useRef(view.supervisor);
  const deafRef = useRef(false);
  const randomRef = useRef(random);
  const callerRef = useRef(onSocketEvent);
  const handsRef = useRef<Pick<WebSocketHandle, "connect" | "disconnect"> | null>(null);
  // The socket the caller hears now, and those the page gave up on (their events are old news).
  const currentSocket = useRef(0);
  const abandoned = useRef(new Set<number>());
  useEffect(() => {
    randomRef.current = random;
    callerRef.current = onSocketEvent;
  });

  const note = useCallback((...entries: TimelineEntry[]) => {
    setView((v) => ({ ...v, timeline: appendTimeline(v.timeline, entries) }));
  }, []);

  const drive = useCallback((event: SupervisorEvent) => {
    const before = supervisorRef.current;
    const step = supervise(before, event);
    supervisorRef.current = step.state;
    // Most ticks change nothing: no render for them.
    if (step.state !== before || step.log.length > 0) {
      setView((v) => ({ supervisor: step.state, timeline: appendTimeline(v.timeline, step.log) }));
    }
    for (const effect of step.effects) {
      if (effect.kind === "connect") {
        handsRef.current?.connect();
      } else {
        const socket = currentSocket.current;
        abandoned.current.add(socket);
        handsRef.current?.disconnect(effect.code, effect.reason);
        // Tell the caller now: for the board, this connection is over.
        callerRef.current?.({ type: "close", socket, code: effect.code, reason: effect.reason, wasClean: false, at: event.at });
      }
    }
  }, []);

  const tick = useCallback(() => drive({ type: "tick", at: Date.now(), draw: randomRef.current() }), [drive]);

  const hear = (event: SocketEvent) => {
    if (abandoned.current.has(event.socket)) return;
    switch (event.type) {
      case "connecting":
        currentSocket.current = event.socket;
        drive({ type: "connecting", at: event.at });
        break;
      case "open":
        drive({ type: "opened", at: event.at });
        break;
      case "close":
        drive({ type: "closed", at: event.at, code: event.code, reason: event.reason, draw: randomRef.current() });
        break;
      case "message": {
        if (deafRef.current) return;
        drive({ type: "message", at: event.at });
        const hardening = event.payload.kind === "text" ? hardeningMessageOf(event.payload.json) : null;
        if (hardening?.kind === "policy") drive({ type: "policy", at: event.at, policy: hardening.policy });
        if (hardening?.kind === "heartbeat") drive({ type: "heartbeat", at: event.at, serverTimeMs: hardening.serverTimeMs });
        break;
      }
    }
    callerRef.current?.(event);
  };

  const socket = useWebSocket(url, { ...socketOptions, autoConnect: true, onSocketEvent: hear });
  const { connect, disconnect } = socket;
  useEffect(() => {
    handsRef.current = { connect, disconnect };
  }, [connect, disconnect]);

  // --- The clock: a periodic check, and the exact moment a retry is due. -----------------
  const active = url !== null;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(tick, CHECK_EVERY_MS);
    return () => clearInterval(timer);
  }, [active, tick]);
  const retryAt = view.supervisor.phase.kind === "waiting" ? view.supervisor.phase.until : null;
  useEffect(() => {
    if (!active || retryAt === null) return;
    const timer = setTimeout(tick, Math.max(0, retryAt - Date.now()));
    return () => clearTimeout(timer);
  }, [active, retryAt, tick]);

  // --- The window: back online, offline, the tab shown again. ----------------------------
  useEffect(() => {
    if (!active) return;
    const onOnline = () => {
      drive({ type: "online", at: Date.now(), by: "browser" });
      tick();
    };
    const onOffline = () => drive({ type: "offline", at: Date.now(), by: "browser" });
    const onVisibility = () => {
      if (document.visibilityState === "visible") tick();
    };
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [active, drive, tick]);

  // --- What a person can do. -------------------------------------------------------------
  const simulate = useCallback(
    (what: string, event: SupervisorEvent) => {
      note({ at: event.at, kind: "simulation", what });
      drive(event);
    },
    [drive, note],
  );
  const setDeaf = useCallback(
    (on: boolean) => {
      deafRef.current = on;
      setDeafState(on);
      note({ at: Date.now(), kind: "simulation", what: on ? "stopped hearing the server (half-open link)" : "hearing the server again" });
    },
    [note],
  );
  const drop = useCallback(() => simulate("dropped the link", { type: "drop", at: Date.now(), draw: randomRef.current() }), [simulate]);
  const goOffline = useCallback(() => simulate("went offline", { type: "offline", at: Date.now(), by: "you" }), [simulate]);
  const backOnline = useCallback(() => simulate("back online", { type: "online", at: Date.now(), by: "you" }), [simulate]);
  const reconnect = useCallback(() => drive({ type: "reconnect", at: Date.now() }), [drive]);
  const controls = useMemo<LinkControls>(() => ({ drop, setDeaf, goOffline, backOnline, reconnect }), [drop, setDeaf, goOffline, backOnline, reconnect]);

  return { socket, supervisor: view.supervisor, timeline: view.timeline, deaf, note, controls };
}
