import { describe, expect, it } from "vitest";

import { markReplayed, parseResume, pushLog, withLastEventId, type LogEntry } from "./sseStream";

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

describe("the log", () => {
  it("keeps the newest entries first and caps the length", () => {
    const e = (n: number): LogEntry => ({ n, event: "message", id: "", data: "", at: 0 });
    let log: readonly LogEntry[] = [];
    for (let n = 0; n < 5; n++) log = pushLog(log, e(n), 3);
    expect(log.map((x) => x.n)).toEqual([4, 3, 2]);
  });
});

describe("replayed events", () => {
  const entry = (n: number, event: string): LogEntry => ({ n, event, id: event === "message" ? `e-${n}` : "", data: "", at: 0 });

  it("marks the newest numbered entries before ready, as many as it says were replayed", () => {
    // Newest first: two replayed messages, then older live ones and a presence event.
    const log = [entry(5, "message"), entry(4, "message"), entry(3, "presence.join"), entry(2, "message"), entry(1, "message")];
    const marked = markReplayed(log, 2);
    expect(marked.filter((e) => e.replayed).map((e) => e.id)).toEqual(["e-5", "e-4"]);
    expect(markReplayed(log, 3).filter((e) => e.replayed).map((e) => e.n)).toEqual([5, 4, 2]);
  });

  it("marks nothing when nothing was replayed, and forgets an earlier reconnection's marks", () => {
    const log = [entry(1, "message")];
    expect(markReplayed(log, 0)).toEqual(log);
    expect(markReplayed(markReplayed(log, 1), 0)).toEqual(log);
  });
});
