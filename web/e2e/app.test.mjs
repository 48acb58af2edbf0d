// The app around the phases: run-time configuration, links to the book, unknown addresses,
// the board named in the address, and the board list with many boards.

import assert from "node:assert/strict";
import { test } from "node:test";

import { BOOK_URL, OPEN_BOARDS, TIMEOUTS, createNotes, setupStack, waitForTestIdText } from "./harness.mjs";

// The board-list test creates more boards than one page holds, quickly, from one socket.
// The boards are made by a socket that does not sign in, and listed to a visitor who did
// not: every board open (this file is not about access).
const stack = setupStack({
  backendArgs: OPEN_BOARDS,
  backendEnv: {
    LIVEBOARD_BOARD_RATE_PER_SEC: "1000",
    LIVEBOARD_BOARD_RATE_BURST: "1000",
    LIVEBOARD_BOARD_RATE_PER_IP: "1000",
    LIVEBOARD_BOARD_RATE_PER_IP_BURST: "1000",
    LIVEBOARD_BOARD_RATE_PER_PERSON: "1000",
    LIVEBOARD_BOARD_RATE_PER_PERSON_BURST: "1000",
  },
});

test("GET /runtime-config answers the addresses given to `next start`, never cached", async () => {
  const response = await fetch(`${stack.web.url}/runtime-config`, { signal: AbortSignal.timeout(TIMEOUTS.ui) });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.deepEqual(await response.json(), { backendUrl: stack.backend.url, bookUrl: BOOK_URL });
});

test("every phase page links to its chapter of the book and to its exercises", async () => {
  const chapters = ["ch01-foundations", "ch02-sse", "ch03-websocket", "ch04-board", "ch05-hardening"];
  const page = await stack.newPage();
  for (const [i, chapter] of chapters.entries()) {
    await page.goto(`${stack.web.url}/phases/${i + 1}`);
    const links = page.getByRole("navigation", { name: "In the book" });
    // The address arrives from /runtime-config after the static page is drawn.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="book-chapter"]')?.getAttribute("href") !== null,
      null,
      { timeout: TIMEOUTS.ui },
    );
    assert.equal(await links.getByTestId("book-chapter").getAttribute("href"), `${BOOK_URL}/${chapter}.html`);
    assert.equal(await links.getByTestId("book-exercises").getAttribute("href"), `${BOOK_URL}/${chapter}.html#exercises`);
  }
  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await page.context().close();
});

test("an unknown address answers 404 inside the site, with a way back to the board", async () => {
  const page = await stack.newPage();
  for (const path of ["/phases/99", "/phases/4/more", "/no/such/page"]) {
    const response = await page.goto(`${stack.web.url}${path}`);
    assert.equal(response?.status(), 404, path);
    await page.getByRole("heading", { level: 1, name: "No page here" }).waitFor({ timeout: TIMEOUTS.ui });
    // Inside the app's layout: the header's navigation is there.
    await page.getByRole("navigation", { name: "Phases" }).waitFor({ timeout: TIMEOUTS.ui });
  }
  await page.getByRole("main").getByRole("link", { name: "the board", exact: true }).click();
  await page.waitForURL(`${stack.web.url}/`, { timeout: TIMEOUTS.ui });
  await page.getByRole("heading", { level: 1, name: "The board" }).waitFor({ timeout: TIMEOUTS.ui });
  await page.context().close();
});

test("an invalid ?board= says it is not a board name instead of opening demo; a valid one opens as asked", async () => {
  const page = await stack.newPage();
  for (const path of ["/", "/phases/4", "/phases/5"]) {
    await page.goto(`${stack.web.url}${path}?board=${encodeURIComponent("bad name!")}`);
    const message = "“bad name!” is not a board name: use 1–64 letters, digits, - or _";
    await page.getByRole("alert").filter({ has: page.getByText(message, { exact: true }) }).waitFor();
    assert.equal(await page.getByTestId("board-name").count(), 0, `${path} opened a board anyway`);
  }
  await page.getByRole("link", { name: "the demo board" }).click();
  await waitForTestIdText(page, "board-name", "demo");

  await page.goto(`${stack.web.url}/?board=team-7`);
  await waitForTestIdText(page, "board-name", "team-7");
  assert.equal(await page.getByTestId("board-name-error").count(), 0);
  await page.context().close();
});

/** `GET /boards` as the server orders it: `{ boards, next }`. */
async function boardPage(after) {
  const query = after ? `?limit=100&after=${encodeURIComponent(after)}` : "?limit=100";
  const response = await fetch(`${stack.backend.url}/boards${query}`, { signal: AbortSignal.timeout(TIMEOUTS.ui) });
  assert.equal(response.status, 200);
  return response.json();
}

test("the board list with more boards than a page: most recent first, a filter, Load more", async () => {
  const boards = Array.from({ length: 105 }, (_, i) => `many-${String(i).padStart(3, "0")}`);
  await createNotes(stack.backend.url, boards.map((board) => ({ board, text: `note on ${board}` })));
  // The server's order (most recently changed first; its own tests pin it down).
  const first = await boardPage(null);
  const second = await boardPage(first.next);
  assert.equal(second.next, null, "two pages in all");
  const updated = first.boards.map((b) => b.updatedAtMs);
  assert.deepEqual(updated, [...updated].sort((a, b) => b - a), "most recent first");

  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/?board=demo`);
  const items = page.getByTestId("board-list-item");
  await items.first().waitFor();
  assert.deepEqual(
    await items.allInnerTexts(),
    first.boards.filter((b) => b.board !== "demo").map((b) => `${b.board} (${b.notes})`),
    "the first page, in the server's order",
  );

  // One scroll region of its own, however many boards.
  const list = await page.getByTestId("board-list").evaluate((e) => ({ scroll: e.scrollHeight, client: e.clientHeight, overflow: getComputedStyle(e).overflowY }));
  assert.equal(list.overflow, "auto");
  assert.ok(list.client < 200 && list.scroll > list.client, `the list scrolls inside itself: ${JSON.stringify(list)}`);

  // The filter covers what is loaded: a board of the second page appears after "Load more".
  const later = second.boards[0].board;
  await page.getByTestId("board-picker-input").fill(later.toUpperCase());
  await page.getByText("No loaded board matches.").waitFor();
  await page.getByTestId("board-list-more").click();
  await waitForTestIdText(page, "board-list-item", `${later} (1)`);
  assert.equal(await items.count(), 1);
  assert.equal(await page.getByTestId("board-list-more").count(), 0, "no more pages");

  await items.click();
  await waitForTestIdText(page, "board-name", later);
  await page.context().close();
});
