// Phase 1 end to end: the health page follows the real backend as it stops and starts.

import assert from "node:assert/strict";
import { test } from "node:test";

import { TIMEOUTS, setupStack, waitForTestIdText } from "./harness.mjs";

const stack = setupStack();

test("the landing page links to the phase 1 page", async () => {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/`);
  await page.getByRole("navigation", { name: "Phases" }).getByRole("link", { name: /Foundations/ }).click();
  await page.waitForURL(`${stack.web.url}/phases/1`, { timeout: TIMEOUTS.ui });
  await page.getByRole("heading", { level: 1, name: /Foundations/ }).waitFor();
  await page.context().close();
});

test("the phase 1 page shows the backend healthy, down when it stops, healthy when it is back", async (t) => {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/phases/1`);

  await t.test("healthy while the backend runs", async () => {
    await waitForTestIdText(page, "health-status", "healthy");
    assert.match(await page.getByTestId("health-version").innerText(), /^\d+\.\d+\.\d+/);
    assert.match(await page.getByTestId("health-raw").innerText(), /"status": "ok"/);
  });

  await t.test("polls the backend URL given at run time (LIVEBOARD_BACKEND_URL)", async () => {
    const text = await page.locator("main").innerText();
    assert.ok(text.includes(`GET ${stack.backend.url}/health`), `page should poll ${stack.backend.url}:\n${text}`);
  });

  await t.test("down, saying why, once the backend is stopped", async () => {
    await stack.backend.stop();
    await waitForTestIdText(page, "health-status", "down");
    assert.equal(await page.getByTestId("health-error").innerText(), `cannot reach ${stack.backend.url}`);
  });

  await t.test("healthy again after a restart on the same port", async () => {
    await stack.backend.restart();
    await waitForTestIdText(page, "health-status", "healthy");
  });

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await page.context().close();
});
