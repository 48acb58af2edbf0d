// What the board's end-to-end tests do with a page, written once: join a board as a person,
// find a column or a note, add and edit notes, wait for the server to confirm one, and keep
// evidence (screenshots, the backend's log) when a step fails.

import { screenshot, waitForTestIdText } from "./harness.mjs";

/**
 * Goes to `path?board=…` on `page`, joins as `name` and waits until the board shows the
 * person; with `live` (the default) also until the connection is live.
 */
export async function joinOn(stack, page, name, { path = "/phases/4", board, live = true } = {}) {
  await page.goto(`${stack.web.url}${path}${board === undefined ? "" : `?board=${board}`}`);
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
  await waitForTestIdText(page, "board-me", name);
  if (live) await waitForTestIdText(page, "board-connection", "live");
  return page;
}

/** {@link joinOn} in a fresh browser context. */
export async function joinBoard(stack, name, options) {
  return joinOn(stack, await stack.newPage(), name, options);
}

/** The column called `name`. */
export function column(page, name) {
  return page.locator(`[data-testid="board-column"][data-column="${name}"]`);
}

/** The notes showing exactly `text` (in `columnName`, if given). */
export function note(page, text, columnName) {
  const scope = columnName ? column(page, columnName) : page;
  return scope.getByTestId("note").filter({ has: page.getByTestId("note-text").getByText(text, { exact: true }) });
}

/** Waits until the note showing `text` is confirmed by the server (no pending mark). */
export async function confirmed(page, text, columnName) {
  await note(page, text, columnName).and(page.locator('[data-pending="false"]')).waitFor();
}

/** Types `text` into `columnName`'s composer and presses Enter. */
export async function addNote(page, columnName, text) {
  const input = column(page, columnName).getByTestId("note-composer-input");
  await input.fill(text);
  await input.press("Enter");
}

/** Opens the editor of the note showing `from` and types `to`, without saving. */
export async function typeInEditor(page, from, to) {
  await note(page, from).getByTestId("note-edit").click();
  await page.getByTestId("note-edit-text").fill(to);
}

/** Changes the text of the note showing `from` to `to` and saves. */
export async function editText(page, from, to) {
  await typeInEditor(page, from, to);
  await page.getByTestId("note-save").click();
}

/**
 * Runs `body`; on failure, saves a screenshot of each page (named `prefix-name-i`) and adds
 * the backend's log to the error.
 */
export async function withEvidence(stack, prefix, name, pages, body) {
  try {
    await body();
  } catch (error) {
    const shots = await Promise.all(pages.map((p, i) => screenshot(p, `${prefix}-${name}-${i}`)));
    error.message += `\nscreenshots: ${shots.join(", ")}\n${stack.backend.logs()}`;
    throw error;
  }
}
