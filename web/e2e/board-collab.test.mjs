// The board as two people use it, end to end: no silent loss, ever. Two browser contexts
// (Ana and Bo) against the real backend: a concurrent edit ends in the conflict panel (for
// each order of events), a note deleted under an editor keeps the draft, an over-long note
// keeps its text, offline changes survive a reload and are applied once, and each kind of
// undo reaches the other person.
//
// The server's text limit is lowered (LIVEBOARD_BOARD_MAX_TEXT_CHARS=100) so that a text the
// page accepts (its own limit is 2000) is refused by the server: the refusal path is real.

import assert from "node:assert/strict";
import { test } from "node:test";

import { OPEN_BOARDS, setupStack, TIMEOUTS, waitForTestIdText, withTimeout } from "./harness.mjs";
import { addNote as add, column, confirmed, editText, joinBoard, note, typeInEditor, withEvidence as evidence } from "./board.mjs";

const SERVER_MAX_TEXT = 100;
// Two people on one board without a share link, and clients that do not sign in: every
// board open (this file is not about access; access.test.mjs, phase2 and phase3 are).
const stack = setupStack({ backendArgs: OPEN_BOARDS, backendEnv: { LIVEBOARD_BOARD_MAX_TEXT_CHARS: String(SERVER_MAX_TEXT) } });

/** Opens `board` on the phase 4 page (it has "Hold my changes") in a fresh context, as `name`, live. */
const join = (name, board) => joinBoard(stack, name, { board });
const withEvidence = (name, pages, body) => evidence(stack, "collab", name, pages, body);

/** Waits until `page` shows exactly `count` notes reading `text`. */
async function exactly(page, text, count) {
  await page.waitForFunction(
    ([t, n]) => [...document.querySelectorAll('[data-testid="note-text"]')].filter((e) => e.textContent === t).length === n,
    [text, count],
    { timeout: TIMEOUTS.ui, polling: 100 },
  );
}

/** Ctrl+Z outside any text field. */
async function undo(page) {
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  await page.keyboard.press("Control+z");
}

async function pair(board) {
  const ana = await join("Ana", board);
  const bo = await join("Bo", board);
  return { ana, bo, pages: [ana, bo] };
}

async function closeAll(pages) {
  assert.deepEqual(stack.pageErrors.map(String), [], "the pages threw uncaught errors");
  await Promise.all(pages.map((p) => p.context().close()));
}

test("a concurrent edit ends in the conflict panel, never a silent overwrite, in either order of events", async (t) => {
  const { ana, bo, pages } = await pair("collab-conflict");

  await t.test("Bo's save reaches Ana's open editor before she saves: she sees both texts and keeps both", () =>
    withEvidence("seen-first", pages, async () => {
      await add(ana, "To do", "Buy milk");
      await confirmed(bo, "Buy milk", "To do");
      await typeInEditor(ana, "Buy milk", "Buy milk and bread");
      await editText(bo, "Buy milk", "Buy oat milk");
      await confirmed(bo, "Buy oat milk", "To do");
      const panel = ana.getByTestId("note-conflict");
      await panel.waitFor();
      assert.match(await panel.getByTestId("note-conflict-by").textContent(), /^Bo changed this note/);
      assert.equal(await panel.getByTestId("note-conflict-theirs").textContent(), "Buy oat milk");
      assert.equal(await panel.getByTestId("note-conflict-mine").textContent(), "Buy milk and bread");
      // Nothing was sent: Bo still has his text.
      await confirmed(bo, "Buy oat milk", "To do");
      await panel.getByTestId("note-conflict-both").click();
      // Both texts live on, for both people: Ana's as a new note next to Bo's.
      await confirmed(bo, "Buy milk and bread", "To do");
      await confirmed(bo, "Buy oat milk", "To do");
      await confirmed(ana, "Buy milk and bread", "To do");
      await confirmed(ana, "Buy oat milk", "To do");
    }),
  );

  await t.test("Ana's save is in flight when Bo's lands: the server refuses hers, her editor comes back, she keeps hers", () =>
    withEvidence("in-flight", pages, async () => {
      await ana.getByTestId("board-hold").check();
      await editText(ana, "Buy oat milk", "Ana's words");
      await note(ana, "Ana's words").getByTestId("note-pending").waitFor();
      await editText(bo, "Buy oat milk", "Bo's words");
      await confirmed(bo, "Bo's words", "To do");
      await ana.getByTestId("toast").filter({ hasText: "Bo edited “Buy oat milk”" }).waitFor();
      await ana.getByTestId("board-hold").uncheck();
      const panel = ana.getByTestId("note-conflict");
      await panel.waitFor();
      assert.equal(await panel.getByTestId("note-conflict-theirs").textContent(), "Bo's words");
      assert.equal(await ana.getByTestId("note-edit-text").inputValue(), "Ana's words");
      await confirmed(bo, "Bo's words", "To do");
      // Keep mine: now knowingly based on Bo's version, so it goes through.
      await panel.getByTestId("note-conflict-mine-keep").click();
      await confirmed(ana, "Ana's words", "To do");
      await confirmed(bo, "Ana's words", "To do");
      await exactly(bo, "Bo's words", 0);
    }),
  );

  await closeAll(pages);
});

