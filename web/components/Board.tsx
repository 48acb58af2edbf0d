"use client";

import { useEffect, useState } from "react";

import { defaultColor, PERSON_COLORS, presenceColors } from "@/lib/presence";
import { useIdentity } from "@/lib/useIdentity";
import { useBackendUrl } from "@/lib/useRuntimeConfig";

import { BoardPicker } from "./BoardPicker";
import { BoardReadOnly } from "./BoardReadOnly";
import { BoardWorkspace } from "./BoardWorkspace";
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
 * shared by your tabs), which board, whether to hold your changes (phase 4's page only), and
 * the live board; before you join, the board read-only.
 */
export function Board({ initialBoard, inspector = false, hardening = false }: BoardProps) {
  const [identity, saveIdentity] = useIdentity();
  const [board, setBoard] = useState(initialBoard);
  const [holdOutgoing, setHoldOutgoing] = useState(false);
  const [editingName, setEditingName] = useState(false);
  const newcomerColor = useNewcomerColor(board, identity === null);

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

      {identity ? (
        <BoardWorkspace key={board} board={board} identity={identity} holdOutgoing={inspector && holdOutgoing} inspector={inspector} hardening={hardening} />
      ) : (
        <BoardReadOnly board={board} />
      )}
    </div>
  );
}

/**
 * A color for someone about to join `board`, one nobody there uses yet when possible
 * (`defaultColor`), from `GET /boards/:board/presence`; asked only while `wanted`.
 */
function useNewcomerColor(board: string, wanted: boolean): string {
  const backendUrl = useBackendUrl();
  const [color, setColor] = useState<string>(PERSON_COLORS[0]);
  useEffect(() => {
    if (!wanted || backendUrl === null) return;
    const abort = new AbortController();
    fetch(`${backendUrl}/boards/${encodeURIComponent(board)}/presence`, { signal: abort.signal, cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .then(
        (json: unknown) => setColor(defaultColor(presenceColors(json))),
        () => {
          // unreachable backend: the first palette color is as good as any
        },
      );
    return () => abort.abort();
  }, [backendUrl, board, wanted]);
  return color;
}
