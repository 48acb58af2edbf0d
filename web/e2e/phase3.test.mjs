// Phase 3 end to end, with Chromium's own WebSocket, on the backend's defaults (private
// boards): two browsers (two contexts, each signed in: the handshake carries the session
// cookie) on /phases/3 subscribe to one board over /ws — the first owns it and shares it
// with the second; a third, without a link, is refused with `forbidden` on a socket that
// stays open; what one publishes shows up in the other's
// frame inspector; bad input gets an `error` event without losing the connection; the echo
// playground echoes; closing from the page reports 1000 with the table's meaning, and a
// backend shutting down reports 1001 with the verdict "reconnect".

import assert from "node:assert/strict";
import { test } from "node:test";

import { TIMEOUTS, setupStack, shareBoard, waitForTestIdText } from "./harness.mjs";

const stack = setupStack();

/** A board no other test file or earlier run uses. */
const BOARD = `e2e-${Date.now().toString(36)}`;

/** Opens /phases/3 in a fresh context, signs in as `name`, waits for the board connection to open. */
async function openInspector(name) {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/phases/3`);
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
  await waitForTestIdText(page, "session-name", name);
  await waitForTestIdText(page, "ws-state", "open");
  return page;
}

/** Rows of one inspector (`ws` or `echo`) with this direction and type. */
function frames(page, prefix, direction, type) {
  return page.locator(`[data-testid="${prefix}-frame"][data-direction="${direction}"][data-type="${type}"]`);
}

async function subscribe(page, board) {
  await page.getByTestId("ws-board-input").fill(board);
  await page.getByTestId("ws-subscribe").click();
  await waitForTestIdText(page, "ws-last-reply", `subscribe ${board}: ack`);
  await waitForTestIdText(page, "ws-subscriptions", board);
}

test("the landing page links to the phase 3 page", async () => {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/`);
  await page.getByRole("navigation", { name: "Phases" }).getByRole("link", { name: /WebSocket/ }).click();
  await page.waitForURL(`${stack.web.url}/phases/3`, { timeout: TIMEOUTS.ui });
  await page.getByRole("heading", { level: 1, name: /WebSocket/ }).waitFor();
  // The close-code table is the generated one: 1009 is in it with its verdict.
  await page.getByTestId("ws-close-code-table").getByRole("row").filter({ hasText: "message too big" }).waitFor();
  await page.context().close();
});