test("Bo sees that Ana is editing a note while her editor is open, and not once she closes it or leaves", async () => {
  const { ana, bo, pages } = await pair("collab-editing");
  await withEvidence("editing", pages, async () => {
    await add(ana, "To do", "Plan the trip");
    await confirmed(bo, "Plan the trip", "To do");
    // Ana opens the editor: the server passes the ephemeral note.editing on to Bo.
    await note(ana, "Plan the trip").getByTestId("note-edit").click();
    const mark = note(bo, "Plan the trip").getByTestId("note-editing-by");
    await waitForTestIdText(bo, "note-editing-by", "Ana is editing");
    // Ana sees no mark for her own editor.
    assert.equal(await note(ana, "Plan the trip").getByTestId("note-editing-by").count(), 0);
    // Escape closes it: editing:false reaches Bo.
    await ana.getByTestId("note-edit-text").press("Escape");
    await mark.waitFor({ state: "detached", timeout: TIMEOUTS.ui });
    // Open again, then Ana's tab goes away without a word: the server says editing:false for her.
    await note(ana, "Plan the trip").getByTestId("note-edit").click();
    await mark.waitFor({ timeout: TIMEOUTS.ui });
    await ana.context().close();
    await mark.waitFor({ state: "detached", timeout: TIMEOUTS.ui });
  });
  assert.deepEqual(stack.pageErrors.map(String), [], "the pages threw uncaught errors");
  await bo.context().close();
});

test("a note deleted while someone edits it keeps the draft, which can come back as a new note", async () => {
  const { ana, bo, pages } = await pair("collab-delete");
  await withEvidence("ghost", pages, async () => {
    await add(bo, "Doing", "Call the plumber");
    await confirmed(ana, "Call the plumber", "Doing");
    await typeInEditor(ana, "Call the plumber", "Call the plumber at 9");
    await note(bo, "Call the plumber").getByTestId("note-delete").click();
    await exactly(bo, "Call the plumber", 0);
    const ghost = ana.getByTestId("note-ghost");
    await ghost.waitFor();
    assert.match(await ghost.getByTestId("note-ghost-by").textContent(), /Deleted by Bo/);
    assert.equal(await ghost.getByTestId("note-ghost-text").textContent(), "Call the plumber at 9");
    await ghost.getByTestId("note-ghost-restore").click();
    await confirmed(bo, "Call the plumber at 9", "Doing");
    await ghost.waitFor({ state: "detached" });
  });
  await closeAll(pages);
});

test("an over-long note keeps its text: held back by the page, or refused by the server and given back", async () => {
  const { ana, bo, pages } = await pair("collab-long");
  await withEvidence("long", pages, async () => {
    // Over the page's own limit: Add waits, the text stays where it was typed.
    const input = column(ana, "To do").getByTestId("note-composer-input");
    await input.fill("x".repeat(2001));
    assert.equal(await column(ana, "To do").getByTestId("note-composer-add").isDisabled(), true);
    assert.match(await column(ana, "To do").getByTestId("note-composer-count").textContent(), /2001\/2000/);
    await input.press("Enter");
    assert.equal((await input.inputValue()).length, 2001);

    // Over the server's limit only: refused; the text comes back with "Put it back".
    const long = "y".repeat(SERVER_MAX_TEXT + 1);
    await input.fill(long);
    await input.press("Enter");
    const notice = ana.getByTestId("board-rejection").filter({ hasText: "Your new note was not added" });
    await notice.waitFor();
    assert.doesNotMatch(await notice.locator("p").first().textContent(), /LIVEBOARD_/);
    await notice.getByTestId("notice-put-back").click();
    assert.equal(await input.inputValue(), long);
    await exactly(bo, long, 0);

    // An edit over the server's limit: the editor comes back with the text and the reason.
    await add(ana, "To do", "short");
    await confirmed(ana, "short", "To do");
    await editText(ana, "short", long);
    await ana.getByTestId("note-edit-error").waitFor();
    assert.equal(await ana.getByTestId("note-edit-text").inputValue(), long);
    assert.doesNotMatch(await ana.getByTestId("note-edit-error").locator("p").first().textContent(), /LIVEBOARD_/);
    await confirmed(bo, "short", "To do");
  });
  await closeAll(pages);
});

