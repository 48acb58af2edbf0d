/**
 * The board protocol on the client: encode requests, recognise server messages, match
 * answers to requests.
 *
 * The message *types* are not written here: they are generated from the Rust types
 * (`phases/3-websocket/src/board/protocol.rs` → `lib/generated/protocol.ts`), so client and server
 * cannot drift apart. What a type system cannot do is check what arrives over the wire, so
 * {@link serverEnvelopeOf} checks the envelope (`{ type, id?, payload }`, a known
 * `type`) before the rest of the app trusts it as a {@link ServerEnvelope}.
 *
 * **Parsed once.** A message's text is turned into JSON once, when it arrives
 * ({@link parseJson}, in `useWebSocket`); the inspector's columns ({@link envelopeHeader}),
 * this check and the board's (`boardMessages.ts`) all read that one value.
 *
 * **Requests and answers.** A request carries an `id` the client chose; the server's answer,
 * an `ack` (or `pong` for `ping`) on success or an `error`, carries the same `id`. With
 * several requests in flight, the id is the only way to know which one failed.
 * {@link PendingRequests} hands out ids and turns each answer into the settled promise of the
 * request that asked.
 *
 * Pure apart from timers (boardProtocol.test.ts).
 */

import {
  type ClientEnvelope,
  type ClientRequest,
  type ErrorPayload,
  type ServerEnvelope,
  type ServerEvent,
} from "./generated/protocol";

/** Every `type` the server sends, for checking messages at run time. */
export const SERVER_EVENT_TYPES = [
  "welcome",
  "ack",
  "error",
  "pong",
  "ready",
  "reset",
  "message",
  "presence.list",
  "presence.join",
  "presence.leave",
] as const satisfies readonly ServerEvent["type"][];

// If the Rust side adds an event type, this line stops compiling until the list above
// has it too: the run-time check cannot silently fall behind the generated types.
type Unlisted = Exclude<ServerEvent["type"], (typeof SERVER_EVENT_TYPES)[number]>;
const _everyServerTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void _everyServerTypeListed;

const KNOWN_TYPES: ReadonlySet<string> = new Set(SERVER_EVENT_TYPES);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A message's text as JSON, or `undefined` when it is not JSON (`JSON.parse` never returns
 * `undefined`, so the two cannot be confused).
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `type` and `id` of any JSON envelope, known or not (for the inspector's columns). */
export function envelopeHeader(json: unknown): { readonly type: string; readonly id: string | null } | null {
  if (!isRecord(json) || typeof json.type !== "string") return null;
  return { type: json.type, id: typeof json.id === "string" ? json.id : null };
}

/**
 * A server message (its parsed JSON) as a typed envelope, or `null` when it is not JSON, not
 * an envelope, or of a `type` this client does not know. Payload fields are the server's
 * business: they are generated from the same Rust types the server serialises.
 */
export function serverEnvelopeOf(json: unknown): ServerEnvelope | null {
  if (!isRecord(json) || typeof json.type !== "string" || !KNOWN_TYPES.has(json.type)) return null;
  if (json.id !== undefined && typeof json.id !== "string") return null;
  if (!isRecord(json.payload)) return null;
  return json as ServerEnvelope;
}

/** The JSON text of a request: `{ "id", "type", "payload" }` (no `id`: fire and forget). */
export function encodeRequest(request: ClientRequest, id?: string): string {
  const envelope: ClientEnvelope = id === undefined ? request : { id, ...request };
  return JSON.stringify(envelope);
}

/** A server event other than `error`: what a successful request is answered with. */
export type SuccessEvent = Exclude<ServerEvent, { type: "error" }>;

/** How the server answered a request. */
export type RequestResult =
  | { readonly ok: true; readonly event: SuccessEvent }
  | { readonly ok: false; readonly error: ErrorPayload };

/** The request id an envelope answers, and how; `null` for broadcasts (no `id`). */
export function replyOf(envelope: ServerEnvelope): { readonly id: string; readonly result: RequestResult } | null {
  if (envelope.id === undefined) return null;
  const result: RequestResult =
    envelope.type === "error" ? { ok: false, error: envelope.payload } : { ok: true, event: envelope };
  return { id: envelope.id, result };
}

/** Why a request got no answer: the connection ended, or the server took too long. */
export class RequestFailed extends Error {
  constructor(
    readonly id: string,
    message: string,
  ) {
    super(message);
    this.name = "RequestFailed";
  }
}

interface Waiter {
  readonly resolve: (result: RequestResult) => void;
  readonly reject: (error: RequestFailed) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests waiting for their answer. Ids are `"1"`, `"2"`, … for the lifetime of the object
 * (one hook), never reused, so a late answer on a new connection cannot settle the wrong
 * request.
 */
export class PendingRequests {
  #counter = 0;
  readonly #waiting = new Map<string, Waiter>();
  readonly #timeoutMs: number;

  /** @param timeoutMs how long a request may wait for its answer before it fails. */
  constructor(timeoutMs = 10_000) {
    this.#timeoutMs = timeoutMs;
  }

  /** A fresh request id. */
  nextId(): string {
    this.#counter += 1;
    return String(this.#counter);
  }

  /** How many requests are waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /** A promise for the answer to request `id`, failing after the timeout. */
  wait(id: string): Promise<RequestResult> {
    return new Promise<RequestResult>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(id, `no answer to request ${id} within ${this.#timeoutMs} ms`),
        this.#timeoutMs,
      );
      this.#waiting.set(id, { resolve, reject, timer });
    });
  }

  /** Settles the request `envelope` answers. Returns whether one was waiting. */
  settle(envelope: ServerEnvelope): boolean {
    const reply = replyOf(envelope);
    const waiter = reply && this.#waiting.get(reply.id);
    if (!reply || !waiter) return false;
    clearTimeout(waiter.timer);
    this.#waiting.delete(reply.id);
    waiter.resolve(reply.result);
    return true;
  }

  /** Fails request `id` (e.g. it could not be sent). */
  fail(id: string, reason: string): void {
    this.#fail(id, reason);
  }

  /** Fails every waiting request: the connection they were sent on is gone. */
  failAll(reason: string): void {
    for (const id of [...this.#waiting.keys()]) this.#fail(id, reason);
  }

  #fail(id: string, reason: string): void {
    const waiter = this.#waiting.get(id);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.#waiting.delete(id);
    waiter.reject(new RequestFailed(id, reason));
  }
}
