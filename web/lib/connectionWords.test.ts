import { describe, expect, it } from "vitest";

import { initialSupervisor, supervise } from "./connectionSupervisor";
import { badgeState, linkStatus, statusWords, timeUntil, type LinkStatus } from "./connectionWords";

const reconnecting = (at: number, delayMs: number, loss: Extract<LinkStatus, { kind: "reconnecting" }>["loss"]): LinkStatus => ({
  kind: "reconnecting",
  at,
  delayMs,
  loss,
});

describe("the connection's status words", () => {
  it("say live, connecting and syncing plainly", () => {
    expect(statusWords({ kind: "live" }, 0, 0)).toBe("live");
    expect(statusWords({ kind: "connecting" }, 0, 0)).toBe("connecting…");
    expect(statusWords({ kind: "syncing" }, 0, 0)).toBe("syncing…");
    expect(statusWords({ kind: "no-identity" }, 0, 0)).toBe("pick a name to join");
  });

  it("count down the delay actually chosen, in tenths of a second under 10 s, rounded up", () => {
    const status = reconnecting(10_000, 2_300, { kind: "closed", code: 1006, meaning: "connection lost without a close frame" });
    // Said when the delay was chosen: the very number drawn, not the window's whole seconds.
    expect(statusWords(status, 0, 7_700)).toBe("reconnecting in 2.3 s");
    expect(statusWords(status, 0, 8_000)).toBe("reconnecting in 2 s");
    expect(statusWords(status, 0, 9_950)).toBe("reconnecting in 0.1 s");
    expect(statusWords(status, 0, 10_500)).toBe("reconnecting in 0 s");
    expect(statusWords(reconnecting(40_000, 25_000, { kind: "closed", code: 1006, meaning: "" }), 0, 15_000)).toBe("reconnecting in 25 s");
    expect(timeUntil(10_001, 0)).toBe("11 s");
    expect(timeUntil(340, 0)).toBe("0.4 s");
  });

  it("show the delay the supervisor drew, so different draws read differently", () => {
    const said = [0.1, 0.5, 0.9].map((draw) => {
      const open = supervise(initialSupervisor(0), { type: "opened", at: 0 }).state;
      const waiting = supervise(open, { type: "closed", at: 100, code: 1006, reason: "", draw }).state;
      const status = linkStatus(waiting, false);
      if (status.kind !== "reconnecting") throw new Error(`expected reconnecting, got ${status.kind}`);
      expect(status.at - 100).toBe(status.delayMs);
      expect(statusWords(status, 0, 100)).toBe(`reconnecting in ${timeUntil(status.at, 100)}`);
      return statusWords(status, 0, 100);
    });
    expect(new Set(said).size).toBe(3);
  });

  it("say when the link was given up for silence, and how long the deadline was", () => {
    const status = reconnecting(51_000, 900, { kind: "deadline", silentMs: 50_100, deadlineMs: 50_000 });
    expect(statusWords(status, 0, 50_100)).toBe("connection lost: no answer for 50 s — reconnecting in 0.9 s");
    expect(statusWords(reconnecting(3_000, 900, { kind: "deadline", silentMs: 1_600, deadlineMs: 1_500 }), 2, 2_100)).toBe(
      "connection lost: no answer for 1.5 s — reconnecting in 0.9 s — 2 changes waiting",
    );
  });

  it("say how many changes wait while offline", () => {
    expect(statusWords({ kind: "offline" }, 0, 0)).toBe("offline");
    expect(statusWords({ kind: "offline" }, 1, 0)).toBe("offline — 1 change waiting");
    expect(statusWords({ kind: "offline" }, 2, 0)).toBe("offline — 2 changes waiting");
  });

  it("say why the page stopped", () => {
    expect(statusWords({ kind: "stopped", reason: "1009 message too big" }, 3, 0)).toBe("stopped: 1009 message too big");
  });

  it("follow the supervisor: open is live only once the board is synced", () => {
    const open = supervise(initialSupervisor(0), { type: "opened", at: 1 }).state;
    expect(linkStatus(open, false)).toEqual({ kind: "syncing" });
    expect(linkStatus(open, true)).toEqual({ kind: "live" });
    const waiting = supervise(open, { type: "closed", at: 2, code: 1006, reason: "", draw: 0 }).state;
    expect(linkStatus(waiting, true)).toMatchObject({ kind: "reconnecting", at: 252, delayMs: 250 });
  });

  it("keep the badge's coarse states the earlier pages and tests rely on", () => {
    expect(badgeState({ kind: "live" })).toBe("live");
    expect(badgeState({ kind: "syncing" })).toBe("open");
    expect(badgeState({ kind: "offline" })).toBe("offline");
    expect(badgeState({ kind: "stopped", reason: "x" })).toBe("offline");
    expect(badgeState(reconnecting(0, 0, { kind: "dropped" }))).toBe("offline");
  });
});
