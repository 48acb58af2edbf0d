// Phase 2 end to end, on the backend's defaults (private boards): two people (two browser
// contexts, so two sessions) on one board — the first to open it owns it and shares it
// with the second through a link — see each other arrive, talk, and leave; a dropped
// stream resumes; a restarted backend makes the stream reset (and, having kept its
// sessions in memory, forgets them: the page signs in again).

import assert from "node:assert/strict";
import { test } from "node:test";

import { TIMEOUTS, createNotes, sessionCookie, setupStack, shareBoard, waitForTestIdText } from "./harness.mjs";

// An in-memory store: this file's restart test needs history to be lost on restart (a new
// epoch → `reset`). With phase 4's store on disk the epoch survives restarts by design.
const stack = setupStack({ backendEnv: { LIVEBOARD_DATA_DIR: ":memory:" } });

/**
 * Opens /phases/2 in a fresh context on `board`, joins as `name` (signing in), waits for
 * the stream to open. With `owner` (the page of the person who opened the board first),
 * the owner shares the board with `name` first, as its Share panel would.
 */
async function join(name, { board = "demo", owner } = {}) {
  const page = await stack.newPage();
  if (owner) await shareBoard(stack.backend.url, owner, page, name, board);
  await page.goto(`${stack.web.url}/phases/2`);
  if (board !== "demo") {
    await page.getByTestId("sse-board-input").fill(board);
    await page.getByRole("button", { name: "Switch" }).click();
    await page.getByRole("heading", { name: `Live stream of board ${board}` }).waitFor();
  }
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
  await waitForTestIdText(page, "session-name", name);
  await waitForTestIdText(page, "sse-state", "open");
  return page;
}

function person(page, name) {
  return page.getByTestId("sse-person").filter({ hasText: name });
}

