"use client";

import { useCallback, useEffect, useState } from "react";

import { accessView, PRIVATE_MESSAGE, VIEW_ONLY_MESSAGE } from "@/lib/access";
import { defaultColor, PERSON_COLORS, presenceColors, type Identity } from "@/lib/presence";
import { useBoardAccess } from "@/lib/useBoardAccess";
import { useIdentity } from "@/lib/useIdentity";
import { useBackendUrl } from "@/lib/useRuntimeConfig";

import { BoardPicker } from "./BoardPicker";
import { BoardReadOnly } from "./BoardReadOnly";
import { BoardWorkspace } from "./BoardWorkspace";
import { SharePanel } from "./SharePanel";
import { SseIdentityForm } from "./SseIdentityForm";

export interface BoardProps {
  /** The board to open first (from `?board=`). */
  readonly initialBoard: string;
  /** Show the reducer's insides under the board, and "Hold my changes" (the phase 4 page). */
  readonly inspector?: boolean;
  /** Show the connection's controls and timeline under the board (the phase 5 page). */
  readonly hardening?: boolean;
}

/**
 * The board page's client side: who you are (phase 2's identity, kept in localStorage and
 * shared by your tabs, signed by the server as a session), which board, what you may do on
 * it (a private board you were not invited to, read-only, or yours to share), whether to
 * hold your changes (phase 4's page only), and the live board; before you join, the board
 * read-only.
 */
export function Board({ initialBoard, inspector = false, hardening = false }: BoardProps) {
  const [identity, saveIdentity] = useIdentity();
  const [board, setBoard] = useState(initialBoard);
  const [holdOutgoing, setHoldOutgoing] = useState(false);
  const [editingName, setEditingName] = useState(false);
  const newcomerColor = useNewcomerColor(board, identity === null);
  const backendUrl = useBackendUrl();
  const onSession = useCallback((person: Identity) => saveIdentity(person.name, person.color, person.clientId), [saveIdentity]);
  const { access, problem } = useBoardAccess(backendUrl, board, identity, onSession);
  const view = access ? accessView(access) : null;

  function pick(next: string) {
    setBoard(next);
    // Keep the address shareable: /?board=<name>.
    const url = new URL(window.location.href);
    url.searchParams.set("board", next);
    window.history.replaceState(null, "", url);
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-sm">
        <BoardPicker board={board} onPick={pick} />
        {identity && !editingName && (
          <div className="flex items-center gap-2 text-sm">
            <span aria-hidden className="inline-block h-3 w-3 rounded-full" style={{ backgroundColor: identity.color }} />
            <span data-testid="board-me">{identity.name}</span>
            <button type="button" onClick={() => setEditingName(true)} className="text-slate-500 underline hover:text-slate-800">
              change
            </button>
          </div>
        )}
        {inspector && (
          <label className="flex items-center gap-2 text-sm text-slate-700" title="Your changes show at once but are not sent: see them pending, then release them">
            <input type="checkbox" data-testid="board-hold" checked={holdOutgoing} onChange={(e) => setHoldOutgoing(e.target.checked)} />
            Hold my changes
          </label>
        )}
      </div>

      {(!identity || editingName) && (
        <div className="rounded-lg border border-indigo-200 bg-indigo-50/50 p-4">
          <p className="mb-3 text-sm text-slate-700">
            {identity ? "Change your name or color:" : "Pick a name and a color: the others see them on your notes and in the avatars."}
          </p>
          <SseIdentityForm
            key={identity?.clientId ?? "new"}
            identity={identity}
            defaultColor={newcomerColor}
            onSave={(name, color) => {
              saveIdentity(name, color);
              setEditingName(false);
            }}
          />
        </div>
      )}

      {problem && (
        <p role="alert" data-testid="board-access-problem" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
          Could not check your access to this board: {problem}
        </p>
      )}
      {!identity ? (
        <BoardReadOnly board={board} />
      ) : view === "private" ? (
        <p role="alert" data-testid="board-private" className="rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950">
          {PRIVATE_MESSAGE}
        </p>
      ) : view === null && problem === null ? (
        // Wait for the session: a socket opened before the cookie is set is nobody's.
        <p role="status" data-testid="board-access-checking" className="text-sm text-slate-700">
          Opening the board…
        </p>
      ) : (
        <>
          {view === "view" && (
            <p role="status" data-testid="board-view-only" className="rounded-md border border-sky-200 bg-sky-50 px-3 py-2 text-sm text-sky-950">
              {VIEW_ONLY_MESSAGE}
            </p>
          )}
          {access?.owner && access.mode === "private" && backendUrl !== null && <SharePanel key={board} backendUrl={backendUrl} board={board} />}
          <BoardWorkspace
            key={board}
            board={board}
            identity={identity}
            readOnly={view === "view"}
            holdOutgoing={inspector && holdOutgoing}
            inspector={inspector}
            hardening={hardening}
          />
        </>
      )}
    </div>
  );
}

/**
 * A color for someone about to join `board`, one nobody there uses yet when possible
 * (`defaultColor`), from `GET /boards/:board/presence`; asked only while `wanted`. `null`
 * until that answer (or its failure: then the palette's first color) is in for this board.
 */
function useNewcomerColor(board: string, wanted: boolean): string | null {
  const backendUrl = useBackendUrl();
  // Kept with the board it was worked out for: after a switch the old one is not offered.
  const [offer, setOffer] = useState<{ readonly board: string; readonly color: string } | null>(null);
  useEffect(() => {
    if (!wanted || backendUrl === null) return;
    const abort = new AbortController();
    fetch(`${backendUrl}/boards/${encodeURIComponent(board)}/presence`, { signal: abort.signal, cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .then(
        (json: unknown) => setOffer({ board, color: defaultColor(presenceColors(json)) }),
        () => {
          // unreachable backend: the first palette color is as good as any
          if (!abort.signal.aborted) setOffer({ board, color: PERSON_COLORS[0] });
        },
      );
    return () => abort.abort();
  }, [backendUrl, board, wanted]);
  return offer !== null && offer.board === board ? offer.color : null;
}
