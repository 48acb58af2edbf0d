import { describe, expect, it } from "vitest";

import { appendBounded, describeMessage, frameHeaderBytes, hexPreview, prettyJson, textPayload, utf8ByteLength } from "./wsFrames";

describe("frame sizes (RFC 6455 §5.2)", () => {
  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    expect(utf8ByteLength("Hello")).toBe(5);
    expect(utf8ByteLength("é")).toBe(2);
    expect(utf8ByteLength("€")).toBe(3);
    expect(utf8ByteLength("😀")).toBe(4);
  });

  it("uses 7-bit lengths up to 125, 16-bit up to 65535, 64-bit above", () => {
    expect(frameHeaderBytes(0, false)).toBe(2);
    expect(frameHeaderBytes(125, false)).toBe(2);
    expect(frameHeaderBytes(126, false)).toBe(4);
    expect(frameHeaderBytes(65_535, false)).toBe(4);
    expect(frameHeaderBytes(65_536, false)).toBe(10);
  });

  it("adds the 4-byte masking key to frames a client sends", () => {
    expect(frameHeaderBytes(5, true)).toBe(6); // the §5.7 masked "Hello": 11 bytes in all
    expect(frameHeaderBytes(70_000, true)).toBe(14);
  });
});

describe("describeMessage", () => {
  it("takes type and id from a JSON envelope", () => {
    const text = '{"id":"7","type":"ack","payload":{"request":"ping"}}';
    expect(describeMessage("in", textPayload(text), 5)).toEqual({
      direction: "in",
      kind: "text",
      type: "ack",
      id: "7",
      bytes: text.length,
      wireBytes: text.length + 2,
      at: 5,
      text,
    });
  });

  it("calls anything else text, and masks only what goes out", () => {
    const out = describeMessage("out", textPayload("Hello"), 0);
    expect(out).toMatchObject({ type: "text", id: null, bytes: 5, wireBytes: 11 });
    const notEnvelope = describeMessage("in", textPayload('{"type":5}'), 0);
    expect(notEnvelope.type).toBe("text");
  });

  it("shows binary messages as hex", () => {
    const entry = describeMessage("in", { kind: "binary", bytes: new Uint8Array([0, 1, 0xfe, 0xff]) }, 0);
    expect(entry).toMatchObject({ kind: "binary", type: "binary", bytes: 4, wireBytes: 6, text: "00 01 fe ff" });
  });
});

describe("helpers", () => {
  it("cuts long hex dumps", () => {
    expect(hexPreview(new Uint8Array(40), 2)).toBe("00 00 …");
  });

  it("pretty-prints JSON only", () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson("{nope")).toBeNull();
  });

  it("keeps the newest entries when the log is full", () => {
    let log: readonly number[] = [];
    for (let i = 1; i <= 5; i += 1) log = appendBounded(log, i, 3);
    expect(log).toEqual([3, 4, 5]);
  });
});
