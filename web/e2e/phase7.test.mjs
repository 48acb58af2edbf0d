// Phase 7 end to end: /phases/7 through a real scaled-out topology (scale.mjs: redis-server,
// nats-server, instances a and b, HAProxy rendered from deploy/haproxy.cfg.in, the web app
// pointed at the balancer). Two people, each in a window pinned to a different instance
// (`?via=a`, `?via=b`): each page names its instance, each WebSocket goes through its pin
// and is held by that instance alone, and yet a note made on one reaches the other, both
// ways, and each sees the other in presence. Last, the same page on a single backend
// (`make dev`) says so and how to start the topology.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Backend, OPEN_BOARDS, TIMEOUTS, WebApp, axeViolations, describeViolations, freePort, screenshot, waitForTestIdText } from "./harness.mjs";
import { addNote, confirmed, note } from "./board.mjs";
import { setupScaleStack } from "./scale.mjs";

const stack = setupScaleStack({ instances: 2 });

/** Runs `body`; on failure adds screenshots of `pages` and every process's output to the error. */
async function withEvidence(name, pages, body) {
  try {
    await body();
  } catch (error) {
    const shots = await Promise.all(pages.map((p, i) => screenshot(p, `phase7-${name}-${i}`)));
    error.message += `\nscreenshots: ${shots.join(", ")}\n${stack.logs()}`;
    throw error;
  }
}

/** How many WebSockets each instance holds, asked of each instance directly (not through the balancer). */
async function openSockets() {
  const counts = [];
  for (const instance of stack.instances) {
    const response = await fetch(`${instance.url}/ws/stats`, { signal: AbortSignal.timeout(TIMEOUTS.ui) });
    counts.push((await response.json()).websockets.open);
  }
  return counts;
}

/** Waits (bounded, polling) until each instance holds exactly the sockets in `expected`. */
async function waitForSockets(expected) {
  const deadline = Date.now() + TIMEOUTS.ui;
  let counts = await openSockets();
  while (JSON.stringify(counts) !== JSON.stringify(expected)) {
    if (Date.now() >= deadline) assert.deepEqual(counts, expected, "open WebSockets per instance (a, b)");
    await new Promise((resolve) => setTimeout(resolve, 100));
    counts = await openSockets();
  }
}

/**
 * Opens /phases/7 on `board` pinned to `pin`, checks that the page names that instance,
 * joins as `name`, and resolves with the page and the URL of its board's WebSocket.
 */
async function openPinned(board, pin, name) {
  const page = await stack.newPage();
  const socket = page.waitForEvent("websocket", { predicate: (ws) => new URL(ws.url()).pathname.endsWith("/ws"), timeout: TIMEOUTS.ui });
  await page.goto(`${stack.web.url}/phases/7?board=${board}&via=${pin}`);
  await waitForTestIdText(page, "scale-served-by", pin);
  await page.getByTestId(`scale-pin-${pin}`).and(page.locator(":checked")).waitFor();
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
  await waitForTestIdText(page, "board-me", name);
  await waitForTestIdText(page, "board-connection", "live");
  return { page, socketUrl: (await socket).url() };
}

/** The avatar of `name` on `page`'s board. */
const avatar = (page, name) => page.locator(`[data-testid="presence-avatar"][data-name="${name}"]`);

