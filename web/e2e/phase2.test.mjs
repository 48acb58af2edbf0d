// Phase 2 end to end: two people (two browser contexts, so two localStorage clientIds) on
// one board see each other arrive, talk, and leave; a dropped stream resumes; a restarted
// backend makes the stream reset.

import assert from "node:assert/strict";
import { test } from "node:test";

import { TIMEOUTS, setupStack, waitForTestIdText } from "./harness.mjs";

// An in-memory store: this file's restart test needs history to be lost on restart (a new
// epoch → `reset`). With phase 4's store on disk the epoch survives restarts by design.
const stack = setupStack({ backendEnv: { LIVEBOARD_DATA_DIR: ":memory:" } });

/** Opens /phases/2 in a fresh context, joins as `name`, waits for the stream to open. */
async function join(name) {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/phases/2`);
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
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
  const bo = await join("Bo");

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
