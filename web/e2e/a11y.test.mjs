// Accessibility end to end: axe-core (injected from node_modules, no network) on every
// page of the app, and tap targets of at least 44 × 44 CSS pixels on a phone-sized screen.
// A serious or critical axe finding fails the test with the rule, the element and the fix.

import assert from "node:assert/strict";
import { test } from "node:test";

import { OPEN_BOARDS, TIMEOUTS, axeViolations, describeViolations, setupStack } from "./harness.mjs";
import { joinOn } from "./board.mjs";

// Two people on one board without a share link, and clients that do not sign in: every
// board open (this file is not about access; access.test.mjs, phase2 and phase3 are).
const stack = setupStack({ backendArgs: OPEN_BOARDS });
const BOARD = "a11y-board";

/** Joins the board `BOARD` on `path` as `name` and waits until it is live. */
const join = (page, name, path = "/phases/4") => joinOn(stack, page, name, { path, board: BOARD });

/** Rules checked at every impact: axe rates them below serious, the issue asked for them. */
const ALWAYS_CHECKED = ["heading-order", "label", "label-title-only"];

/**
 * Fails with a readable list when the page has a serious or critical axe violation, or any
 * violation of {@link ALWAYS_CHECKED}.
 */
async function assertNoSeriousViolations(page, what) {
  const all = await axeViolations(page, { impacts: ["minor", "moderate", "serious", "critical"] });
  const violations = all.filter((v) => v.impact === "serious" || v.impact === "critical" || ALWAYS_CHECKED.includes(v.id));
  assert.equal(violations.length, 0, `${what}: axe-core found violations:\n${describeViolations(violations)}`);
}

/** A page in a fresh context whose viewport is `viewport` (default: the browser's). */
async function pageWith(viewport) {
  const page = await stack.newPage();
  if (viewport) await page.setViewportSize(viewport);
  return page;
}

/** Adds a note with `text` to the first column and waits until the server confirmed it. */
async function addNote(page, text) {
  await page.getByTestId("note-composer-input").first().fill(text);
  await page.getByTestId("note-composer-add").first().click();
  await page
    .getByTestId("note")
    .filter({ has: page.getByTestId("note-text").getByText(text, { exact: true }) })
    .and(page.locator('[data-pending="false"]'))
    .waitFor();
}

test("every page has no serious or critical axe-core finding", async (t) => {
  const page = await pageWith();
  const pages = [
    ["/", "The board"],
    ["/phases/1", /Foundations/],
    ["/phases/2", /Server-Sent Events/],
    ["/phases/3", /WebSocket/],
    ["/phases/4", /optimistic UI/],
    ["/phases/5", /Hardening/],
    ["/phases/6", /Third-party libraries/],
    ["/no-such-page", "No page here"],
  ];
  for (const [path, heading] of pages) {
    await t.test(path, async () => {
      await page.goto(`${stack.web.url}${path}`);
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      // The parts drawn in the browser (the board, the panels) are there too.
      await page.getByRole("navigation", { name: "Phases" }).waitFor();
      await page.waitForLoadState("networkidle").catch(() => {});
      await assertNoSeriousViolations(page, path);
    });
  }
  await page.context().close();
});

test("a board with notes on /phases/4 has no serious or critical finding, for a person who joined and one who did not", async () => {
  const ana = await pageWith();
  await join(ana, "Ana");
  await addNote(ana, "Check the contrast");
  await addNote(ana, "Label the inputs");
  await assertNoSeriousViolations(ana, "/phases/4 joined");

  const visitor = await pageWith();
  await visitor.goto(`${stack.web.url}/phases/4?board=${BOARD}`);
  await visitor.getByTestId("note-text").getByText("Label the inputs", { exact: true }).waitFor();
  await assertNoSeriousViolations(visitor, "/phases/4 not joined");

  assert.deepEqual(stack.pageErrors.map(String), [], "the page threw uncaught errors");
  await ana.context().close();
  await visitor.context().close();
});

/** The bounding boxes of every element `locator` matches that is under 44 × 44 px. */
async function smallTargets(locator) {
  const boxes = await locator.evaluateAll((elements) =>
    elements.map((e) => {
      const r = e.getBoundingClientRect();
      return { what: e.getAttribute("data-testid") || e.getAttribute("aria-label") || e.textContent?.trim() || e.tagName, width: r.width, height: r.height };
    }),
  );
  assert.ok(boxes.length > 0, "no element to measure");
  return boxes.filter((b) => b.width < 44 || b.height < 44);
}

test("on a 390 × 844 phone screen, a note's buttons, the nav links and the add buttons are at least 44 px square", async () => {
  const phone = await pageWith({ width: 390, height: 844 });
  await join(phone, "Cy", "/");
  await addNote(phone, "Tap me");
  const card = phone.getByTestId("note").filter({ has: phone.getByTestId("note-text").getByText("Tap me", { exact: true }) });

  const targets = {
    "note buttons": card.locator("footer button"),
    "nav links": phone.getByRole("navigation", { name: "Phases" }).getByRole("link"),
    "add buttons": phone.getByTestId("note-composer-add"),
  };
  for (const [name, locator] of Object.entries(targets)) {
    assert.deepEqual(await smallTargets(locator), [], `${name} smaller than 44 × 44 px`);
  }

  // Above `sm` the same buttons keep their compact desktop size.
  await phone.setViewportSize({ width: 1280, height: 900 });
  await phone.waitForFunction(
    () => (document.querySelector('[data-testid="note-edit"]')?.getBoundingClientRect().height ?? 99) < 44,
    null,
    { timeout: TIMEOUTS.ui, polling: 100 },
  );
  await phone.context().close();
});
