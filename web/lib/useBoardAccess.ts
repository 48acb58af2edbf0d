"use client";

/**
 * The board page's session and access, in order: make sure the server signed our session
 * (signing in with the stored name and color if it did not: a restart of an in-memory
 * server, or a name chosen before sessions existed), join with `?invite=` if the address
 * has one (then drop it from the address: it is a secret), then ask what we may do — and
 * on a private server, a board we may edit but do not own may be nobody's yet: claim it
 * (`POST /boards`), so that its owner sees the share panel from the first visit.
 */

import { useCallback, useEffect, useState } from "react";

import { claimBoard, ensureSession, fetchAccess, joinBoard, type BoardAccess } from "./access";
import type { Identity } from "./presence";

export interface BoardAccessState {
  /** `null` while asking (or before signing in). */
  readonly access: BoardAccess | null;
  /** Why the last step failed, in words. */
  readonly problem: string | null;
  /** Ask again (after a link was revoked, say). */
  readonly refresh: () => void;
}

export function useBoardAccess(
  backendUrl: string | null,
  board: string,
  identity: Identity | null,
  onSession: (person: Identity) => void,
): BoardAccessState {
  const [access, setAccess] = useState<BoardAccess | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  const name = identity?.name ?? null;
  const color = identity?.color ?? null;
  const clientId = identity?.clientId ?? null;

  useEffect(() => {
    if (backendUrl === null || name === null || color === null) return;
    let stale = false;
    const abort = new AbortController();
    (async () => {
      const session = await ensureSession(backendUrl, name, color, abort.signal);
      if (session === "none") throw new Error("This backend has no sessions (GET /session is 404): start the full backend for boards.");
      if (stale) return;
      if (session.clientId !== clientId) onSession(session);
      const url = new URL(window.location.href);
      const invite = url.searchParams.get("invite");
      if (invite !== null) {
        await joinBoard(backendUrl, board, invite);
        url.searchParams.delete("invite");
        window.history.replaceState(null, "", url);
      }
      let next = await fetchAccess(backendUrl, board, abort.signal);
      if (next.mode === "private" && next.role === "edit" && !next.owner && (await claimBoard(backendUrl, board))) {
        next = await fetchAccess(backendUrl, board, abort.signal);
      }
      if (stale) return;
      setAccess(next);
      setProblem(null);
    })().catch((error: unknown) => {
      if (!stale) setProblem(error instanceof Error ? error.message : String(error));
    });
    return () => {
      stale = true;
      abort.abort();
    };
  }, [backendUrl, board, name, color, clientId, onSession, round]);

  return { access, problem, refresh };
}