test("two windows pinned to instances a and b name their instance, and still share notes and presence", async () => {
  const board = `p7-${process.pid}`;
  const { page: ana, socketUrl: anaSocket } = await openPinned(board, "a", "Ana");
  const { page: bo, socketUrl: boSocket } = await openPinned(board, "b", "Bo");
  await withEvidence("pinned", [ana, bo], async () => {
    // Each board's WebSocket went through its pin, and each instance holds exactly one.
    assert.equal(new URL(anaSocket).pathname, "/i/a/ws", anaSocket);
    assert.equal(new URL(boSocket).pathname, "/i/b/ws", boSocket);
    assert.equal(new URL(anaSocket).port, new URL(stack.balancerUrl).port, "through the balancer");
    await waitForSockets([1, 1]);

    // Presence crosses instances: each sees the other.
    await avatar(ana, "Bo").waitFor();
    await avatar(bo, "Ana").waitFor();

    // A note made on a reaches b, and one made on b reaches a.
    await addNote(ana, "To do", "made on a");
    await confirmed(ana, "made on a");
    await note(bo, "made on a", "To do").waitFor();
    await addNote(bo, "Doing", "made on b");
    await confirmed(bo, "made on b");
    await note(ana, "made on b", "Doing").waitFor();

    // Each page shows both instances healthy, with their store and bus up.
    for (const page of [ana, bo]) {
      for (const name of stack.names) {
        const row = page.locator(`[data-testid="scale-health-row"][data-instance="${name}"]`);
        await row.getByTestId("scale-health-status").filter({ hasText: /^ok$/ }).waitFor();
        await row.locator('[data-testid="scale-link-store"][data-up="true"]').filter({ hasText: "redis://127.0.0.1:" }).waitFor();
        await row.locator('[data-testid="scale-link-bus"][data-up="true"]').filter({ hasText: "nats://127.0.0.1:" }).waitFor();
      }
    }
    assert.equal(await ana.getByTestId("scale-served-links").textContent(), " (store: redis, bus: nats)");

    // The two-window demo in one click: a's page links to this board pinned to b.
    const other = await ana.getByTestId("scale-open-other").getAttribute("href");
    assert.equal(other, `/phases/7?board=${board}&via=b`);

    const violations = await axeViolations(ana);
    assert.equal(violations.length, 0, `axe-core found violations:\n${describeViolations(violations)}`);
  });
  assert.deepEqual(stack.pageErrors.map(String), [], "the pages threw uncaught errors");
  await ana.context().close();
  await bo.context().close();
});

test("switching a window from its pin to the balancer opens a new connection through the balancer, on the same board", async () => {
  const board = `p7-switch-${process.pid}`;
  const { page } = await openPinned(board, "a", "Cy");
  await withEvidence("switch", [page], async () => {
    await addNote(page, "To do", "before the switch");
    await confirmed(page, "before the switch");
    const socket = page.waitForEvent("websocket", { predicate: (ws) => new URL(ws.url()).pathname === "/ws", timeout: TIMEOUTS.ui });
    await page.getByTestId("scale-pin-any").check();
    await socket;
    assert.equal(new URL(page.url()).searchParams.get("via"), "any");
    await waitForTestIdText(page, "board-connection", "live");
    await note(page, "before the switch", "To do").waitFor();
    // Whichever instance the balancer chose, it is one of the two.
    await page.getByTestId("scale-served-by").filter({ hasText: /^(a|b)$/ }).waitFor();
  });
  await page.context().close();
});

test("on a single backend (make dev) the page says it is one instance, how to start make scale, and the board still works", async () => {
  // A backend without --redis-url and --nats-url, and a web app of its own pointed at it.
  const webPort = await freePort();
  const single = new Backend({ allowedOrigins: `http://127.0.0.1:${webPort}`, args: OPEN_BOARDS });
  let app = null;
  try {
    await single.start();
    app = new WebApp({ port: webPort, backendUrl: single.url });
    await app.start();
    const page = await stack.newPage();
    await withEvidence("single", [page], async () => {
      await page.goto(`${app.url}/phases/7?board=p7-single-${process.pid}&via=b`);
      await page.getByTestId("scale-single").filter({ hasText: "single instance" }).filter({ hasText: "make scale" }).waitFor();
      // No pins to choose and no link to another instance; the ?via=b is ignored.
      assert.equal(await page.getByTestId("scale-pin-any").count(), 0);
      assert.equal(await page.getByTestId("scale-open-other").count(), 0);
      await page.getByTestId("scale-served-links").filter({ hasText: "(store: embedded, bus: none)" }).waitFor();
      await page.getByTestId("scale-link-store").filter({ hasText: "none" }).waitFor();
      await page.getByTestId("sse-name-input").fill("Di");
      await page.getByTestId("sse-join").click();
      await waitForTestIdText(page, "board-connection", "live");
      await addNote(page, "To do", "on one instance");
      await confirmed(page, "on one instance");
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, `axe-core found violations:\n${describeViolations(violations)}`);
    });
    await page.context().close();
  } finally {
    await app?.stop();
    await single.dispose();
  }
});
