/**
 * Presence on a board, as the phase 2 event stream describes it.
 *
 * The server sends the full list once per connection (`presence.list`), then diffs
 * (`presence.join`, an upsert keyed by `clientId`; `presence.leave`). Several tabs of one
 * browser share one `clientId`, so they are one person: the server only says `join` for
 * the first tab and `leave` for the last. A reconnection brings a fresh `presence.list`,
 * which replaces whatever we had — no replay of old diffs is needed.
 *
 * Everything here is pure (and unit-tested in presence.test.ts).
 */

/** One person on the board (the JSON shape the server sends). */
export interface Person {
  readonly clientId: string;
  readonly name: string;
  /** `#rrggbb`, lower-case. */
  readonly color: string;
}

/** What can happen to the list. */
export type PresenceAction =
  | { readonly type: "list"; readonly people: readonly Person[] }
  | { readonly type: "join"; readonly person: Person }
  | { readonly type: "leave"; readonly clientId: string };

/** Applies one event to the list. People stay in order of arrival. */
export function presenceReducer(state: readonly Person[], action: PresenceAction): readonly Person[] {
  switch (action.type) {
    case "list":
      return action.people;
    case "join": {
      const i = state.findIndex((p) => p.clientId === action.person.clientId);
      if (i === -1) return [...state, action.person];
      return state.map((p, j) => (j === i ? action.person : p));
    }
    case "leave":
      return state.filter((p) => p.clientId !== action.clientId);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A person from untrusted JSON, or `null`. */
export function toPerson(value: unknown): Person | null {
  if (!isRecord(value)) return null;
  const { clientId, name, color } = value;
  if (typeof clientId !== "string" || typeof name !== "string" || typeof color !== "string") return null;
  return { clientId, name, color };
}

/**
 * Turns one stream event (its name and its `data` text) into an action, or `null` if it is
 * not a presence event or its data is malformed (a bad message must not break the page).
 */
export function presenceAction(event: string, data: string): PresenceAction | null {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(json)) return null;
  switch (event) {
    case "presence.list": {
      if (!Array.isArray(json.people)) return null;
      const people = json.people.map(toPerson).filter((p): p is Person => p !== null);
      return { type: "list", people };
    }
    case "presence.join": {
      const person = toPerson(json);
      return person && { type: "join", person };
    }
    case "presence.leave":
      return typeof json.clientId === "string" ? { type: "leave", clientId: json.clientId } : null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------
// Identity: who this browser is (kept in localStorage, shared by its tabs).

/** What the browser remembers about its user. */
export interface Identity {
  /** Chosen once per browser; the server groups tabs by it. */
  readonly clientId: string;
  readonly name: string;
  readonly color: string;
}

/** The server's limit (`presence.rs`): 1 to 32 characters after trimming. */
export const MAX_NAME_CHARS = 32;

/** Why a name is refused, or `null` if the server will accept it. */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  const chars = [...trimmed].length;
  if (chars === 0) return "Pick a name.";
  if (chars > MAX_NAME_CHARS) return `At most ${MAX_NAME_CHARS} characters.`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) return "No control characters.";
  return null;
}

/** Whether `color` is `#rrggbb`. */
export function isColor(color: string): boolean {
  return /^#[0-9a-fA-F]{6}$/.test(color);
}

/** A new client id: 32 hex digits from the browser's CSPRNG (works outside HTTPS too). */
export function newClientId(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return Array.from(random(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Parses what `localStorage` holds, or `null` if absent or invalid. */
export function parseIdentity(raw: string | null): Identity | null {
  if (!raw) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const person = toPerson(json);
  if (!person || !/^[A-Za-z0-9_-]{1,64}$/.test(person.clientId)) return null;
  if (nameProblem(person.name) !== null || !isColor(person.color)) return null;
  return person;
}

/** The query string that tells the server who this stream belongs to. */
export function identityQuery(identity: Identity): string {
  return new URLSearchParams({
    clientId: identity.clientId,
    name: identity.name.trim(),
    color: identity.color.toLowerCase(),
  }).toString();
}

/** The colors offered to a new person: far apart, and dark enough for white text (at least 4.5:1). */
export const PERSON_COLORS = ["#4f46e5", "#be185d", "#047857", "#b45309", "#0369a1", "#7c3aed", "#b91c1c", "#0f766e", "#3f6212", "#a21caf"] as const;

/**
 * A default color for someone about to join a board where `taken` colors are in use: one of
 * {@link PERSON_COLORS} nobody has yet, at random among those (two people joining at the
 * same moment rarely get the same), or any of them at random when all are taken.
 * `random` is uniform in [0, 1).
 */
export function defaultColor(taken: readonly string[], random: () => number = Math.random): string {
  const used = new Set(taken.map((c) => c.toLowerCase()));
  const free = PERSON_COLORS.filter((c) => !used.has(c));
  const choices: readonly string[] = free.length > 0 ? free : PERSON_COLORS;
  return choices[Math.min(choices.length - 1, Math.floor(random() * choices.length))]!;
}

/** The colors of the people in a `GET /boards/:board/presence` body (none when it is not one). */
export function presenceColors(json: unknown): readonly string[] {
  if (!isRecord(json) || !Array.isArray(json.people)) return [];
  return json.people.map(toPerson).flatMap((p) => (p ? [p.color] : []));
}
