/**
 * Property tests of the optimistic reducer against the model server (boardTestServer.ts):
 * random local ops, random ops by other people, chat lines numbered between their events,
 * answers and events delivered in any order,
 * delivered twice, lost with the connection — and in the end the page must show exactly
 * what the server has.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  boardReducer,
  boardView,
  buildRequest,
  initialBoardState,
  sendableOps,
  snapshotWanted,
  type BoardAction,
  type BoardEvent,
  type BoardState,
  type NoteIntent,
  type NoteOpRequest,
} from "./boardState";
import { ModelServer } from "./boardTestServer";
import type { Note } from "./generated/board";

const BOARD = "demo";
/** Hundreds of simulated sessions take a second or two; allow for a busy CI machine. */
const PROPERTY_TIMEOUT_MS = 60_000;
const COLUMNS = ["To do", "Doing", "Done"] as const;
const COLORS = ["#fde68a", "#bfdbfe", "#FFC0CB"] as const;

/** A message on its way to the client: a reducer action without its time. */
type Inbound = BoardAction extends infer A ? (A extends { at: number } ? Omit<A, "at"> : never) : never;

type Step =
  | { readonly t: "local"; readonly kind: number; readonly pick: number; readonly text: string; readonly col: number; readonly order: number }
  | { readonly t: "remote"; readonly kind: number; readonly pick: number; readonly text: string; readonly col: number; readonly stale: number }
  | { readonly t: "send" }
  | { readonly t: "serve"; readonly n: number }
  | { readonly t: "deliver"; readonly pick: number }
  | { readonly t: "duplicate"; readonly pick: number }
  | { readonly t: "drop"; readonly applied: readonly boolean[] }
  | { readonly t: "chat" };

