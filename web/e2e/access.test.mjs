// Private boards in the browser, against the real backend started with
// `--board-access private`: Ana opens a board (it becomes hers) and writes on it; Bo,
// signed in without a link, is told it is private; with a view link he sees the notes but
// cannot add one (the composer is off, and a write forced over his own WebSocket is refused
// with `forbidden`); with an edit link he edits; when Ana revokes the links he is out.
//
// Then cross-site WebSocket hijacking: a page served from another origin of the same site
// (a static server this test starts on another 127.0.0.1 port — so Bo's session cookie IS
// sent with its requests) tries `new WebSocket` to the backend and
// `fetch(..., {credentials: "include"})` of Bo's board: the handshake is refused (Origin
// not allowed) and the answers cannot be read (no CORS credentials).

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, test } from "node:test";

import { freePort, screenshot, setupStack, TIMEOUTS, waitForTestIdText } from "./harness.mjs";
import { column, note } from "./board.mjs";

const stack = setupStack({ backendArgs: ["--board-access", "private"] });
const BOARD = "secret-plans";
const PRIVATE = "This board is private — ask its owner for a link.";


/** Opens `url` (default: the board on the phase 4 page) in a fresh context and signs in as `name`. */
async function signIn(name, url = `${stack.web.url}/phases/4?board=${BOARD}`) {
  const page = await stack.newPage();
  await page.goto(url);
  await page.getByTestId("sse-name-input").fill(name);
  await page.getByTestId("sse-join").click();
  await waitForTestIdText(page, "board-me", name);
  return page;
}

/** Ana's share panel: a new link with `role`; its address. */
async function newLink(ana, role) {
  const panel = ana.getByTestId("share-panel");
  if (!(await panel.evaluate((d) => d.open))) await panel.locator("summary").click();
  const before = await ana.getByTestId("share-link").count();
  await ana.getByTestId(`share-create-${role}`).click();
  await ana.waitForFunction((n) => document.querySelectorAll('[data-testid="share-link"]').length === n, before + 1, { timeout: TIMEOUTS.ui });
  return ana.locator(`[data-testid="share-link"][data-role="${role}"]`).last().getByTestId("share-link-address").inputValue();
}

/** In `page`, opens its own WebSocket to the backend, subscribes, sends a note_create; the answer. */
function forcedWrite(page) {
  const wsUrl = `${stack.backend.url.replace(/^http/, "ws")}/ws`;
  return page.evaluate(
    ([url, board]) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, "liveboard.v1");
        const timer = setTimeout(() => reject(new Error("no answer in time")), 10_000);
        ws.onerror = () => reject(new Error("socket failed"));
        ws.onopen = () => {
          ws.send(JSON.stringify({ id: "s", type: "subscribe", payload: { board } }));
          ws.send(
            JSON.stringify({
              id: "w",
              type: "note_create",
              payload: { board, opId: "forced-1", noteId: "forced-1", text: "sneaky", color: "#fde68a", column: "To do", order: 99, author: "Ana" },
            }),
          );
        };
        ws.onmessage = (event) => {
          const message = JSON.parse(event.data);
          if (message.id === "w") {
            clearTimeout(timer);
            ws.close();
            resolve(message);
          }
        };
      }),
    [wsUrl, BOARD],
  );
}

