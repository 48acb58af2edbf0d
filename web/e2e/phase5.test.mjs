// Phase 5 end to end: links that fail. The backend runs with a short heartbeat (every 500 ms,
// a 1.5 s deadline) so a dead link is noticed in seconds.
//
// (a) The link goes half-open: the backend is frozen with SIGSTOP (the harness signals only
//     the process it started). No close event comes; the page's own deadline fires, the badge
//     says so, and after SIGCONT the page reconnects and resumes: a note created in a second
//     window while the first was cut off appears there exactly once.
// (b) The /phases/5 page: dropping the link shows the close, the delay chosen and the resume
//     in the timeline; going offline holds the reconnection and counts the changes waiting.
//
// Needs the phase-5 backend (LIVEBOARD_BACKEND_BIN=../target/debug/liveboard). Waits are bounded
// by the deadline the page was told (`connection.policy`), or the default 50 s without one.

import assert from "node:assert/strict";
import { test } from "node:test";

import { OPEN_BOARDS, TIMEOUTS, setupStack, waitForTestIdText } from "./harness.mjs";
import { addNote, confirmed, joinBoard, note as notes, withEvidence as evidence } from "./board.mjs";

// Two people on one board without a share link, and clients that do not sign in: every
// board open (this file is not about access; access.test.mjs, phase2 and phase3 are).
const stack = setupStack({ backendArgs: [...OPEN_BOARDS, "--heartbeat-interval-ms", "500", "--heartbeat-deadline-ms", "1500"] });

/** Opens `path` on `board` in a fresh context, joins as `name`, waits until the board is live. */
const join = (name, path, board) => joinBoard(stack, name, { path, board });
const withEvidence = (name, pages, body) => evidence(stack, "phase5", name, pages, body);

test("a frozen backend: the page notices by its own deadline, says so, and catches up once it runs again", async () => {
  const board = "e2e-half-open";
  const ana = await join("Ana", "/phases/5", board);
  const bo = await join("Bo", "/", board);
  const pages = [ana, bo];
  await withEvidence("half-open", pages, async () => {
    await addNote(ana, "To do", "Before the freeze");
    await confirmed(bo, "Before the freeze");
    const deadlineMs = Number(await ana.getByTestId("link-policy").getAttribute("data-deadline-ms"));
    assert.ok(deadlineMs > 0, "the page knows its deadline");

    stack.backend.signal("SIGSTOP");
    try {
      // No close event comes: only the page's own deadline can tell.
      await ana.locator('[data-testid="board-connection"][data-status="reconnecting"]').waitFor({ timeout: deadlineMs + TIMEOUTS.ui });
      const words = await ana.getByTestId("board-connection").textContent();
      assert.match(words ?? "", /^connection lost: no answer for [\d.]+ s — reconnecting in [\d.]+ s/);
      await ana.locator('[data-testid="timeline-entry"][data-kind="deadline"]').first().waitFor();
      // Meanwhile Bo adds a note: it shows at once on his page, waiting for the server.
      await addNote(bo, "Doing", "While Ana was cut off");
      await notes(bo, "While Ana was cut off").waitFor();
    } finally {
      stack.backend.signal("SIGCONT");
    }

    await waitForTestIdText(ana, "board-connection", "live", { timeout: deadlineMs + 30_000 });
    await confirmed(ana, "While Ana was cut off");
    await confirmed(bo, "While Ana was cut off");
    // Exactly once on both pages: replayed events and re-sent ops are never applied twice.
    assert.equal(await notes(ana, "While Ana was cut off").count(), 1);
    assert.equal(await notes(bo, "While Ana was cut off").count(), 1);
    assert.equal(await notes(ana, "Before the freeze").count(), 1);
    // The timeline says how Ana's page came back: a resume, or a snapshot after a reset.
    await ana.locator('[data-testid="timeline-entry"]:is([data-kind="resume"], [data-kind="snapshot"])').first().waitFor();
  });
  assert.deepEqual(stack.pageErrors.map(String), [], "the pages threw uncaught errors");
  await ana.context().close();
  await bo.context().close();
});

test("the phase 5 page: a dropped link in the timeline with the delay chosen, and offline with changes waiting", async () => {
  const page = await join("Cy", "/phases/5", "e2e-timeline");
  await withEvidence("timeline", [page], async () => {
    await page.getByTestId("link-drop").click();
    const dropped = page.locator('[data-testid="timeline-entry"][data-kind="state"][data-to="waiting"]').filter({ hasText: "dropped on the page" });
    await dropped.first().waitFor();
    const delay = page.locator('[data-testid="timeline-entry"][data-kind="delay"]').first();
    await delay.waitFor();
    assert.equal(await delay.getAttribute("data-why"), "policy");
    assert.ok(Number(await delay.getAttribute("data-delay-ms")) >= 0);
    assert.match((await delay.textContent()) ?? "", /retry #1 in [\d.]+ m?s \(attempt 0, draw 0\.\d{3}/);
    await waitForTestIdText(page, "board-connection", "live");
    await page.locator('[data-testid="timeline-entry"][data-kind="state"][data-to="open"]').nth(1).waitFor();
    await page.locator('[data-testid="timeline-entry"][data-kind="resume"]').first().waitFor();

    // Offline: no reconnection, and the badge counts what waits.
    await page.getByTestId("link-offline").click();
    await waitForTestIdText(page, "board-connection", "offline");
    await addNote(page, "To do", "Written offline");
    await waitForTestIdText(page, "board-connection", "offline — 1 change waiting");
    await page.getByTestId("link-online").click();
    await waitForTestIdText(page, "board-connection", "live");
    await confirmed(page, "Written offline");
  });
  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await page.context().close();
});
