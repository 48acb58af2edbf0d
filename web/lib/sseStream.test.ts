import { describe, expect, it } from "vitest";

import { isBoardName, parseResume, pushLog, withLastEventId, type LogEntry } from "./sseStream";

describe("parseResume", () => {
  it("tells fresh, recovered and reset apart", () => {
    expect(parseResume("ready", '{"position":"e-0","recovered":false,"replayed":0}')).toEqual({
      kind: "fresh",
      position: "e-0",
    });
    expect(parseResume("ready", '{"position":"e-9","recovered":true,"replayed":3}')).toEqual({
      kind: "recovered",
      position: "e-9",
      replayed: 3,
    });
    expect(parseResume("reset", '{"position":"e-9","reason":"restarted"}')).toEqual({
      kind: "reset",
      position: "e-9",
      reason: "restarted",
    });
  });

  it("ignores other events and bad data", () => {
    expect(parseResume("message", "{}")).toBeNull();
    expect(parseResume("ready", "nope")).toBeNull();
  });
});

describe("withLastEventId", () => {
  it("adds or replaces the query parameter, keeping the others", () => {
    expect(withLastEventId("http://h/boards/demo/events?clientId=a", "e-4")).toBe(
      "http://h/boards/demo/events?clientId=a&lastEventId=e-4",
    );
    expect(withLastEventId("http://h/x?lastEventId=e-1", "e-2")).toBe("http://h/x?lastEventId=e-2");
    expect(withLastEventId("http://h/x", "")).toBe("http://h/x");
  });
});

describe("board names and the log", () => {
  it("accepts the server's alphabet only", () => {
    expect(isBoardName("demo_2-b")).toBe(true);
    expect(isBoardName("a b")).toBe(false);
    expect(isBoardName("")).toBe(false);
  });

  it("keeps the newest entries first and caps the length", () => {
    const e = (n: number): LogEntry => ({ n, event: "message", id: "", data: "", at: 0 });
    let log: readonly LogEntry[] = [];
    for (let n = 0; n < 5; n++) log = pushLog(log, e(n), 3);
    expect(log.map((x) => x.n)).toEqual([4, 3, 2]);
  });
});
