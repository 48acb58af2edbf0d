import { describe, expect, it } from "vitest";

import { requestHeadBytes, responseBytes, sseEventBytes, utf8Bytes, wsFrameBytes } from "./labBytes";

describe("bytes on the wire", () => {
  it("counts UTF-8, not UTF-16 code units", () => {
    expect(utf8Bytes("é")).toBe(2);
    expect(utf8Bytes("→")).toBe(3);
  });

  it("counts a request's line, Host and Origin", () => {
    const expected = "GET /boards/b/poll?after=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:3000\r\n\r\n";
    expect(requestHeadBytes("GET", "http://127.0.0.1:8080/boards/b/poll?after=1", "http://127.0.0.1:3000")).toBe(expected.length);
  });

  it("counts a response's status line, visible headers and body", () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n";
    expect(responseBytes(200, "OK", [["content-type", "application/json"]], "{}")).toBe(head.length + 2);
  });

  it("rebuilds an SSE block: id, event if named, a data line per line", () => {
    expect(sseEventBytes("e-1", "message", "{}")).toBe("id: e-1\nevent: message\ndata: {}\n\n".length);
    expect(sseEventBytes("", "", "{}")).toBe("data: {}\n\n".length);
    expect(sseEventBytes("3", "delivery", "a\nb")).toBe("id: 3\nevent: delivery\ndata: a\ndata: b\n\n".length);
  });

  it("adds RFC 6455's 2, 4 or 10 byte header to a server frame", () => {
    expect(wsFrameBytes(125)).toBe(127);
    expect(wsFrameBytes(126)).toBe(130);
    expect(wsFrameBytes(65_536)).toBe(65_546);
  });
});
