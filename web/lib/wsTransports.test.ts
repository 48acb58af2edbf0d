import { describe, expect, it } from "vitest";

import { parseTransportCounts, probeVerdict, transportPath } from "./wsTransports";

describe("transportPath", () => {
  it("serves each transport's board protocol and echo under its own name", () => {
    expect(transportPath("hand-rolled", "board")).toBe("/ws/hand-rolled");
    expect(transportPath("tungstenite", "echo")).toBe("/ws/tungstenite/echo");
  });
});

describe("probeVerdict", () => {
  it("takes 426 Upgrade Required as a WebSocket route", () => {
    expect(probeVerdict("/ws/tungstenite", 426, { error: { code: "upgrade_required", message: "speak WebSocket" } })).toEqual({ kind: "websocket" });
  });

  it("tells a missing route with the server's own message", () => {
    const verdict = probeVerdict("/ws/tungstenite", 404, { error: { code: "not_found", message: "no route for path /ws/tungstenite" } });
    expect(verdict).toEqual({
      kind: "missing",
      status: 404,
      message: "This backend does not serve /ws/tungstenite (404: no route for path /ws/tungstenite).",
    });
  });

  it("still says what happened when the answer is not JSON", () => {
    expect(probeVerdict("/ws/hand-rolled", 502, null)).toMatchObject({ kind: "missing", message: "This backend does not serve /ws/hand-rolled (502)." });
  });
});

describe("parseTransportCounts", () => {
  it("reads which transport serves /ws and each one's open connections", () => {
    expect(
      parseTransportCounts({
        serving: "tungstenite",
        transports: [
          { name: "hand-rolled", open: 2, accepted: 5 },
          { name: "tungstenite", open: 1, accepted: 1 },
        ],
      }),
    ).toEqual({ serving: "tungstenite", perTransport: { "hand-rolled": 2, tungstenite: 1 } });
  });

  it("skips entries that are not counts", () => {
    expect(parseTransportCounts({ transports: [{ name: "tungstenite", open: 4 }, { name: 7 }, null] })).toEqual({
      serving: null,
      perTransport: { tungstenite: 4 },
    });
  });

  it("reads nothing from something that is not counts", () => {
    expect(parseTransportCounts("nope")).toEqual({ serving: null, perTransport: {} });
  });
});
