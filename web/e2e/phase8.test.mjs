// Phase 8 end to end: /phases/8 writes chat lines to a private board (signing in like the
// other pages) and receives the same events by short polling, long polling, SSE, WebSocket
// and webhook — the last through the server's lab receiver (--lab-receiver), which
// verifies each delivery's signature — and shows the webhook's delivery log.

import assert from "node:assert/strict";
import { test } from "node:test";

import { TIMEOUTS, axeViolations, describeViolations, setupStack, waitForTestIdText } from "./harness.mjs";
import { withEvidence } from "./board.mjs";

const stack = setupStack({ backendArgs: ["--lab-receiver"] });
const TRANSPORTS = ["short-poll", "long-poll", "sse", "websocket", "webhook"];

/** Waits until the number shown by `testId` is at least `atLeast`. */
async function waitForAtLeast(page, testId, atLeast) {
  await page.waitForFunction(
    ([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)?.textContent) >= n,
    [testId, atLeast],
    { timeout: TIMEOUTS.ui * 2 },
  );
}

const text = (page, testId) => page.getByTestId(testId).textContent();

test("the lab shows the same events arriving on all five transports, with their figures, and a delivered webhook in the log", async () => {
  const board = `p8-${process.pid}`;
  const page = await stack.newPage();
  await withEvidence(stack, "phase8", "lab", [page], async () => {
    await page.goto(`${stack.web.url}/phases/8?board=${board}`);
    await page.getByTestId("sse-name-input").fill("Ana");
    await page.getByTestId("sse-join").click();
    await page.getByTestId("lab-access").filter({ hasText: "on a private server" }).waitFor();
    await page.getByTestId("lab-rate").selectOption("5");
    await page.getByTestId("lab-interval").selectOption("250");
    await page.getByTestId("lab-start").click();

    for (const id of TRANSPORTS) await waitForAtLeast(page, `lab-received-${id}`, 3);
    for (const id of TRANSPORTS) {
      assert.match(await text(page, `lab-latency-${id}`), /^\d+ ms \/ \d+ ms$/, `${id} shows its latency`);
      assert.match(await text(page, `lab-bytes-${id}`), /^\d+$/, `${id} shows its bytes per event`);
      assert.ok(Number(await text(page, `lab-requests-${id}`)) >= 1, `${id} counted its requests`);
      assert.equal(await page.getByTestId(`lab-problem-${id}`).count(), 0, `${id} reports no problem`);
    }
    // A stream and a socket are held open for as long as the lab runs.
    await waitForTestIdText(page, "lab-connections-sse", "1");
    await waitForTestIdText(page, "lab-connections-websocket", "1");
    // The server's own record of the hook: deliveries answered 204 by the receiver.
    const delivered = page.locator('[data-testid="lab-delivery-row"][data-outcome="delivered"]');
    await delivered.first().waitFor({ timeout: TIMEOUTS.ui });
    assert.match(await delivered.first().textContent(), /message.*delivered.*204/);
    // The charts are drawn: a bar per transport in each comparison.
    assert.equal(await page.getByTestId("lab-chart-p50").locator("rect").count(), TRANSPORTS.length);

    await page.getByTestId("lab-stop").click();
    await page.getByTestId("lab-sent").filter({ hasText: "Stopped" }).waitFor();
    await waitForTestIdText(page, "lab-connections-websocket", "0");
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], describeViolations(violations));
  });
  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await page.context().close();
});