test("offline changes survive a reload and are applied exactly once", async () => {
  const { ana, bo, pages } = await pair("collab-offline");
  await withEvidence("offline", pages, async () => {
    await add(ana, "To do", "Before the outage");
    await confirmed(bo, "Before the outage", "To do");
    await stack.backend.stop();
    await ana.locator('[data-testid="board-connection"][data-state="offline"]').waitFor();
    await add(ana, "Doing", "Made offline");
    const pending = note(ana, "Made offline", "Doing").getByTestId("note-pending");
    await waitForTestIdText(ana, "note-pending", "waiting — offline");
    assert.equal(await pending.getAttribute("data-online"), "false");

    // Leaving with unsent changes asks first; here the person says yes and reloads.
    const asked = new Promise((resolve) =>
      ana.once("dialog", async (dialog) => {
        resolve(dialog.type());
        await dialog.accept();
      }),
    );
    await ana.reload();
    assert.equal(await withTimeout(asked, TIMEOUTS.ui, "no beforeunload dialog"), "beforeunload");
    // Still offline: the last known board, marked so, with the change waiting.
    await ana.getByTestId("board-offline-restored").waitFor();
    await note(ana, "Before the outage", "To do").waitFor();
    await note(ana, "Made offline", "Doing").getByTestId("note-pending").waitFor();

    await stack.backend.restart();
    await waitForTestIdText(ana, "board-connection", "live", { timeout: 30_000 });
    await confirmed(ana, "Made offline", "Doing");
    await ana.getByTestId("board-offline-restored").waitFor({ state: "detached" });
    await waitForTestIdText(bo, "board-connection", "live", { timeout: 30_000 });
    await confirmed(bo, "Made offline", "Doing");
    await exactly(bo, "Made offline", 1);
    const snapshot = await (await fetch(`${stack.backend.url}/boards/collab-offline`)).json();
    assert.deepEqual(snapshot.notes.map((n) => n.text).sort(), ["Before the outage", "Made offline"]);
  });
  await closeAll(pages);
});

test("undo of a create, an edit, a move and a delete reaches the other person", async (t) => {
  const { ana, bo, pages } = await pair("collab-undo");

  await t.test("create", () =>
    withEvidence("undo-create", pages, async () => {
      await add(ana, "To do", "Oops");
      await confirmed(bo, "Oops", "To do");
      await undo(ana);
      await exactly(bo, "Oops", 0);
      await exactly(ana, "Oops", 0);
    }),
  );

  await t.test("edit", () =>
    withEvidence("undo-edit", pages, async () => {
      await add(ana, "To do", "Buy milk");
      await confirmed(bo, "Buy milk", "To do");
      await editText(ana, "Buy milk", "Buy beer");
      await confirmed(bo, "Buy beer", "To do");
      await undo(ana);
      await confirmed(bo, "Buy milk", "To do");
    }),
  );

  await t.test("move, and focus stays on the moved note", () =>
    withEvidence("undo-move", pages, async () => {
      await note(ana, "Buy milk").focus();
      await ana.keyboard.press("Alt+ArrowRight");
      await confirmed(bo, "Buy milk", "Doing");
      assert.equal(await ana.evaluate(() => document.activeElement?.getAttribute("data-testid")), "note");
      await waitForTestIdText(ana, "board-announcer", "Moved “Buy milk” to Doing");
      await bo.getByTestId("toast").filter({ hasText: "Ana moved “Buy milk” to Doing" }).waitFor();
      // Focus is on the note (not a text field): Ctrl+Z undoes the move.
      await ana.keyboard.press("Control+z");
      await confirmed(bo, "Buy milk", "To do");
    }),
  );

  await t.test("delete, from the toast's Undo", () =>
    withEvidence("undo-delete", pages, async () => {
      await note(ana, "Buy milk").getByTestId("note-delete").click();
      await exactly(bo, "Buy milk", 0);
      await ana.getByTestId("toast").filter({ hasText: "Deleted “Buy milk”" }).getByTestId("toast-undo").click();
      await confirmed(bo, "Buy milk", "To do");
      await exactly(bo, "Buy milk", 1);
    }),
  );

  await closeAll(pages);
});
