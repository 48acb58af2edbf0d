/**
 * Offline work survives a reload: what the browser keeps of a board, and how it comes back.
 *
 * A person edits on a train, the link is down, the tab reloads. Without this, every change
 * waiting for the server is gone. So, per board, the page keeps in `localStorage`
 * (`liveboard:board:<name>`):
 *
 * - the **pending ops**, each with its `opId` and the exact request it was (or will be)
 *   sent as. After the reload they are queued and sent again *unchanged*: if the server had
 *   applied one before the reload, it answers the same `opId` with its first `ack`
 *   (`duplicate: true`) and applies nothing twice — the idempotency of phase 4's protocol
 *   is what makes a resend after a reload safe;
 * - the **open drafts**, with their base version (an edit is still based on what it started from);
 * - the **last confirmed board** (notes, `seq`, position): shown, marked "offline — last
 *   known board", until the server's snapshot replaces it.
 *
 * The functions here are pure ({@link persistable}, {@link restoreBoardState}); the hook
 * (`useBoard.ts`) does the reading and writing, and survives a browser without storage
 * (server rendering, private mode, a full quota).
 */

import type { ConfirmedBoard, BoardState, Draft, PendingOp, RestoredBoard } from "./boardState";

/** Bumped when the saved shape changes: an older save is ignored rather than misread. */
export const PERSISTENCE_VERSION = 1;

/** The `localStorage` key of a board. */
export function storageKey(board: string): string {
  return `liveboard:board:${board}`;
}

/** What is written, as JSON. */
export interface SavedBoard extends RestoredBoard {
  readonly v: typeof PERSISTENCE_VERSION;
  readonly board: string;
}

// ANCHOR: persistable
/** The part of the state worth a reload: ops in flight are saved as queued (they will be sent again). */
export function persistable(state: BoardState): SavedBoard {
  return {
    v: PERSISTENCE_VERSION,
    board: state.board,
    confirmed: state.confirmed,
    pending: state.pending.map((op) => (op.status === "sent" ? { ...op, status: "queued", requestId: null } : op)),
    drafts: state.drafts,
  };
}
// ANCHOR_END: persistable

/** Whether the board has anything worth keeping (nothing saved for a board never seen). */
export function worthSaving(saved: SavedBoard): boolean {
  return saved.pending.length > 0 || Object.keys(saved.drafts).length > 0 || saved.confirmed.position !== null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isConfirmed(value: unknown): value is ConfirmedBoard {
  return isRecord(value) && isRecord(value.notes) && typeof value.seq === "number" && (value.position === null || typeof value.position === "string");
}

function isOp(value: unknown): value is PendingOp {
  return (
    isRecord(value) &&
    typeof value.opId === "string" &&
    isRecord(value.intent) &&
    typeof value.intent.noteId === "string" &&
    typeof value.author === "string" &&
    typeof value.baseVersion === "number" &&
    (value.after === null || typeof value.after === "string")
  );
}

function isDraft(value: unknown): value is Draft {
  return isRecord(value) && typeof value.noteId === "string" && typeof value.text === "string" && isRecord(value.base) && typeof value.base.version === "number";
}

// ANCHOR: restore_board_state
/**
 * What a previous page saved for `board`, checked (it may be from an older version of the
 * page, or edited by hand), or `null`. Ops come back queued, never "sent": whatever was in
 * flight is sent again, with the same `opId`.
 */
export function restoreBoardState(board: string, saved: unknown): RestoredBoard | null {
  if (!isRecord(saved) || saved.v !== PERSISTENCE_VERSION || saved.board !== board) return null;
  if (!isConfirmed(saved.confirmed) || !Array.isArray(saved.pending) || !isRecord(saved.drafts)) return null;
  const pending = saved.pending.filter(isOp).map((op): PendingOp => (op.status === "sent" ? { ...op, status: "queued", requestId: null } : op));
  const opIds = new Set(pending.map((op) => op.opId));
  const drafts: Record<string, Draft> = {};
  for (const draft of Object.values(saved.drafts).filter(isDraft)) {
    // A save whose op did not survive is an open editor again.
    drafts[draft.noteId] = draft.saving !== null && !opIds.has(draft.saving) ? { ...draft, saving: null } : draft;
  }
  return { confirmed: saved.confirmed, pending, drafts };
}
// ANCHOR_END: restore_board_state
