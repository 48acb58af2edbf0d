/**
 * Signed sessions and board access, as the backend serves them (phase 4's `identity.rs`,
 * `access_routes.rs`; the book's security chapter).
 *
 * - `POST /session {name, color}` signs in: the answer sets an `HttpOnly` cookie the page
 *   never sees, and says who we are (`{clientId, name, color}`). Every request that must
 *   carry the cookie is sent with `credentials: "include"` (the backend is another origin
 *   of the same site; it allows credentials to the web app's origin only).
 * - `GET /boards/:board/access` says what we may do on a board: on a private server,
 *   `role` is `null` for a board we were not invited to, `view` for a read-only member.
 * - The owner makes share links (`edit` or `view`), lists and revokes them; opening
 *   `?board=…&invite=<token>` joins with one.
 *
 * Parsing is pure (access.test.ts); the rest is `fetch`.
 */

import type { Identity } from "./presence";

/** What a share link grants. */
export type Role = "edit" | "view";

/** `GET /boards/:board/access`. */
export interface BoardAccess {
  readonly board: string;
  readonly mode: "private" | "open";
  readonly role: Role | null;
  readonly owner: boolean;
  readonly signedIn: boolean;
}

/** A share link, as its owner sees it. */
export interface ShareLink {
  readonly id: string;
  readonly token: string;
  readonly role: Role;
  /** Path and query of the page that joins with it, e.g. `/phases/4?board=b&invite=…`. */
  readonly url: string;
}

/** The message for someone who may not see a board (the server's words). */
export const PRIVATE_MESSAGE = "This board is private — ask its owner for a link.";
/** The message for a view-only member. */
export const VIEW_ONLY_MESSAGE = "You can view this board but not change it.";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRole(value: unknown): value is Role {
  return value === "edit" || value === "view";
}

/** A person from `POST`/`GET /session`, or `null`. */
export function parseSession(json: unknown): Identity | null {
  if (!isRecord(json)) return null;
  const { clientId, name, color } = json;
  if (typeof clientId !== "string" || typeof name !== "string" || typeof color !== "string") return null;
  return { clientId, name, color };
}

/** A `GET /boards/:board/access` body, or `null`. */
export function parseAccess(json: unknown): BoardAccess | null {
  if (!isRecord(json)) return null;
  const { board, mode, role, owner, signedIn } = json;
  if (typeof board !== "string" || (mode !== "private" && mode !== "open")) return null;
  if (role !== null && !isRole(role)) return null;
  if (typeof owner !== "boolean" || typeof signedIn !== "boolean") return null;
  return { board, mode, role, owner, signedIn };
}

/** A share link from JSON, or `null`. */
export function parseLink(json: unknown): ShareLink | null {
  if (!isRecord(json)) return null;
  const { id, token, role, url } = json;
  if (typeof id !== "string" || typeof token !== "string" || !isRole(role) || typeof url !== "string") return null;
  return { id, token, role, url };
}

/** What the board page shows for an access answer. */
export type AccessView = "edit" | "view" | "private";

/** `private` when we may not see the board, `view` when we may only read it. */
export function accessView(access: BoardAccess): AccessView {
  if (access.mode === "open") return "edit";
  return access.role ?? "private";
}

/** The link's full address on this site (`origin` is the web app's). */
export function linkAddress(origin: string, link: ShareLink): string {
  return new URL(link.url, origin).toString();
}

/** The server's `error.message`, else the status. */
async function failure(response: Response, what: string): Promise<Error> {
  try {
    const json: unknown = await response.json();
    if (isRecord(json) && isRecord(json.error) && typeof json.error.message === "string") return new Error(json.error.message);
  } catch {
    // not JSON: the status says enough
  }
  return new Error(`${what} answered ${response.status}`);
}

