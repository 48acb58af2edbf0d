import type { Metadata } from "next";
import { Suspense } from "react";

import { BackendCommand } from "@/components/BackendCommand";
import { BoardFromQuery } from "@/components/BoardFromQuery";
import { BoardLoading } from "@/components/BoardLoading";
import { PhaseBookLinks } from "@/components/PhaseBookLinks";

export const metadata: Metadata = {
  title: "Phase 4 · The board",
};

const TIMELINE = `Ana's page                       the wire                          Bo's page
drag to Done: it moves at once ──▶ note_move {opId: a7, base: v3}
  (marked "saving…")            ◀── ack {opId: a7, seq: 12}
                                ◀── note.moved {seq: 12, opId: a7} ──▶ moves it too, toast
a7 leaves the pending list once event 12 is in the confirmed board`;

const CONFLICT = `v3  "Buy milk"         Ana edits text (base v3)   Bo edits text (base v3)
v4  "Buy oat milk"     ◀── Ana's lands first
    Bo's op:  text changed at v4 > base v3  ──▶ error version_conflict {current: v4}
    Bo's page: rolls his edit back, shows "Buy oat milk" and says why.`;

export default function BoardPhasePage() {
  return (
    <article className="space-y-8">
      <header className="space-y-2">
        <p className="text-sm font-medium text-indigo-700">Phase 4</p>
        <h1 className="text-3xl font-bold tracking-tight">The board: optimistic UI, ordering, idempotency</h1>
        <PhaseBookLinks number={4} />
      </header>

      <section className="max-w-2xl space-y-3 text-slate-700">
        <p>
          When you drag a note, it moves <strong>now</strong>. Waiting a round trip before anything happens feels
          broken, so the page applies your change to what it shows at once and tells the server afterwards. That
          is <strong>optimistic UI</strong>, and its price is bookkeeping: the page must remember which of its
          changes the server has not confirmed yet, and what to show if the server says no.
        </p>
        <p>
          The page keeps two things. The <strong>confirmed</strong> board is built only from what the server said: a
          snapshot, then the board&apos;s events applied strictly in <strong>sequence</strong> order (every accepted
          change gets the board&apos;s next number in its event log: an early event waits for the missing one, a
          repeated one is ignored, a hole that stays open means &ldquo;ask for a snapshot&rdquo;). The{" "}
          <strong>pending ops</strong> are your changes in the order you made them. What you see is the confirmed
          board with the pending ops re-applied on top, recomputed whenever either changes: a remote change
          &ldquo;rebases&rdquo; your pending ones for free, and a refused one simply leaves the list (the
          rollback).
        </p>
        <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          <code>{TIMELINE}</code>
        </pre>
        <p>
          <strong>Idempotency.</strong> Every op carries an <code>opId</code> the page chose. If the connection drops
          before the answer comes, the page cannot know whether the op was applied, so it sends the very same
          request again after reconnecting; the server answers a known <code>opId</code> with its first answer
          (<code>duplicate: true</code>) and never applies it twice.
        </p>
        <p>
          <strong>Conflicts.</strong> Each change names the note version it was made on. The server refuses it only
          if a field it changes (text, color, or place) changed after that version: a move and a text edit made at
          the same time both land, two text edits do not silently overwrite each other.
        </p>
        <p>
          <strong>Drafts.</strong> An open editor remembers the version and text it started from, and a save is based
          on that version. If someone else changes the text meanwhile (seen before you save, or refused by the server
          with <code>version_conflict</code>), nothing is overwritten: the editor shows both texts and you choose to
          keep yours, take theirs, or keep both (yours as a copy). A note deleted under your editor keeps your draft,
          which can come back as a new note.
        </p>
        <p>
          <strong>Undo.</strong> Ctrl/Cmd+Z does not rewind the board: it sends a <em>new</em> operation that reverses
          your last one, based on the version your action produced. If someone changed that note since, the server
          refuses the undo and you are told, instead of their change being overwritten.
        </p>
        <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
          <code>{CONFLICT}</code>
        </pre>
      </section>

      <Suspense fallback={<BoardLoading />}>
        <BoardFromQuery inspector />
      </Suspense>

      <section className="max-w-2xl space-y-2 text-slate-700">
        <h2 className="text-lg font-semibold text-slate-900">Try it</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>
            Tick <em>Hold my changes</em>, edit a note: it changes at once, marked <em>saving…</em>, and its op waits
            in the queue below. Untick it: the op goes, the ack and the event confirm it.
          </li>
          <li>
            Two windows, a conflict: in window A hold your changes and edit a note&apos;s text; in window B edit the
            same note&apos;s text. Release A: its op is refused with <code>version_conflict</code>, and A&apos;s editor
            comes back with both texts and the three choices.
          </li>
          <li>
            A delete while you edit: open a note&apos;s editor in A and type; delete the note in B. A keeps the draft
            as a ghost card, with <em>Restore as a new note</em>.
          </li>
          <li>
            Stop the backend, make changes (they queue, <em>waiting — offline</em>), even reload the page (the queue
            is kept in the browser): start the backend again and the ops go, each applied once.
          </li>
          <li>
            The <code>demo</code> board over HTTP: <BackendCommand path="/boards/demo" /> and every board:{" "}
            <BackendCommand path="/boards" />. Boards are private by default, so <code>curl</code>, which has no
            session, is answered 403 unless the backend runs with <code>--board-access open</code>.
          </li>
        </ul>
      </section>
    </article>
  );
}
