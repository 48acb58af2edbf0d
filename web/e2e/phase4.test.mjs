// Phase 4 end to end: two people (two browser contexts) on one board. A note created in one
// window appears in the other; an edit and a move travel both ways; a refused change rolls
// back visibly; the backend restarts on the same data directory and the board is still there.
//
// Needs the phase-4 backend (or later): LIVEBOARD_BACKEND_BIN=../target/debug/phase-4-board.

import assert from "node:assert/strict";
import { test } from "node:test";

import { OPEN_BOARDS, TIMEOUTS, setupStack, waitForTestIdText } from "./harness.mjs";
import { column, confirmed, editText, joinBoard, note, withEvidence as evidence } from "./board.mjs";

// Two people on one board without a share link, and clients that do not sign in: every
// board open (this file is not about access; access.test.mjs, phase2 and phase3 are).
const stack = setupStack({ backendArgs: OPEN_BOARDS });
const BOARD = "e2e-board";
/** Opens the board on /phases/4 (where "Hold my changes" is) in a fresh context as `name`, live. */
const join = (name) => joinBoard(stack, name, { board: BOARD });
const withEvidence = (name, pages, body) => evidence(stack, "phase4", name, pages, body);

test("the landing page is the board, and links to the phase 4 page", async () => {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/`);
  await page.getByRole("heading", { level: 1, name: "The board" }).waitFor();
  await waitForTestIdText(page, "board-name", "demo");
  await page.getByRole("navigation", { name: "Phases" }).getByRole("link", { name: /The board/ }).click();
  await page.waitForURL(`${stack.web.url}/phases/4`, { timeout: TIMEOUTS.ui });
  await page.getByRole("heading", { level: 1, name: /optimistic UI/ }).waitFor();
  await page.context().close();
});

test("two people edit one board: each sees the other's changes, a refused change rolls back, a restart keeps the board", async (t) => {
  const ana = await join("Ana");
  const bo = await join("Bo");
  const pages = [ana, bo];

  await t.test("each sees the other online", () =>
    withEvidence("presence", pages, async () => {
      await ana.locator('[data-testid="presence-avatar"][data-name="Bo"]').waitFor();
      await bo.locator('[data-testid="presence-avatar"][data-name="Ana"]').waitFor();
    }),
  );

  await t.test("a note created in one window appears in the other, with a notification", () =>
    withEvidence("create", pages, async () => {
      await column(ana, "To do").getByTestId("note-composer-input").fill("Buy milk");
      await column(ana, "To do").getByTestId("note-composer-input").press("Enter");
      // Optimistic: it is there at once; confirmed once the server answered.
      await note(ana, "Buy milk", "To do").waitFor();
      await confirmed(ana, "Buy milk", "To do");
      await confirmed(bo, "Buy milk", "To do");
      await bo.getByTestId("toast").filter({ hasText: "Ana added “Buy milk” to To do" }).waitFor();
    }),
  );

  await t.test("an edit in the other window appears in the first", () =>
    withEvidence("edit", pages, async () => {
      await editText(bo, "Buy milk", "Buy oat milk");
      await confirmed(bo, "Buy oat milk");
      await confirmed(ana, "Buy oat milk", "To do");
      await ana.getByTestId("toast").filter({ hasText: "Bo edited “Buy milk”: now “Buy oat milk”" }).waitFor();
    }),
  );

  await t.test("a move shows in both windows (drag and drop, then the keyboard)", () =>
    withEvidence("move", pages, async () => {
      await note(ana, "Buy oat milk", "To do").dragTo(column(ana, "Doing"));
      await confirmed(ana, "Buy oat milk", "Doing");
      await confirmed(bo, "Buy oat milk", "Doing");
      // The keyboard alternative: focus the note, Alt+→.
      await note(bo, "Buy oat milk").focus();
      await bo.keyboard.press("Alt+ArrowRight");
      await confirmed(bo, "Buy oat milk", "Done");
      await confirmed(ana, "Buy oat milk", "Done");
      await ana.getByTestId("toast").filter({ hasText: "Bo moved “Buy oat milk” to Done" }).waitFor();
      assert.equal(await column(ana, "To do").getByTestId("note").count(), 0);
    }),
  );

  await t.test("a conflicting edit is refused: the editor comes back with both texts, and taking theirs rolls back", () =>
    withEvidence("conflict", pages, async () => {
      // Ana holds her changes: her edit shows at once, marked pending, and is not sent.
      await ana.getByTestId("board-hold").check();
      await editText(ana, "Buy oat milk", "Ana's words");
      const anaNote = note(ana, "Ana's words", "Done");
      await anaNote.getByTestId("note-pending").waitFor();
      // Meanwhile Bo edits the same text, and the server accepts his change first.
      await editText(bo, "Buy oat milk", "Bo's words");
      await confirmed(bo, "Bo's words", "Done");
      // Ana receives Bo's change; her pending edit stays on top of it (rebased).
      await ana.getByTestId("toast").filter({ hasText: "Bo edited “Buy oat milk”" }).waitFor();
      await anaNote.getByTestId("note-pending").waitFor();
      // Release: her op was based on the old version, so the server refuses it.
      await ana.getByTestId("board-hold").uncheck();
      // Her text is not lost: the editor comes back and shows both, and she chooses.
      const panel = ana.getByTestId("note-conflict");
      await panel.waitFor();
      assert.equal(await panel.getByTestId("note-conflict-mine").textContent(), "Ana's words");
      assert.equal(await panel.getByTestId("note-conflict-theirs").textContent(), "Bo's words");
      await panel.getByTestId("note-conflict-theirs-take").click();
      await confirmed(ana, "Bo's words", "Done");
      assert.equal(await note(ana, "Ana's words").count(), 0);
      await confirmed(bo, "Bo's words", "Done");
    }),
  );

  await t.test("a text over the limit cannot be saved, and stays in the editor until Escape", () =>
    withEvidence("too-long", pages, async () => {
      await note(ana, "Bo's words").getByTestId("note-edit").click();
      await ana.getByTestId("note-edit-text").fill("x".repeat(2001));
      assert.equal(await ana.getByTestId("note-save").isDisabled(), true);
      await ana.getByTestId("note-edit-text").press("Enter");
      assert.equal((await ana.getByTestId("note-edit-text").inputValue()).length, 2001);
      await waitForTestIdText(ana, "note-edit-count", "2001/2000");
      await ana.getByTestId("note-edit-text").press("Escape");
      // Escape closes the editor and focus goes back to the note.
      await confirmed(ana, "Bo's words", "Done");
      assert.equal(await ana.evaluate(() => document.activeElement?.getAttribute("data-testid")), "note");
      await confirmed(bo, "Bo's words", "Done");
    }),
  );

  await t.test("the backend restarts on the same data directory: the board is still there", () =>
    withEvidence("restart", pages, async () => {
      await stack.backend.stop();
      await ana.locator('[data-testid="board-connection"][data-state="offline"]').waitFor();
      // A change made offline waits in the queue, shown at once and marked pending.
      await column(ana, "To do").getByTestId("note-composer-input").fill("Made offline");
      await column(ana, "To do").getByTestId("note-composer-input").press("Enter");
      await note(ana, "Made offline", "To do").getByTestId("note-pending").waitFor();
      await stack.backend.restart();
      // Ana's page reconnects by itself, resumes from its last position, sends the queued op.
      await waitForTestIdText(ana, "board-connection", "live", { timeout: 30_000 });
      await confirmed(ana, "Bo's words", "Done");
      await confirmed(ana, "Made offline", "To do");
      // Bo reloads: the board comes from the store, by snapshot.
      await bo.reload();
      await waitForTestIdText(bo, "board-connection", "live");
      await confirmed(bo, "Bo's words", "Done");
      await confirmed(bo, "Made offline", "To do");
      // And it keeps working: a change after the restart reaches the other window.
      await column(bo, "Doing").getByTestId("note-composer-input").fill("After the restart");
      await column(bo, "Doing").getByTestId("note-composer-input").press("Enter");
      await confirmed(ana, "After the restart", "Doing");
      // The HTTP snapshot agrees.
      const snapshot = await (await fetch(`${stack.backend.url}/boards/${BOARD}`)).json();
      assert.deepEqual(snapshot.notes.map((n) => n.text).sort(), ["After the restart", "Bo's words", "Made offline"]);
    }),
  );

  assert.deepEqual(stack.pageErrors.map(String), [], "the pages threw uncaught errors");
  await ana.context().close();
  await bo.context().close();
});

test("the phase 4 page shows the pending ops queue and the reconciliation log", async () => {
  const page = await stack.newPage();
  await page.goto(`${stack.web.url}/phases/4?board=${BOARD}`);
  await page.getByTestId("sse-name-input").fill("Cy");
  await page.getByTestId("sse-join").click();
  await waitForTestIdText(page, "board-connection", "live");
  await page.getByTestId("board-hold").check();
  await column(page, "To do").getByTestId("note-composer-input").fill("Held back");
  await column(page, "To do").getByTestId("note-composer-input").press("Enter");
  await page.locator('[data-testid="inspector-pending-op"][data-status="queued"]').waitFor();
  await page.getByTestId("board-hold").uncheck();
  await page.getByTestId("inspector-pending-op").waitFor({ state: "detached" });
  await page.locator('[data-testid="inspector-log"] [data-kind="confirmed"]').first().waitFor();
  await confirmed(page, "Held back", "To do");
  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await page.context().close();
});

test("a visitor who has not joined sees the notes read-only with a prompt to join, then joins with a color nobody uses", async () => {
  const board = "e2e-visitor";
  // The palette's first color: Ana takes it, so the visitor must be offered another. Her
  // color control waits for the board's offer (a random free color), so her choice is hers
  // even when the offer is this very color (choosing the shown color fires no change).
  const first = "#4f46e5";
  const ana = await stack.newPage();
  await ana.goto(`${stack.web.url}/phases/4?board=${board}`);
  await ana.getByTestId("sse-name-input").fill("Ana");
  await ana.getByTestId("sse-color-input").fill(first);
  await ana.getByTestId("sse-join").click();
  await waitForTestIdText(ana, "board-connection", "live");
  await column(ana, "To do").getByTestId("note-composer-input").fill("Seen before joining");
  await column(ana, "To do").getByTestId("note-composer-input").press("Enter");
  await confirmed(ana, "Seen before joining", "To do");

  const visitor = await stack.newPage();
  await visitor.goto(`${stack.web.url}/?board=${board}`);
  const readOnly = visitor.getByTestId("board-read-only");
  await readOnly.getByTestId("note-text").getByText("Seen before joining", { exact: true }).waitFor();
  await readOnly.getByRole("heading", { name: /join to edit/ }).waitFor();
  assert.equal(await visitor.getByTestId("note-composer-input").count(), 0, "nothing to type into before joining");
  assert.equal(await visitor.getByTestId("note-edit").count(), 0, "no Edit button before joining");
  // "Hold my changes" is a phase 4 lesson: not on the landing page.
  assert.equal(await visitor.getByTestId("board-hold").count(), 0);

  // Ana is on the board with the first color: the visitor is offered another one.
  await visitor.waitForFunction(
    (taken) => {
      const input = document.querySelector('[data-testid="sse-color-input"]');
      return input instanceof HTMLInputElement && input.value !== taken;
    },
    first,
    { timeout: TIMEOUTS.ui, polling: 100 },
  );
  await visitor.getByTestId("sse-name-input").fill("Vi");
  await visitor.getByTestId("sse-join").click();
  await waitForTestIdText(visitor, "board-connection", "live");
  await readOnly.waitFor({ state: "detached" });
  await confirmed(visitor, "Seen before joining", "To do");
  await visitor.getByTestId("note-composer-input").first().waitFor();

  for (const path of ["/", "/phases/5"]) {
    await visitor.goto(`${stack.web.url}${path}?board=${board}`);
    await waitForTestIdText(visitor, "board-connection", "live");
    assert.equal(await visitor.getByTestId("board-hold").count(), 0, `"Hold my changes" on ${path}`);
  }
  await visitor.goto(`${stack.web.url}/phases/4?board=${board}`);
  await visitor.getByTestId("board-hold").waitFor();

  assert.deepEqual(stack.pageErrors.map(String), [], "the pages threw uncaught errors");
  await ana.context().close();
  await visitor.context().close();
});