const text = fc.string({ maxLength: 10 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("local" as const), kind: fc.nat(3), pick: fc.nat(), text, col: fc.nat(2), order: fc.integer({ min: -5, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("remote" as const), kind: fc.nat(3), pick: fc.nat(), text, col: fc.nat(2), stale: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.constant({ t: "send" as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("serve" as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("duplicate" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("drop" as const), applied: fc.array(fc.boolean(), { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.constant({ t: "chat" as const }) },
);

/** One client and the server, with a request queue (in order) and an inbound queue (any order). */
class Simulation {
  state: BoardState = initialBoardState(BOARD);
  // A short text limit, so some ops are refused with `validation`.
  readonly server = new ModelServer(BOARD, { maxTextChars: 8 });
  readonly toServer: { requestId: string; request: NoteOpRequest | null }[] = [];
  toClient: Inbound[] = [];
  #now = 0;
  #ids = 0;

  constructor() {
    // The page's start-up: ask for a snapshot (the subscribe is implied).
    this.send();
  }

  dispatch(action: Inbound): void {
    this.#now += 1;
    this.state = boardReducer(this.state, { ...action, at: this.#now } as BoardAction);
    this.#checkInvariants();
  }

  #id(prefix: string): string {
    this.#ids += 1;
    return `${prefix}${this.#ids}`;
  }

  local(s: Extract<Step, { t: "local" }>): void {
    const notes = boardView(this.state).notes;
    const target = notes.length ? notes[s.pick % notes.length] : undefined;
    const column = COLUMNS[s.col]!;
    let intent: NoteIntent;
    if (!target || s.kind === 0) {
      intent = { kind: "create", noteId: this.#id("mine-"), text: s.text, color: COLORS[s.col]!, column, order: s.order };
    } else if (s.kind === 1) {
      intent = s.order % 2 === 0 ? { kind: "update", noteId: target.id, text: s.text } : { kind: "update", noteId: target.id, color: COLORS[s.col]! };
    } else if (s.kind === 2) {
      intent = { kind: "move", noteId: target.id, column, order: s.order };
    } else {
      intent = { kind: "delete", noteId: target.id };
    }
    this.dispatch({ type: "local", opId: this.#id("op-"), intent, author: "Ana" });
  }

  remote(s: Extract<Step, { t: "remote" }>): void {
    const notes = this.server.notes();
    const target = notes.length ? notes[s.pick % notes.length] : undefined;
    const common = { board: BOARD, opId: this.#id("bo-op-"), author: "Bo" };
    let request: NoteOpRequest;
    if (!target || s.kind === 0) {
      const noteId = this.#id("bo-");
      request = { type: "note_create", payload: { ...common, noteId, text: s.text, color: "#bfdbfe", column: COLUMNS[s.col]!, order: s.pick % 7 } };
    } else {
      const base = { ...common, noteId: target.id, baseVersion: Math.max(1, target.version - s.stale) };
      request =
        s.kind === 1
          ? { type: "note_update", payload: { ...base, text: s.text } }
          : s.kind === 2
            ? { type: "note_move", payload: { ...base, column: COLUMNS[s.col]!, order: s.pick % 5 } }
            : { type: "note_delete", payload: base };
    }
    const { event } = this.server.handle(request);
    if (event) this.toClient.push({ type: "event", event });
  }

  /** Someone chats on the board: a numbered `message` between the note events. */
  chat(): void {
    this.toClient.push({ type: "event", event: this.server.chat() });
  }

  /** What the hook does whenever the state changes: send what may go, ask for a snapshot when needed. */
  send(): void {
    if (snapshotWanted(this.state)) {
      const requestId = this.#id("r");
      this.dispatch({ type: "snapshot-requested", requestId });
      this.toServer.push({ requestId, request: null });
    }
    for (const op of sendableOps(this.state, Number.POSITIVE_INFINITY)) {
      const requestId = this.#id("r");
      const request = buildRequest(BOARD, op);
      this.dispatch({ type: "sent", opId: op.opId, requestId, request });
      this.toServer.push({ requestId, request });
    }
  }

  /** The server handles the oldest request; returns what it would send back. */
  #handle(): Inbound[] {
    const next = this.toServer.shift();
    if (!next) return [];
    if (next.request === null) return [{ type: "snapshot", requestId: next.requestId, snapshot: this.server.snapshot() }];
    const { answer, event } = this.server.handle(next.request);
    const reply: Inbound =
      answer.type === "ack"
        ? { type: "ack", requestId: next.requestId, ack: answer.payload }
        : { type: "error", requestId: next.requestId, error: answer.payload };
    return event ? [reply, { type: "event", event }] : [reply];
  }

  serve(n: number): void {
    for (let i = 0; i < n; i += 1) this.toClient.push(...this.#handle());
  }

  deliver(pick: number, keep = false): void {
    if (!this.toClient.length) return;
    const i = pick % this.toClient.length;
    const message = this.toClient[i]!;
    if (!keep) this.toClient.splice(i, 1);
    this.dispatch(message);
  }

  /** The connection drops: what was on its way to us is lost; requests may or may not have been applied. */
  drop(applied: readonly boolean[]): void {
    let i = 0;
    while (this.toServer.length) {
      if (applied[i % Math.max(1, applied.length)] ?? false) this.#handle();
      else this.toServer.shift();
      i += 1;
    }
    this.toClient = [];
    this.dispatch({ type: "connection-lost" });
    // Reconnect: subscribe with `since` = our position; the server replays what we missed.
    if (this.state.synced) {
      for (const event of this.server.eventsAfter(this.state.confirmed.seq)) this.toClient.push({ type: "event", event });
      this.toClient.push({ type: "resumed", recovered: true });
    }
  }

  run(s: Step): void {
    switch (s.t) {
      case "local":
        return this.local(s);
      case "remote":
        return this.remote(s);
      case "send":
        return this.send();
      case "serve":
        return this.serve(s.n);
      case "deliver":
        return this.deliver(s.pick);
      case "duplicate":
        return this.deliver(s.pick, true);
      case "drop":
        return this.drop(s.applied);
      case "chat":
        return this.chat();
    }
  }

  /** Everything sent, answered and delivered, in order, until nothing moves. */
  drain(): void {
    for (let round = 0; round < 100; round += 1) {
      this.send();
      this.serve(this.toServer.length);
      while (this.toClient.length) this.deliver(0);
      if (!this.toServer.length && !sendableOps(this.state, Number.POSITIVE_INFINITY).length && !snapshotWanted(this.state)) return;
    }
    throw new Error("the simulation did not settle");
  }

  #checkInvariants(): void {
    const { buffered, confirmed, pending } = this.state;
    for (let i = 0; i < buffered.length; i += 1) {
      if (this.state.synced && buffered[i]!.payload.seq <= confirmed.seq) throw new Error("buffered event at or below the applied seq");
      if (i > 0 && buffered[i]!.payload.seq <= buffered[i - 1]!.payload.seq) throw new Error("buffer out of order");
    }
    const seen = new Map<string, number>();
    pending.forEach((op, i) => {
      if (seen.has(op.opId)) throw new Error(`op ${op.opId} twice in pending`);
      seen.set(op.opId, i);
      if (op.after !== null) {
        const j = seen.get(op.after);
        if (j === undefined) throw new Error(`op ${op.opId} waits for ${op.after}, which is not an earlier pending op`);
        if (pending[j]!.intent.noteId !== op.intent.noteId) throw new Error("an op waits for an op on another note");
      }
    });
  }
}

const comparable = (notes: readonly Note[]) =>
  [...notes]
    .map(({ id, text: t, color, column, order, version, author }) => ({ id, text: t, color, column, order, version, author }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe("the optimistic reducer, against the model server", () => {
  it("whatever the interleaving of acks, events, duplicates and dropped connections, once everything is answered the view is the server's board", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 120 }), (steps) => {
        const sim = new Simulation();
        for (const s of steps) sim.run(s);
        sim.drain();
        expect(sim.state.pending).toEqual([]);
        expect(sim.state.buffered).toEqual([]);
        expect(sim.state.confirmed.seq).toBe(sim.server.seq);
        expect(comparable(boardView(sim.state).notes)).toEqual(comparable(sim.server.notes()));
        expect(boardView(sim.state).notes.every((n) => !n.pending)).toBe(true);
      }),
      { numRuns: 400 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("events delivered in any order, some twice, build the same board as in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.nat(3), pick: fc.nat(), text, col: fc.nat(2), stale: fc.constant(0) }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (ops, keys, dups) => {
          const sim = new Simulation();
          sim.drain(); // synced on the empty board
          for (const op of ops) {
            sim.remote({ t: "remote", ...op });
            if (op.pick % 3 === 0) sim.chat(); // a chat line takes a seq between note events
          }
          const events = sim.toClient.flatMap((m) => (m.type === "event" ? [m.event] : []));
          const copies: BoardEvent[] = [...events, ...(events.length ? dups.map((d) => events[d % events.length]!) : [])];
          const shuffled = copies
            .map((event, i) => ({ event, key: keys[i % Math.max(1, keys.length)] ?? i, i }))
            .sort((a, b) => a.key - b.key || a.i - b.i)
            .map((x) => x.event);
          let state = sim.state;
          for (const event of shuffled) state = boardReducer(state, { type: "event", event, at: 1 });
          expect(state.buffered).toEqual([]);
          expect(state.confirmed.seq).toBe(sim.server.seq);
          expect(comparable(Object.values(state.confirmed.notes))).toEqual(comparable(sim.server.notes()));
        },
      ),
      { numRuns: 300 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("a refused op leaves no trace: when the server refuses everything, the view returns to the confirmed board", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.constant("local" as const), kind: fc.nat(3), pick: fc.nat(), text, col: fc.nat(2), order: fc.integer({ min: -5, max: 5 }) }), { maxLength: 20 }),
        (steps) => {
          const sim = new Simulation();
          for (const s of ["a", "b", "c"]) sim.remote({ t: "remote", kind: 0, pick: 0, text: s, col: 0, stale: 0 });
          sim.drain();
          const before = comparable(boardView(sim.state).notes);
          for (const s of steps) sim.local(s);
          // Answer every send with a refusal, until nothing is left to send.
          for (let round = 0; round < 50 && sim.state.pending.length; round += 1) {
            for (const op of sendableOps(sim.state, Number.POSITIVE_INFINITY)) {
              sim.dispatch({ type: "sent", opId: op.opId, requestId: `x-${op.opId}`, request: buildRequest(BOARD, op) });
              sim.dispatch({ type: "error", requestId: `x-${op.opId}`, error: { code: "validation", message: "no", opId: op.opId } });
            }
          }
          expect(sim.state.pending).toEqual([]);
          expect(comparable(boardView(sim.state).notes)).toEqual(before);
          const refused = sim.state.notices.filter((n) => n.kind === "rejected").length;
          expect(refused).toBeLessThanOrEqual(steps.length);
        },
      ),
      { numRuns: 200 },
    );
  }, PROPERTY_TIMEOUT_MS);
});