async function send(backendUrl: string, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
  const response = await fetch(`${backendUrl}${path}`, {
    method,
    credentials: "include",
    cache: "no-store",
    signal,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response, `${method} ${path}`);
  return response.status === 204 ? null : response.json();
}

/** Signs in (or renames: the id is kept); the server's view of who we are. */
export async function signIn(backendUrl: string, name: string, color: string): Promise<Identity> {
  const person = parseSession(await send(backendUrl, "POST", "/session", { name: name.trim(), color: color.toLowerCase() }));
  if (!person) throw new Error("POST /session did not answer a person");
  return person;
}

/**
 * What the server says about our session (`GET /session`): `none` when it has no sessions
 * at all (phase 2 or 3 on its own: no such route, a name is believed as sent), else the
 * person the cookie proves, or `null` when we have no valid cookie.
 */
export async function currentSession(backendUrl: string, signal?: AbortSignal): Promise<Identity | null | "none"> {
  const response = await fetch(`${backendUrl}/session`, { credentials: "include", cache: "no-store", signal });
  if (response.status === 404) return "none";
  if (response.status === 401) return null;
  if (!response.ok) throw await failure(response, "GET /session");
  return parseSession(await response.json());
}

/**
 * Makes sure the server's session says `name` and `color` (signing in, or renaming: the id is
 * kept), and returns that person; `"none"` when the server has no sessions.
 */
export async function ensureSession(backendUrl: string, name: string, color: string, signal?: AbortSignal): Promise<Identity | "none"> {
  const session = await currentSession(backendUrl, signal);
  if (session === "none") return session;
  if (session !== null && session.name === name && session.color === color) return session;
  return signIn(backendUrl, name, color);
}

/** What we may do on `board`. */
export async function fetchAccess(backendUrl: string, board: string, signal?: AbortSignal): Promise<BoardAccess> {
  const access = parseAccess(await send(backendUrl, "GET", `/boards/${encodeURIComponent(board)}/access`, undefined, signal));
  if (!access) throw new Error("GET /boards/:board/access did not answer an access description");
  return access;
}

/**
 * Makes `board` ours if nobody owns it yet (`POST /boards`): `true` if it is ours now,
 * `false` if it belongs to someone else (we may be an edit member of it).
 */
export async function claimBoard(backendUrl: string, board: string): Promise<boolean> {
  const response = await fetch(`${backendUrl}/boards`, {
    method: "POST",
    credentials: "include",
    cache: "no-store",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ board }),
  });
  if (response.status === 409) return false;
  if (!response.ok) throw await failure(response, "POST /boards");
  return true;
}

/** Joins `board` with a link's token; the role it grants. */
export async function joinBoard(backendUrl: string, board: string, token: string): Promise<Role> {
  const json = await send(backendUrl, "POST", `/boards/${encodeURIComponent(board)}/join`, { token });
  const role = isRecord(json) ? json.role : null;
  if (!isRole(role)) throw new Error("POST /boards/:board/join did not answer a role");
  return role;
}

/** The owner's links. */
export async function listLinks(backendUrl: string, board: string, signal?: AbortSignal): Promise<readonly ShareLink[]> {
  const json = await send(backendUrl, "GET", `/boards/${encodeURIComponent(board)}/links`, undefined, signal);
  const links = isRecord(json) && Array.isArray(json.links) ? json.links : [];
  return links.map(parseLink).filter((l): l is ShareLink => l !== null);
}

/** A new link granting `role`. */
export async function createLink(backendUrl: string, board: string, role: Role): Promise<ShareLink> {
  const link = parseLink(await send(backendUrl, "POST", `/boards/${encodeURIComponent(board)}/links`, { role }));
  if (!link) throw new Error("POST /boards/:board/links did not answer a link");
  return link;
}

/** Revokes link `id` (its members lose the board). */
export async function revokeLink(backendUrl: string, board: string, id: string): Promise<void> {
  await send(backendUrl, "DELETE", `/boards/${encodeURIComponent(board)}/links/${encodeURIComponent(id)}`);
}
