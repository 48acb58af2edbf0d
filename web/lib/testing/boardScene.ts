/**
 * A test scene for the board reducer: one client (the reducer) and the model server
 * (`boardTestServer.ts`), wired by hand so that each test picks the interleaving.
 */

import {
  boardReducer,
  boardView,
  buildRequest,
  initialBoardState,
  sendableOps,
  type BoardAction,
  type BoardState,
  type BoardEvent,
  type NoteEvent,
  type NoteIntent,
  type NoteOpRequest,
} from "../boardState";
import { ModelServer, type ModelOutcome } from "../boardTestServer";

export const BOARD = "demo";

/** One client (the reducer) and the model server, wired by hand so each test picks the interleaving. */
export class Scene {
  state: BoardState = initialBoardState(BOARD);
  readonly server = new ModelServer(BOARD);
  #ops = 0;
  #requests = 0;
  at = 100;

  dispatch(action: BoardAction): this {
    this.state = boardReducer(this.state, action);
    return this;
  }

  /** Starts synced on the server's current board. */
  sync(): this {
    return this.dispatch({ type: "snapshot", snapshot: this.server.snapshot(), at: this.tick() });
  }

  tick(): number {
    this.at += 1;
    return this.at;
  }

  /** The person does something; returns the op id. */
  /** A fresh op id (for actions other than `local`). */
  nextOp(): string {
    this.#ops += 1;
    return `op-${this.#ops}`;
  }

  act(intent: NoteIntent): string {
    this.#ops += 1;
    const opId = `op-${this.#ops}`;
    this.dispatch({ type: "local", opId, intent, author: "Ana", at: this.tick() });
    return opId;
  }

  /** Sends every sendable op; the server handles them in order; answers come back to the test. */
  send(): { requestId: string; request: NoteOpRequest; outcome: ModelOutcome }[] {
    return sendableOps(this.state, this.at).map((op) => {
      this.#requests += 1;
      const requestId = `r${this.#requests}`;
      const request = buildRequest(BOARD, op);
      this.dispatch({ type: "sent", opId: op.opId, requestId, request, at: this.tick() });
      return { requestId, request, outcome: this.server.handle(request) };
    });
  }

  answer({ requestId, outcome }: { requestId: string; outcome: ModelOutcome }): this {
    const { answer } = outcome;
    return answer.type === "ack"
      ? this.dispatch({ type: "ack", requestId, ack: answer.payload, at: this.tick() })
      : this.dispatch({ type: "error", requestId, error: answer.payload, at: this.tick() });
  }

  event(event: BoardEvent | null): this {
    if (!event) throw new Error("no event");
    return this.dispatch({ type: "event", event, at: this.tick() });
  }

  /** Someone else changes the board directly on the server; returns the broadcast. */
  remote(request: Parameters<ModelServer["handle"]>[0]): NoteEvent {
    const { event, answer } = this.server.handle(request);
    if (!event) throw new Error(`remote op refused: ${JSON.stringify(answer)}`);
    return event;
  }

  view() {
    return boardView(this.state);
  }
}

export const create = (noteId: string, text = "hello", column = "To do", order = 1): NoteIntent => ({
  kind: "create",
  noteId,
  text,
  color: "#fde68a",
  column,
  order,
});

export function bo(noteId: string, opId: string, baseVersion: number, change: { text?: string; color?: string; column?: string; delete?: true }) {
  const common = { board: BOARD, opId, noteId, baseVersion, author: "Bo" };
  if (change.delete) return { type: "note_delete", payload: common } as const;
  if (change.column !== undefined) return { type: "note_move", payload: { ...common, column: change.column, order: 5 } } as const;
  return { type: "note_update", payload: { ...common, ...change } } as const;
}

export function boCreate(noteId: string, text = "from Bo") {
  return {
    type: "note_create",
    payload: { board: BOARD, opId: `bo-${noteId}`, noteId, text, color: "#bfdbfe", column: "To do", order: 2, author: "Bo" },
  } as const;
}

