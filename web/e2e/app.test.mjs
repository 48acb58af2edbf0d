// The app around the phases: run-time configuration, links to the book, unknown addresses.

import assert from "node:assert/strict";
import { test } from "node:test";

import { BOOK_URL, TIMEOUTS, setupStack } from "./harness.mjs";

const stack = setupStack();

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
  const response = await page.goto(`${stack.web.url}/phases/99`);
  assert.equal(response?.status(), 404);
  await page.getByRole("heading", { level: 1, name: "No page here" }).waitFor({ timeout: TIMEOUTS.ui });
  await page.getByRole("navigation", { name: "Phases" }).waitFor({ timeout: TIMEOUTS.ui });
  await page.getByRole("main").getByRole("link", { name: "the board", exact: true }).click();
  await page.waitForURL(`${stack.web.url}/`, { timeout: TIMEOUTS.ui });
  await page.getByRole("heading", { level: 1, name: "The board" }).waitFor({ timeout: TIMEOUTS.ui });
  await page.context().close();
});