test("a private board: outsiders are refused, a view link reads, an edit link writes, revoking shuts the door", { timeout: 120_000 }, async () => {
  const ana = await signIn("Ana");
  const pages = [ana];
  try {
    await waitForTestIdText(ana, "board-connection", "live");
    await column(ana, "To do").getByTestId("note-composer-input").fill("Plan A");
    await column(ana, "To do").getByTestId("note-composer-input").press("Enter");
    await note(ana, "Plan A").and(ana.locator('[data-pending="false"]')).waitFor();

    const bo = await signIn("Bo");
    pages.push(bo);
    await waitForTestIdText(bo, "board-private", PRIVATE);

    const viewLink = await newLink(ana, "view");
    await bo.goto(viewLink);
    await bo.getByTestId("board-view-only").waitFor();
    await waitForTestIdText(bo, "board-connection", "live");
    await note(bo, "Plan A").waitFor();
    assert.equal(await column(bo, "To do").getByTestId("note-composer-input").isDisabled(), true, "the composer is off");
    // No edit, move or delete on the cards either (the server would refuse them).
    assert.equal(await note(bo, "Plan A").getByTestId("note-edit").count(), 0, "no Edit for a viewer");
    assert.equal(await note(bo, "Plan A").getByTestId("note-delete").count(), 0, "no ✕ for a viewer");
    assert.equal(await note(bo, "Plan A").getAttribute("draggable"), "false", "a viewer cannot drag");
    assert.ok(!bo.url().includes("invite="), "the secret is dropped from the address");
    const refused = await forcedWrite(bo);
    assert.equal(refused.type, "error", JSON.stringify(refused));
    assert.equal(refused.payload.code, "forbidden");
    assert.equal(refused.payload.message, "You can view this board but not change it.");

    const editLink = await newLink(ana, "edit");
    await bo.goto(editLink);
    await waitForTestIdText(bo, "board-connection", "live");
    assert.equal(await bo.getByTestId("board-view-only").count(), 0, "no longer read-only");
    await column(bo, "Doing").getByTestId("note-composer-input").fill("From Bo");
    await column(bo, "Doing").getByTestId("note-composer-input").press("Enter");
    await note(ana, "From Bo").waitFor();

    // Revoke both links: Bo is no longer a member.
    for (let left = await ana.getByTestId("share-revoke").count(); left > 0; left -= 1) {
      await ana.getByTestId("share-revoke").first().click();
      await ana.waitForFunction((n) => document.querySelectorAll('[data-testid="share-revoke"]').length === n, left - 1, { timeout: TIMEOUTS.ui });
    }
    await bo.goto(`${stack.web.url}/phases/4?board=${BOARD}`);
    await waitForTestIdText(bo, "board-private", PRIVATE);
  } catch (error) {
    const shots = await Promise.all(pages.map((p, i) => screenshot(p, `access-${i}`)));
    error.message += `\nscreenshots: ${shots.join(", ")}\n${stack.logs()}`;
    throw error;
  }
});

/** A static server on another 127.0.0.1 port: the other origin's page. */
let elsewhere = null;
after(() => new Promise((resolve) => (elsewhere ? elsewhere.close(() => resolve()) : resolve())));

test("a page on another origin can neither open the socket nor read the board with the user's cookie", { timeout: 60_000 }, async () => {
  const port = await freePort();
  elsewhere = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>elsewhere</title><p>nothing to see</p>");
  });
  await new Promise((resolve) => elsewhere.listen(port, "127.0.0.1", resolve));

  // Bo signs in (the cookie is set for 127.0.0.1) and opens a board of his own.
  const bo = await signIn("Bo", `${stack.web.url}/phases/4?board=bos-board`);
  await waitForTestIdText(bo, "board-connection", "live");
  await bo.goto(`http://127.0.0.1:${port}/`);
  const backend = stack.backend.url;
  const outcome = await bo.evaluate(async (backendUrl) => {
    const socket = await new Promise((resolve) => {
      const ws = new WebSocket(`${backendUrl.replace(/^http/, "ws")}/ws`, "liveboard.v1");
      const timer = setTimeout(() => resolve("no answer"), 10_000);
      ws.onopen = () => {
        clearTimeout(timer);
        ws.close();
        resolve("opened");
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        resolve(`closed ${e.code}`);
      };
    });
    const read = async (path) => {
      try {
        const response = await fetch(`${backendUrl}${path}`, { credentials: "include" });
        return `read ${response.status}`;
      } catch (error) {
        return `refused: ${error.name}`;
      }
    };
    return { socket, snapshot: await read("/boards/bos-board"), stream: await read("/boards/bos-board/events") };
  }, backend);
  assert.equal(outcome.socket, "closed 1006", "the handshake is refused (403) before any WebSocket opens");
  assert.equal(outcome.snapshot, "refused: TypeError", "the board's snapshot cannot be read");
  assert.equal(outcome.stream, "refused: TypeError", "the event stream cannot be read");
  // The same request from the web app's own origin reads it: the refusal is about the origin.
  await bo.goto(`${stack.web.url}/`);
  const own = await bo.evaluate((backendUrl) => fetch(`${backendUrl}/boards/bos-board`, { credentials: "include" }).then((r) => r.status), backend);
  assert.equal(own, 200);
});