test("the landing page links to the phase 2 page", async () => {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/`);
  await page.getByRole("navigation", { name: "Phases" }).getByRole("link", { name: /Server-Sent Events/ }).click();
  await page.waitForURL(`${stack.web.url}/phases/2`, { timeout: TIMEOUTS.ui });
  await page.getByRole("heading", { level: 1, name: /Server-Sent Events/ }).waitFor();
  await page.context().close();
});

test("two people see each other, a message reaches the other, and closing one is a leave", async (t) => {
  const ana = await join("Ana");
  const bo = await join("Bo", { owner: ana });

  await t.test("each sees the other in who's online", async () => {
    await person(ana, "Bo").waitFor();
    await person(bo, "Ana").waitFor();
    assert.equal(await ana.getByTestId("sse-person").count(), 2);
  });

  await t.test("a message posted by one appears in the other's log with its id", async () => {
    await ana.getByTestId("sse-message-input").fill("hello from Ana");
    await ana.getByTestId("sse-send").click();
    await bo.getByTestId("sse-log-entry").filter({ hasText: "hello from Ana" }).waitFor();
    assert.match(await bo.getByTestId("sse-last-event-id").innerText(), /^[0-9a-z]+-\d+$/);
  });

  await t.test("a dropped stream resumes from its last event id", async () => {
    await bo.getByTestId("sse-reconnect").click();
    await waitForTestIdText(bo, "sse-resume", "recovered: 0 missed events replayed");
    await waitForTestIdText(bo, "sse-state", "open");
  });

  await t.test("closing one person's browser makes them leave the other's list", async () => {
    await bo.context().close();
    await person(ana, "Bo").waitFor({ state: "detached" });
    assert.equal(await ana.getByTestId("sse-person").count(), 1);
  });

  await t.test("a restarted backend (new epoch) answers the automatic reconnection with a reset", async () => {
    await stack.backend.restart();
    await ana.waitForFunction(
      () => document.querySelector('[data-testid="sse-resume"]')?.textContent?.startsWith("reset:"),
      undefined,
      { timeout: TIMEOUTS.ui, polling: 100 },
    );
    await waitForTestIdText(ana, "sse-state", "open");
    await person(ana, "Ana").waitFor();
  });

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await ana.context().close();
});

test("each numbered event shows its own id, presence none, and the events missed while dropped are shown as replayed", async () => {
  const board = "numbered";
  const ana = await join("Ana", { board });
  const bo = await join("Bo", { board, owner: ana });
  const idsOf = (page, text) =>
    page.getByTestId("sse-log-entry").filter({ hasText: text }).getByTestId("sse-log-id").allInnerTexts();

  // A chat line reaches Bo with an id; presence events show none (they are not numbered,
  // and the browser would report the previous event's id for them).
  await ana.getByTestId("sse-message-input").fill("hello with an id");
  await ana.getByTestId("sse-send").click();
  await bo.getByTestId("sse-log-entry").filter({ hasText: "hello with an id" }).waitFor();
  const [chatId] = await idsOf(bo, "hello with an id");
  assert.match(chatId ?? "", /^[0-9a-z]+-\d+$/);
  const presenceIds = await idsOf(bo, /"clientId"|"people"/);
  assert.ok(presenceIds.length > 0);
  assert.ok(presenceIds.every((id) => id.trim() === "–"), `presence ids: ${presenceIds.join(" | ")}`);

  // Bo drops the stream and stays away while the board changes twice.
  await bo.getByTestId("sse-drop").click();
  await waitForTestIdText(bo, "sse-state", "dropped");
  // Ana's own socket (her session cookie): the board is hers.
  await createNotes(
    stack.backend.url,
    [
      { board, text: "missed one" },
      { board, text: "missed two" },
    ],
    { cookie: await sessionCookie(ana, stack.backend.url) },
  );
  await ana.getByTestId("sse-log-entry").filter({ hasText: "missed two" }).waitFor();

  await bo.getByTestId("sse-drop").click(); // now "Reconnect"
  await waitForTestIdText(bo, "sse-resume", "recovered: 2 missed events replayed");
  const missed = [...(await idsOf(bo, "missed two")), ...(await idsOf(bo, "missed one"))].map((id) => id.replace("replayed", "").trim());
  assert.equal(missed.length, 2);
  assert.notEqual(missed[0], missed[1], "two events, two ids");
  for (const id of missed) assert.match(id, /^[0-9a-z]+-\d+$/);
  // The replayed list reads oldest first; each replayed row is marked.
  await waitForTestIdText(bo, "sse-replayed", `${missed[1]}, ${missed[0]}`);
  assert.equal(await bo.getByTestId("sse-log-entry").filter({ hasText: "replayed" }).filter({ hasText: "missed" }).count(), 2);
  // Ana saw the same events live, with the same ids.
  assert.deepEqual([...(await idsOf(ana, "missed two")), ...(await idsOf(ana, "missed one"))].map((id) => id.trim()), missed);

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await ana.context().close();
  await bo.context().close();
});

test("without a link, a third person is refused a board someone else opened first, is told why, and has boards of their own", async () => {
  const ana = await join("Ana", { board: "anas" });
  const cy = await stack.newPage();
  await cy.goto(`${stack.web.url}/phases/2`);
  await cy.getByTestId("sse-board-input").fill("anas");
  await cy.getByRole("button", { name: "Switch" }).click();
  await cy.getByTestId("sse-name-input").fill("Cy");
  await cy.getByTestId("sse-join").click();
  await waitForTestIdText(cy, "session-name", "Cy");
  // The server answers the stream 403: the browser gives up, and the page asks why.
  await waitForTestIdText(cy, "sse-state", "closed");
  await waitForTestIdText(cy, "sse-refused", "This board is private — ask its owner for a link. Or switch to a board of your own.");
  assert.equal(await person(ana, "Cy").count(), 0, "Cy never appears on Ana's board");

  await cy.getByTestId("sse-board-input").fill("cys");
  await cy.getByRole("button", { name: "Switch" }).click();
  await waitForTestIdText(cy, "sse-state", "open");
  await person(cy, "Cy").waitFor();

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await ana.context().close();
  await cy.context().close();
});

test("each chat message gets its own id, and one posted while the stream was dropped is replayed on reconnect", async () => {
  const board = "chat-ids";
  const ana = await join("Ana", { board });
  const bo = await join("Bo", { board, owner: ana });
  await person(bo, "Ana").waitFor();
  const idsOf = (page, text) =>
    page.getByTestId("sse-log-entry").filter({ hasText: text }).getByTestId("sse-log-id").allInnerTexts();
  const clean = (id) => id.replace("replayed", "").trim();

  // Two chat lines, two ids: the board's log numbers each one (the full server has a store).
  for (const text of ["first line", "second line"]) {
    await ana.getByTestId("sse-message-input").fill(text);
    await ana.getByTestId("sse-send").click();
    await bo.getByTestId("sse-log-entry").filter({ hasText: text }).waitFor();
  }
  const [first] = await idsOf(bo, "first line");
  const [second] = await idsOf(bo, "second line");
  assert.match(clean(first ?? ""), /^[0-9a-z]+-\d+$/);
  assert.match(clean(second ?? ""), /^[0-9a-z]+-\d+$/);
  assert.notEqual(clean(first ?? ""), clean(second ?? ""), "two chat messages, two ids");

  // Bo drops the stream; Ana posts from another client of hers, straight to the backend.
  await bo.getByTestId("sse-drop").click();
  await waitForTestIdText(bo, "sse-state", "dropped");
  const res = await ana.context().request.post(`${stack.backend.url}/boards/${board}/messages`, {
    data: { text: "posted while Bo was away" },
    timeout: TIMEOUTS.ui,
  });
  assert.equal(res.status(), 200);
  const { position } = await res.json();
  await ana.getByTestId("sse-log-entry").filter({ hasText: "posted while Bo was away" }).waitFor();

  // Reconnect: the missed message is replayed, with the id the server gave it, and marked.
  await bo.getByTestId("sse-drop").click(); // now "Reconnect"
  await waitForTestIdText(bo, "sse-resume", "recovered: 1 missed event replayed");
  const missed = bo.getByTestId("sse-log-entry").filter({ hasText: "posted while Bo was away" });
  await missed.waitFor();
  assert.equal(clean(await missed.getByTestId("sse-log-id").innerText()), position);
  assert.match(await missed.innerText(), /replayed/);
  await waitForTestIdText(bo, "sse-replayed", position);

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await ana.context().close();
  await bo.context().close();
});
