import { describe, expect, it } from "vitest";

import { describeVerdict, explainClose, type CloseFacts } from "./closeReport";
import { CLOSE_CODES } from "./generated/closeCodes";

function facts(code: number, extra: Partial<CloseFacts> = {}): CloseFacts {
  return { code, reason: "", wasClean: true, initiatedBy: "server", at: 1, ...extra };
}

describe("explainClose", () => {
  it("reads meaning and verdict from the generated table, not from a copy", () => {
    for (const row of CLOSE_CODES) {
      expect(explainClose(facts(row.code))).toMatchObject({
        code: row.code,
        name: row.name,
        meaning: row.reason,
        verdict: row.verdict,
        sentOnWire: row.sentOnWire,
      });
    }
  });

  it("says a normal closure means stop, and a lost connection means reconnect", () => {
    expect(explainClose(facts(1000, { initiatedBy: "client" }))).toMatchObject({
      name: "Normal",
      verdict: "stop",
      initiatedBy: "client",
    });
    expect(explainClose(facts(1006, { wasClean: false, initiatedBy: "lost" }))).toMatchObject({
      verdict: "reconnect",
      sentOnWire: false,
      wasClean: false,
    });
  });

  it("keeps the reason the peer sent beside the table's meaning", () => {
    const report = explainClose(facts(1009, { reason: "message too big" }));
    expect(report.reason).toBe("message too big");
    expect(report.verdict).toBe("stop");
  });

  it("explains codes outside the table by their range, and does not reconnect on them", () => {
    expect(explainClose(facts(4000))).toMatchObject({ name: "Application", verdict: "stop" });
    expect(explainClose(facts(3001))).toMatchObject({ name: "Library", verdict: "stop" });
    expect(explainClose(facts(1004))).toMatchObject({ name: "Reserved", verdict: "stop" });
    expect(explainClose(facts(999))).toMatchObject({ name: "Invalid", verdict: "stop" });
    expect(explainClose(facts(4000)).meaning).toMatch(/4000–4999/);
  });
});

describe("describeVerdict", () => {
  it("has a sentence for each verdict", () => {
    expect(describeVerdict("reconnect")).toMatch(/backoff/);
    expect(describeVerdict("stop")).toMatch(/not/);
    expect(describeVerdict("reauthenticate")).toMatch(/sign in/);
  });
});
