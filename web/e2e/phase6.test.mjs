// Phase 6 end to end: /phases/6 reads a board's stream through each EventSource option
// (native, event-source-polyfill, reconnecting-eventsource) on a private server (signing in
// like the other pages), the polyfill resumes from Last-Event-ID after the backend restarts
// and after a reload, and the WebSocket panel talks to each transport (echo and board).
//
// The WebSocket transports are phase 6's server module: /ws/hand-rolled and /ws/tungstenite
// side by side on one backend, counted by /ws/transports.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { TIMEOUTS, WEB_DIR, axeViolations, describeViolations, setupStack, waitForTestIdText, withTimeout } from "./harness.mjs";
import { withEvidence } from "./board.mjs";

// Private boards: the page must sign in (POST /session) and every stream carries the cookie.
// The harness's store on disk keeps boards, history and the session key across a restart.
const stack = setupStack({ backendEnv: { LIVEBOARD_BOARD_ACCESS: "private" } });
const OPTIONS = ["native", "polyfill", "reconnecting"];

/** A line of each package's code: how to find the chunk the build put it in. */
const PACKAGE_MARKERS = { polyfill: "No activity within", reconnecting: "EventSource not available" };

/** The size in bytes of the one built chunk holding `marker`. */
function chunkBytes(marker) {
  const dir = path.join(WEB_DIR, ".next", "static", "chunks");
  const sizes = readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .map((f) => readFileSync(path.join(dir, f), "utf8"))
    .filter((code) => code.includes(marker))
    .map((code) => Buffer.byteLength(code));
  assert.equal(sizes.length, 1, `chunks holding ${JSON.stringify(marker)}`);
  return sizes[0];
}

/**
 * axe-core's serious findings on the page, but one known finding that is not this page's:
 * phase 2's event log (SseEventLog, shared with /phases/2) scrolls once it holds more than a
 * screenful and its scrolling box cannot take the keyboard focus (scrollable-region-focusable).
 */
async function panelViolations(page) {
  const all = await axeViolations(page);
  const found = [];
  for (const v of all) {
    const nodes = [];
    for (const node of v.nodes) {
      const isEventLogBox = await page.evaluate(
        (target) => document.querySelector(target)?.querySelector('[data-testid="sse-log"]') != null,
        node.target,
      );
      if (!(v.id === "scrollable-region-focusable" && isEventLogBox)) nodes.push(node);
    }
    if (nodes.length > 0) found.push({ ...v, nodes });
  }
  return found;
}

let boards = 0;
const newBoard = () => `p6-${process.pid}-${++boards}`;

