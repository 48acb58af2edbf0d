import { describe, expect, it } from "vitest";

import {
  closeArgumentsProblem,
  connectionReducer,
  initialConnectionState,
  type ConnectionAction,
  type ConnectionState,
} from "./wsConnection";
import { textPayload } from "./wsFrames";

const URL_ = "ws://127.0.0.1:8080/ws";

function run(actions: readonly ConnectionAction[], state: ConnectionState = initialConnectionState()): ConnectionState {
  return actions.reduce(connectionReducer, state);
}

const connect = (socket = 1, at = 0): ConnectionAction => ({
  type: "connect",
  socket,
  url: URL_,
  protocols: ["liveboard.v1"],
  at,
});
const open = (socket = 1, at = 1): ConnectionAction => ({ type: "open", socket, protocol: "liveboard.v1", at });
const send = (t: string, at = 2, socket = 1): ConnectionAction => ({ type: "send", socket, payload: textPayload(t), at });
const receive = (t: string, at = 3, socket = 1): ConnectionAction => ({ type: "receive", socket, payload: textPayload(t), at });
const close = (code: number, extra: Partial<{ reason: string; wasClean: boolean; socket: number }> = {}): ConnectionAction => ({
  type: "close",
  socket: extra.socket ?? 1,
  code,
  reason: extra.reason ?? "",
  wasClean: extra.wasClean ?? true,
  at: 9,
});

describe("the connection state machine", () => {
  it("starts closed with nothing to explain", () => {
    const s = initialConnectionState();
    expect(s).toMatchObject({ state: "closed", socket: 0, close: null, log: [] });
  });

  it("goes connecting → open → closing → closed when the page closes", () => {
    const states = [connect(), open(), { type: "close-requested", socket: 1, code: 1000, reason: "bye", at: 5 } as const, close(1000)]
      .reduce<ConnectionState[]>((acc, a) => [...acc, connectionReducer(acc.at(-1) ?? initialConnectionState(), a)], [])
      .map((s) => s.state);
    expect(states).toEqual(["connecting", "open", "closing", "closed"]);
  });

  it("records the negotiated subprotocol and logs the handshake", () => {
    const s = run([connect(), open()]);
    expect(s.protocol).toBe("liveboard.v1");
    expect(s.openedAt).toBe(1);
    expect(s.log.map((e) => [e.direction, e.kind])).toEqual([
      ["local", "connect"],
      ["local", "open"],
    ]);
    expect(s.log[0]?.text).toBe(`GET ${URL_} (Sec-WebSocket-Protocol: liveboard.v1)`);
  });

  it("explains a close with the table: who closed, the meaning and the verdict", () => {
    const byPage = run([connect(), open(), { type: "close-requested", socket: 1, code: 1000, reason: "", at: 5 }, close(1000)]);
    expect(byPage.close).toMatchObject({ code: 1000, initiatedBy: "client", meaning: "normal closure", verdict: "stop" });

    const byServer = run([connect(), open(), close(1001, { reason: "server going away" })]);
    expect(byServer.close).toMatchObject({ code: 1001, reason: "server going away", initiatedBy: "server", verdict: "reconnect" });

    const dropped = run([connect(), open(), { type: "error", socket: 1, at: 8 }, close(1006, { wasClean: false })]);
    expect(dropped.close).toMatchObject({ code: 1006, initiatedBy: "lost", verdict: "reconnect", wasClean: false });
    expect(dropped.log.map((e) => e.kind)).toEqual(["connect", "open", "error", "close"]);
  });

  it("goes from connecting straight to closed when the handshake is refused", () => {
    const s = run([connect(), { type: "error", socket: 1, at: 1 }, close(1006, { wasClean: false })]);
    expect(s.state).toBe("closed");
    expect(s.openedAt).toBeNull();
  });

  it("ignores the late events of a replaced socket", () => {
    const s = run([connect(1), open(1), connect(2, 4), close(1000, { socket: 1 }), receive("{}", 6, 1)]);
    expect(s).toMatchObject({ socket: 2, state: "connecting", close: null });
    const reopened = connectionReducer(s, open(2, 7));
    expect(reopened.state).toBe("open");
  });

  it("ignores events after closed and sends before open", () => {
    const closed = run([connect(), open(), close(1000)]);
    expect(run([receive("late"), open()], closed)).toBe(closed);
    const connecting = run([connect()]);
    expect(connectionReducer(connecting, send("too early"))).toBe(connecting);
  });

  it("a new connect clears the last close report", () => {
    const s = run([connect(1), open(1), close(1000), connect(2)]);
    expect(s.close).toBeNull();
    expect(s.state).toBe("connecting");
  });
});

