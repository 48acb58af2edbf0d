import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  encodeRequest,
  envelopeHeader,
  parseJson,
  PendingRequests,
  RequestFailed,
  replyOf,
  SERVER_EVENT_TYPES,
  serverEnvelopeOf,
} from "./boardProtocol";
import type { ServerEnvelope } from "./generated/protocol";

const ack = (id: string): ServerEnvelope => ({ id, type: "ack", payload: { request: "subscribe", board: "demo" } });

describe("encodeRequest", () => {
  it("puts the id beside type and payload", () => {
    expect(JSON.parse(encodeRequest({ type: "publish", payload: { board: "demo", text: "hi" } }, "3"))).toEqual({
      id: "3",
      type: "publish",
      payload: { board: "demo", text: "hi" },
    });
  });

  it("leaves the id out when there is none", () => {
    expect(encodeRequest({ type: "ping", payload: {} })).toBe('{"type":"ping","payload":{}}');
  });
});

describe("serverEnvelopeOf", () => {
  it("accepts every type the server sends", () => {
    for (const type of SERVER_EVENT_TYPES) {
      expect(serverEnvelopeOf({ type, payload: {} })?.type).toBe(type);
    }
  });

  it("keeps the id of an answer", () => {
    const text = '{"id":"4","type":"error","payload":{"code":"malformed_json","message":"not JSON"}}';
    expect(serverEnvelopeOf(parseJson(text))).toEqual({
      id: "4",
      type: "error",
      payload: { code: "malformed_json", message: "not JSON" },
    });
  });

  it("refuses what is not a known envelope", () => {
    for (const text of [
      "{nope",
      "[]",
      '"ack"',
      '{"payload":{}}',
      '{"type":"dance","payload":{}}',
      '{"type":"ack"}',
      '{"type":"ack","payload":[]}',
      '{"type":"ack","id":7,"payload":{}}',
    ]) {
      expect(serverEnvelopeOf(parseJson(text)), text).toBeNull();
    }
  });
});

describe("parseJson", () => {
  it("parses JSON and says undefined for anything else", () => {
    expect(parseJson('{"type":"ping"}')).toEqual({ type: "ping" });
    expect(parseJson("null")).toBeNull();
    expect(parseJson("{nope")).toBeUndefined();
    expect(parseJson("")).toBeUndefined();
  });
});

describe("envelopeHeader", () => {
  it("reads type and id of any envelope, known or not", () => {
    expect(envelopeHeader({ type: "dance", id: "1" })).toEqual({ type: "dance", id: "1" });
    expect(envelopeHeader({ type: "ping" })).toEqual({ type: "ping", id: null });
    expect(envelopeHeader("hello")).toBeNull();
    expect(envelopeHeader(undefined)).toBeNull();
  });
});

describe("replyOf", () => {
  it("turns ack and pong into success and error into failure, by id", () => {
    expect(replyOf(ack("1"))).toEqual({ id: "1", result: { ok: true, event: ack("1") } });
    expect(replyOf({ id: "2", type: "pong", payload: { serverTimeMs: 5 } })?.result.ok).toBe(true);
    expect(
      replyOf({ id: "3", type: "error", payload: { code: "bad_board_name", message: "no" } }),
    ).toEqual({ id: "3", result: { ok: false, error: { code: "bad_board_name", message: "no" } } });
  });

  it("ignores broadcasts", () => {
    expect(replyOf({ type: "presence.leave", payload: { board: "demo", clientId: "a" } })).toBeNull();
  });
});

describe("PendingRequests", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands out fresh ids", () => {
    const pending = new PendingRequests();
    expect([pending.nextId(), pending.nextId(), pending.nextId()]).toEqual(["1", "2", "3"]);
  });

  it("settles each request with the answer carrying its id, in any order", async () => {
    const pending = new PendingRequests();
    const first = pending.wait("1");
    const second = pending.wait("2");
    expect(pending.settle({ id: "2", type: "error", payload: { code: "empty_text", message: "empty" } })).toBe(true);
    expect(pending.settle(ack("1"))).toBe(true);
    await expect(first).resolves.toEqual({ ok: true, event: ack("1") });
    await expect(second).resolves.toEqual({ ok: false, error: { code: "empty_text", message: "empty" } });
    expect(pending.size).toBe(0);
  });

  it("ignores answers nobody waits for", () => {
    const pending = new PendingRequests();
    expect(pending.settle(ack("9"))).toBe(false);
    expect(pending.settle({ type: "message", payload: { board: "b", position: "e-1", text: "t", name: null, sentAtMs: 0 } })).toBe(false);
  });

  it("fails every waiting request when the connection closes", async () => {
    const pending = new PendingRequests();
    const a = pending.wait("1");
    const b = pending.wait("2");
    pending.failAll("closed (1006)");
    await expect(a).rejects.toBeInstanceOf(RequestFailed);
    await expect(b).rejects.toThrow("closed (1006)");
    expect(pending.size).toBe(0);
  });

  it("fails a request that gets no answer in time", async () => {
    const pending = new PendingRequests(1_000);
    const waiting = pending.wait("1");
    const outcome = expect(waiting).rejects.toThrow(/no answer to request 1 within 1000 ms/);
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(pending.settle(ack("1"))).toBe(false);
  });
});
