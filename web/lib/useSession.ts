"use client";

/**
 * The teaching pages' sign-in (phases 2 and 3), the board's way (access.ts): once the reader
 * chose a name, make sure the server signed a session for it (`POST /session`), and keep the
 * server's `clientId` (`onSession`). From then on the `HttpOnly` cookie goes with every
 * request that asks for it — `fetch(…, {credentials: "include"})`, an `EventSource` made
 * `withCredentials`, and every WebSocket handshake — and on a private server (the default)
 * the first person to open a board owns it.
 *
 * What the server says decides, not a guess: `GET /session` answering 404 means a server
 * without sessions (phase 2 or 3 on its own), where the name sent is believed.
 */

import { useCallback, useEffect, useState } from "react";

import { currentSession, ensureSession } from "./access";
import type { Identity } from "./presence";

export type SessionStatus =
  /** Asking the server (or no backend address yet). */
  | { readonly kind: "asking" }
  /** The server has sessions and we have none: choose a name to sign in. */
  | { readonly kind: "signed-out" }
  /** The cookie says who we are. */
  | { readonly kind: "signed-in"; readonly person: Identity }
  /** A server without sessions: it believes the name we send. */
  | { readonly kind: "no-sessions" }
  | { readonly kind: "failed"; readonly problem: string };

export interface SessionHandle {
  readonly status: SessionStatus;
  /** Ask again (after the server refused us: a restarted server forgets its sessions if it kept them in memory). */
  readonly recheck: () => void;
}

/** `true` when requests may go out: we are signed in, or the server has no sessions. */
export function sessionReady(status: SessionStatus): boolean {
  return status.kind === "signed-in" || status.kind === "no-sessions";
}

export function useSession(
  backendUrl: string | null,
  identity: Identity | null,
  onSession: (person: Identity) => void,
): SessionHandle {
  const [status, setStatus] = useState<SessionStatus>({ kind: "asking" });
  const [round, setRound] = useState(0);
  const recheck = useCallback(() => setRound((r) => r + 1), []);
  const name = identity?.name ?? null;
  const color = identity?.color ?? null;
  const clientId = identity?.clientId ?? null;

  useEffect(() => {
    if (backendUrl === null) return;
    let stale = false;
    const abort = new AbortController();
    (async () => {
      const session =
        name === null || color === null
          ? await currentSession(backendUrl, abort.signal)
          : await ensureSession(backendUrl, name, color, abort.signal);
      if (stale) return;
      if (session === "none") return setStatus({ kind: "no-sessions" });
      if (session === null) return setStatus({ kind: "signed-out" });
      // Signed in: the server's clientId is the one presence and ownership know.
      if (session.clientId !== clientId || session.name !== name || session.color !== color) onSession(session);
      setStatus({ kind: "signed-in", person: session });
    })().catch((error: unknown) => {
      if (!stale) setStatus({ kind: "failed", problem: error instanceof Error ? error.message : String(error) });
    });
    return () => {
      stale = true;
      abort.abort();
    };
  }, [backendUrl, name, color, clientId, onSession, round]);

  return { status, recheck };
}