/** Opens /phases/6 on `board` (with `?es=option`), signs in as `name`, waits for the stream. */
async function openPage(board, { option = "native", name = "Ana" } = {}) {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/phases/6?board=${board}&es=${option}`);
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
  await page.getByTestId("tp-access").filter({ hasText: "on a private server" }).waitFor();
  await waitForTestIdText(page, "es-state", "open");
  return page;
}

/**
 * Posts a chat message to `board` through the real backend with the page's cookies (a
 * private board takes messages from its members only), as the browser would (with Origin).
 */
async function publish(page, board, text) {
  const response = await page.context().request.post(`${stack.backend.url}/boards/${board}/messages`, {
    data: { text },
    headers: { origin: stack.web.url },
  });
  assert.equal(response.status(), 200, `POST messages answered ${response.status()}: ${await response.text()}`);
}

/** The log rows whose data contains `text`. */
const rows = (page, text) => page.getByTestId("sse-log-entry").filter({ hasText: text });

/** Waits until exactly one log row shows `text`; returns its event id. */
async function seenOnce(page, text) {
  await rows(page, text).first().waitFor();
  assert.equal(await rows(page, text).count(), 1, `"${text}" shown more than once`);
  return (await rows(page, text).getByTestId("sse-log-id").innerText()).replace("replayed", "").trim();
}

/** Resolves with the next request for `board`'s event stream. */
const nextStreamRequest = (page, board) =>
  page.waitForRequest((r) => r.url().startsWith(`${stack.backend.url}/boards/${board}/events`), { timeout: TIMEOUTS.ui });

test("each EventSource option, switched live, receives what is published to the board, once, resuming from the last id", async (t) => {
  const board = newBoard();
  const page = await openPage(board);
  await withEvidence(stack, "phase6", "options", [page], async () => {
    let lastId = "";
    for (const option of OPTIONS) {
      await t.test(option, async () => {
        // The page opened with the native one; each later option opens a new stream.
        const request = lastId ? nextStreamRequest(page, board) : null;
        await page.getByTestId(`es-option-${option}`).check();
        const sent = await request;
        await waitForTestIdText(page, "es-state", "open");
        if (sent) {
          // Every option resumes the switch from the last id: the polyfill in a header,
          // the other two in the URL.
          if (option === "polyfill") assert.equal(sent.headers()["last-event-id"], lastId);
          else assert.equal(new URL(sent.url()).searchParams.get("lastEventId"), lastId);
          await waitForTestIdText(page, "es-resume", "recovered: 0 replayed");
        }
        await publish(page, board, `through ${option}`);
        lastId = await seenOnce(page, `through ${option}`);
        assert.match(lastId, /^[0-9a-z]+-\d+$/);
        await waitForTestIdText(page, "es-last-event-id", lastId);
        const cost = await page.getByTestId("es-cost").innerText();
        if (option === "native") assert.equal(cost, "none: built into the browser");
        else {
          // What the page measured is the chunk the build made for the package.
          const built = `${(chunkBytes(PACKAGE_MARKERS[option]) / 1000).toFixed(1)} kB`;
          assert.match(cost, new RegExp(`^${built} \\([\\d.]+ k?B on the wire, 1 file\\)$`));
        }
        t.diagnostic(`${option}: ${cost}`);
      });
    }
    // Nothing published before was shown twice by the switches.
    for (const option of OPTIONS) await seenOnce(page, `through ${option}`);

    // The panels a signed-in person sees (a11y.test.mjs checks the page before signing in).
    const violations = await panelViolations(page);
    assert.equal(violations.length, 0, `axe-core found violations:\n${describeViolations(violations)}`);
  });
  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await page.context().close();
});

test("with the polyfill, the reconnection after a backend restart sends Last-Event-ID and gets every event published meanwhile", async () => {
  const board = newBoard();
  const page = await openPage(board, { option: "polyfill" });
  await withEvidence(stack, "phase6", "restart", [page], async () => {
    await publish(page, board, "before the restart");
    const lastId = await seenOnce(page, "before the restart");

    // Hold the polyfill's reconnection until the board has moved on without it.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route(`${stack.backend.url}/boards/${board}/events**`, (route) => release(route));
    await stack.backend.restart();
    const route = await withTimeout(held, TIMEOUTS.ui, "the polyfill did not reconnect after the backend restarted");
    assert.equal(route.request().headers()["last-event-id"], lastId, "the reconnection's Last-Event-ID header");
    await publish(page, board, "missed one");
    await publish(page, board, "missed two");
    await route.continue();
    await page.unroute(`${stack.backend.url}/boards/${board}/events**`);

    await waitForTestIdText(page, "es-resume", "recovered: 2 replayed");
    for (const text of ["before the restart", "missed one", "missed two"]) await seenOnce(page, text);
    // Both missed events are marked replayed (the marks are in the id column).
    assert.equal(await rows(page, "missed").getByTestId("sse-log-id").filter({ hasText: "replayed" }).count(), 2);
    await page.getByTestId("es-history-entry").filter({ hasText: "reconnected" }).first().waitFor();
  });
  await page.context().close();
});

test("with the polyfill, a reloaded page sends Last-Event-ID on its very first request", async () => {
  const board = newBoard();
  const page = await openPage(board, { option: "polyfill" });
  await withEvidence(stack, "phase6", "reload", [page], async () => {
    await publish(page, board, "before the reload");
    const lastId = await seenOnce(page, "before the reload");
    const request = nextStreamRequest(page, board);
    await page.reload();
    const sent = await request;
    assert.equal(sent.headers()["last-event-id"], lastId);
    assert.equal(new URL(sent.url()).searchParams.get("lastEventId"), null, "the id travels in the header, not the URL");
    await waitForTestIdText(page, "es-state", "open");
    await waitForTestIdText(page, "es-resume", "recovered: 0 replayed");
    assert.match(await page.getByTestId("es-headers").innerText(), new RegExp(`Last-Event-ID: ${lastId}`));
  });
  await page.context().close();
});

test("on a path that answers 404, the native EventSource gives up and reconnecting-eventsource keeps asking", async () => {
  const board = newBoard();
  const page = await openPage(board);
  await withEvidence(stack, "phase6", "404", [page], async () => {
    await page.getByTestId("es-broken").check();
    await waitForTestIdText(page, "es-state", "closed");

    const broken = (r) => r.url().startsWith(`${stack.backend.url}/boards/${board}/no-such-stream`);
    const first = page.waitForRequest(broken, { timeout: TIMEOUTS.ui });
    await page.getByTestId("es-option-reconnecting").check();
    await first;
    // Its own EventSource gave up on the 404 as the native one did; the wrapper opens another.
    await page.waitForRequest(broken, { timeout: TIMEOUTS.ui });
    await waitForTestIdText(page, "es-state", "connecting");
  });
  await page.context().close();
});

/**
 * Picks `transport` and `mode` on the WebSocket panel and waits until the page either is
 * connected or says the backend does not serve the path; returns which.
 */
async function pickTransport(page, transport, mode) {
  await page.getByTestId(`ws6-transport-${transport}`).check();
  await page.getByTestId(`ws6-mode-${mode}`).check();
  const open = page.getByTestId("ws6-state").filter({ hasText: /^open$/ });
  const missing = page.getByTestId("ws6-missing");
  await open.or(missing).first().waitFor();
  return (await missing.count()) > 0 ? await missing.innerText() : null;
}

for (const transport of ["hand-rolled", "tungstenite"]) {
  test(`the WebSocket panel echoes and follows the board over the ${transport} transport`, async () => {
    const board = newBoard();
    const page = await openPage(board);
    await withEvidence(stack, "phase6", `ws-${transport}`, [page], async () => {
      assert.equal(await pickTransport(page, transport, "echo"), null, `the backend serves /ws/${transport}/echo`);
      await page.getByTestId("ws6-echo-input").fill(`echo over ${transport}`);
      await page.getByTestId("ws6-echo-send").click();
      await page.getByTestId("ws6-received").filter({ hasText: `echo over ${transport}` }).waitFor();

      assert.equal(await pickTransport(page, transport, "board"), null);
      await waitForTestIdText(page, "ws6-subscribed", `subscribed to ${board}`);
      await publish(page, board, `news over ${transport}`);
      await page.getByTestId("ws6-received").filter({ hasText: `news over ${transport}` }).waitFor();

      await page.getByTestId("ws6-stats").getByRole("button", { name: "Refresh" }).click();
      await page.getByTestId("ws6-stats").filter({ hasText: new RegExp(`${transport} [1-9]`) }).waitFor();
    });
    await page.context().close();
  });
}