describe("frames and totals", () => {
  it("logs each message with direction, type, sizes and time", () => {
    const s = run([connect(), open(), send('{"type":"ping","payload":{}}', 10), receive("héllo", 11)]);
    const [, , out, inn] = s.log;
    expect(out).toMatchObject({ direction: "out", kind: "text", type: "ping", bytes: 28, wireBytes: 34, at: 10 });
    expect(inn).toMatchObject({ direction: "in", kind: "text", type: "text", bytes: 6, wireBytes: 8, at: 11 });
    expect(s.totals).toEqual({ framesIn: 1, framesOut: 1, bytesIn: 6, bytesOut: 28 });
  });

  it("numbers entries and keeps only the newest maxLog", () => {
    let s = run([connect(), open()], initialConnectionState(3));
    for (let i = 0; i < 10; i += 1) s = connectionReducer(s, receive(`m${i}`, 100 + i));
    expect(s.log.map((e) => e.text)).toEqual(["m7", "m8", "m9"]);
    expect(s.log.map((e) => e.n)).toEqual([10, 11, 12]);
    expect(s.totals.framesIn).toBe(10);
  });

  it("clear-log empties the log but keeps the totals and numbering", () => {
    const s = run([connect(), open(), receive("a"), { type: "clear-log" }, receive("b")]);
    expect(s.log.map((e) => [e.n, e.text])).toEqual([[4, "b"]]);
    expect(s.totals.framesIn).toBe(2);
  });
});

describe("matching answers to requests", () => {
  it("marks an answer with the request it answers and the round-trip time", () => {
    const s = run([
      connect(),
      open(),
      send('{"id":"1","type":"subscribe","payload":{"board":"demo"}}', 10),
      send('{"id":"2","type":"ping","payload":{}}', 11),
    ]);
    expect(Object.keys(s.pending)).toEqual(["1", "2"]);
    const answered = run(
      [
        receive('{"id":"2","type":"pong","payload":{"serverTimeMs":0}}', 15),
        receive('{"id":"1","type":"ack","payload":{"request":"subscribe"}}', 20),
      ],
      s,
    );
    expect(answered.log.at(-2)?.reply).toEqual({ to: "ping", rttMs: 4 });
    expect(answered.log.at(-1)?.reply).toEqual({ to: "subscribe", rttMs: 10 });
    expect(answered.pending).toEqual({});
  });

  it("leaves broadcasts and unknown ids unmatched", () => {
    const s = run([
      connect(),
      open(),
      send('{"id":"1","type":"ping","payload":{}}', 10),
      receive('{"type":"message","payload":{}}', 11),
      receive('{"id":"9","type":"ack","payload":{}}', 12),
    ]);
    expect(s.log.slice(-2).map((e) => e.reply)).toEqual([null, null]);
    expect(Object.keys(s.pending)).toEqual(["1"]);
  });

  it("an error without an id (malformed JSON) answers nothing", () => {
    const s = run([connect(), open(), send("{oops", 10), receive('{"type":"error","payload":{"code":"malformed_json","message":"x"}}', 11)]);
    expect(s.log.at(-1)).toMatchObject({ type: "error", id: null, reply: null });
    expect(s.state).toBe("open");
  });

  it("forgets pending requests when the socket closes", () => {
    const s = run([connect(), open(), send('{"id":"1","type":"ping","payload":{}}'), close(1006, { wasClean: false })]);
    expect(s.pending).toEqual({});
  });
});

describe("closeArgumentsProblem (what a browser's close() accepts)", () => {
  it("allows 1000 and 3000–4999 with a reason up to 123 bytes", () => {
    expect(closeArgumentsProblem(1000, "")).toBeNull();
    expect(closeArgumentsProblem(3000, "x")).toBeNull();
    expect(closeArgumentsProblem(4999, "é".repeat(61))).toBeNull();
  });

  it("refuses other codes and long reasons", () => {
    for (const code of [999, 1001, 1006, 2999, 5000, 4000.5]) {
      expect(closeArgumentsProblem(code, ""), String(code)).toMatch(/1000 or a code from 3000 to 4999/);
    }
    expect(closeArgumentsProblem(1000, "x".repeat(124))).toMatch(/123 bytes/);
  });
});
