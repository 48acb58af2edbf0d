import { describe, expect, it } from "vitest";

import { webSocketUrl } from "./webSocketUrl";

describe("webSocketUrl", () => {
  it("swaps http for ws and https for wss", () => {
    expect(webSocketUrl("http://127.0.0.1:8080", "/ws")).toBe("ws://127.0.0.1:8080/ws");
    expect(webSocketUrl("https://board.example", "/ws/echo")).toBe("wss://board.example/ws/echo");
  });

  it("keeps a base path", () => {
    expect(webSocketUrl("https://example.com/api", "ws")).toBe("wss://example.com/api/ws");
  });

  it("keeps a base path when the path starts with / (an instance pinned behind the balancer)", () => {
    expect(webSocketUrl("http://localhost:8000/i/a", "/ws")).toBe("ws://localhost:8000/i/a/ws");
    expect(webSocketUrl("http://localhost:8000/i/b/", "/ws/echo")).toBe("ws://localhost:8000/i/b/ws/echo");
  });
});
