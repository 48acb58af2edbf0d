/**
 * Latency from the moment the page sent a change to its arrival on a transport.
 *
 * The page sends chat lines (`POST /boards/:board/messages`) and learns each one's
 * sequence number from the answer; every transport reports arrivals by sequence number.
 * A fast transport (a WebSocket, say) can deliver an event *before* the `POST`'s answer
 * has come back, so an arrival whose sequence number is not known yet is kept until it
 * is. Only events this run sent are timed: the board's other events are ignored.
 */

/** A timed arrival. */
export interface Timed<T extends string> {
  readonly transport: T;
  readonly seq: number;
  readonly latencyMs: number;
}

/** How many sends and early arrivals are remembered (older ones are forgotten). */
export const REMEMBERED = 2_000;

export class LatencyClock<T extends string> {
  readonly #sentAt = new Map<number, number>(); // send number → when sent
  readonly #seqSentAt = new Map<number, number>(); // seq → when sent
  readonly #early = new Map<number, { transport: T; at: number }[]>(); // seq → arrivals before the answer

  /** Send number `n` left the page at `at` (ms, one clock for the whole page). */
  sent(n: number, at: number): void {
    this.#sentAt.set(n, at);
    trim(this.#sentAt);
  }

  /** Send `n`'s answer named its sequence number: the arrivals that were waiting for it. */
  answered(n: number, seq: number): Timed<T>[] {
    const at = this.#sentAt.get(n);
    this.#sentAt.delete(n);
    if (at === undefined) return [];
    this.#seqSentAt.set(seq, at);
    trim(this.#seqSentAt);
    const early = this.#early.get(seq) ?? [];
    this.#early.delete(seq);
    return early.map((e) => ({ transport: e.transport, seq, latencyMs: e.at - at }));
  }

  /** Event `seq` arrived on `transport` at `at`: timed now, or kept until its send is known. */
  arrived(transport: T, seq: number, at: number): Timed<T> | null {
    const sentAt = this.#seqSentAt.get(seq);
    if (sentAt !== undefined) return { transport, seq, latencyMs: at - sentAt };
    // Not (yet) one of ours: keep it while a send is still unanswered, in case it is.
    if (this.#sentAt.size === 0) return null;
    const list = this.#early.get(seq) ?? [];
    list.push({ transport, at });
    this.#early.set(seq, list);
    trim(this.#early);
    return null;
  }
}

function trim<K, V>(map: Map<K, V>): void {
  while (map.size > REMEMBERED) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}

/** The sequence number of a position `<epoch>-<seq>`, or `null`. */
export function seqOfPosition(position: string): number | null {
  const dash = position.lastIndexOf("-");
  const seq = Number(position.slice(dash + 1));
  return dash > 0 && Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}
