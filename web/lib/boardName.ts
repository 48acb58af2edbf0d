/**
 * Board names, as the server accepts them (`board_name.rs`): 1–64 of `A-Z a-z 0-9 _ -`.
 *
 * The board a page opens comes from its address (`?board=`). An absent name opens the
 * `demo` board; a name the server would refuse is said to be wrong, never quietly replaced
 * by `demo` (the person would edit a board they did not ask for). Pure (boardName.test.ts).
 */

/** The board a page opens when its address names none. */
export const DEFAULT_BOARD = "demo";

/** The rule, in words, for messages. */
export const BOARD_NAME_RULE = "use 1–64 letters, digits, - or _";

/** Whether `name` is a board name the server accepts. */
export function isBoardName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}

/** What a page's `?board=` asks for: a board to open, or a name that is not one. */
export type BoardQuery =
  | { readonly kind: "board"; readonly board: string }
  | { readonly kind: "invalid"; readonly name: string; readonly message: string };

/** Reads `?board=` (its first value when repeated); absent means {@link DEFAULT_BOARD}. */
export function boardQuery(value: string | readonly string[] | null | undefined): BoardQuery {
  const name = typeof value === "string" ? value : value?.[0];
  if (name === undefined || name === null) return { kind: "board", board: DEFAULT_BOARD };
  if (isBoardName(name)) return { kind: "board", board: name };
  return { kind: "invalid", name, message: `“${name}” is not a board name: ${BOARD_NAME_RULE}` };
}