test("two browsers on one board over Chromium's WebSocket", async (t) => {
  const ana = await openInspector("Ana");
  const bo = await openInspector("Bo");

  await t.test("the handshake agreed on liveboard.v1 and the server said welcome", async () => {
    await waitForTestIdText(ana, "ws-protocol", "liveboard.v1");
    await frames(ana, "ws", "in", "welcome").waitFor();
    await frames(ana, "ws", "local", "open").filter({ hasText: "101 Switching Protocols" }).waitFor();
  });

  await t.test("both subscribe to the same board and get an ack, then ready", async () => {
    await subscribe(ana, BOARD); // the board is Ana's now: she opened it first
    await shareBoard(stack.backend.url, ana, bo, "Bo", BOARD);
    await subscribe(bo, BOARD);
    await frames(bo, "ws", "in", "ready").filter({ hasText: BOARD }).waitFor();
    // The ack row says which request it answers (matched by id) and how long it took.
    await frames(bo, "ws", "in", "ack").filter({ hasText: /↩ \d+ ms/ }).first().waitFor();
  });

  await t.test("a message published by one appears in the other's inspector", async () => {
    await ana.getByTestId("ws-publish-input").fill("hello from Ana over WebSocket");
    await ana.getByTestId("ws-publish").click();
    await ana.getByTestId("ws-last-reply").filter({ hasText: new RegExp(`^publish ${BOARD}: ack at \\S+$`) }).waitFor();
    const received = frames(bo, "ws", "in", "message").filter({ hasText: "hello from Ana over WebSocket" });
    await received.waitFor();
    // Expanding the row shows the JSON, pretty-printed.
    await received.click();
    await bo.getByTestId("ws-frame-json").filter({ hasText: '"text": "hello from Ana over WebSocket"' }).waitFor();
    // Ana sent it masked: the out row's wire size is payload + 2-byte header + 4-byte key.
    const sizes = await frames(ana, "ws", "out", "publish").first().locator("td").nth(4).innerText();
    const [payload, wire] = sizes.split("/").map((s) => Number(s.trim()));
    assert.ok(payload > 0 && wire - payload >= 6, `sizes ${sizes}`);
  });

  await t.test("a third person without a link is refused with forbidden, and their connection stays open", async () => {
    const cy = await openInspector("Cy");
    await cy.getByTestId("ws-board-input").fill(BOARD);
    await cy.getByTestId("ws-subscribe").click();
    await cy.getByTestId("ws-last-reply").filter({ hasText: /^subscribe failed: forbidden: This board is private/ }).waitFor();
    await waitForTestIdText(cy, "ws-subscriptions", "none");
    await cy.getByTestId("ws-ping").click();
    await cy.getByTestId("ws-last-reply").filter({ hasText: /^pong / }).waitFor();
    await waitForTestIdText(cy, "ws-state", "open");
    await cy.context().close();
  });

  await t.test("malformed input gets an error event and the connection stays open", async () => {
    await bo.getByTestId("ws-raw-input").fill("{oops");
    await bo.getByTestId("ws-raw-send").click();
    await frames(bo, "ws", "in", "error").filter({ hasText: "malformed_json" }).waitFor();
    await waitForTestIdText(bo, "ws-state", "open");
    await bo.getByTestId("ws-ping").click();
    await bo.getByTestId("ws-last-reply").filter({ hasText: /^pong / }).waitFor();
  });

  await t.test("the echo playground echoes text and binary", async () => {
    await bo.getByTestId("ws-tab-echo").click();
    await waitForTestIdText(bo, "echo-state", "open");
    await waitForTestIdText(bo, "echo-protocol", "(none)");
    await bo.getByTestId("echo-raw-input").fill("echo me, please");
    await bo.getByTestId("echo-raw-send").click();
    await frames(bo, "echo", "out", "text").filter({ hasText: "echo me, please" }).waitFor();
    await frames(bo, "echo", "in", "text").filter({ hasText: "echo me, please" }).waitFor();

    await bo.getByTestId("echo-raw-input").fill("bin");
    await bo.getByTestId("echo-raw-send-binary").click();
    await frames(bo, "echo", "in", "binary").filter({ hasText: "62 69 6e" }).waitFor();
  });

  await t.test("closing the echo socket with 4000 and a reason: the server echoes 4000", async () => {
    await bo.getByTestId("echo-close-code-input").fill("4000");
    await bo.getByTestId("echo-close-reason-input").fill("done playing");
    await bo.getByTestId("echo-disconnect").click();
    await waitForTestIdText(bo, "echo-state", "closed");
    await waitForTestIdText(bo, "echo-close-code", "4000");
    await bo.getByTestId("echo-close-meaning").filter({ hasText: "application-defined" }).waitFor();
    // The board connection in the other tab is untouched.
    await waitForTestIdText(bo, "ws-state", "open");
  });

  await t.test("closing from the page shows 1000 with its meaning and verdict", async () => {
    await ana.getByTestId("ws-disconnect").click();
    await waitForTestIdText(ana, "ws-state", "closed");
    await waitForTestIdText(ana, "ws-close-code", "1000");
    await waitForTestIdText(ana, "ws-close-meaning", "normal closure");
    assert.equal(await ana.getByTestId("ws-close-verdict").getAttribute("data-verdict"), "stop");
  });

  await t.test("connecting again opens a fresh socket that follows no board", async () => {
    await ana.getByTestId("ws-connect").click();
    await waitForTestIdText(ana, "ws-state", "open");
    await waitForTestIdText(ana, "ws-subscriptions", "none");
    assert.equal(await ana.getByTestId("ws-close").count(), 0, "the old close report is gone");
  });

  await t.test("a backend stopping gracefully closes with 1001: reconnect", async () => {
    await stack.backend.stop(); // SIGTERM: the server sends every WebSocket a 1001
    await waitForTestIdText(bo, "ws-state", "closed");
    await waitForTestIdText(bo, "ws-close-code", "1001");
    // The reason text is the server's to word; the code and its verdict are the contract.
    assert.equal(await bo.getByTestId("ws-close-verdict").getAttribute("data-verdict"), "reconnect");
    await stack.backend.restart();
  });

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await ana.context().close();
  await bo.context().close();
});
