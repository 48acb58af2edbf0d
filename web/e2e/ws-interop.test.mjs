// Interop: the hand-rolled RFC 6455 server against a real third-party client, Node's `ws`
// package (https://github.com/websockets/ws), which implements the client side on its own
// (handshake checks, masking, fragmentation, ping/pong, the close handshake). No browser.
//
// The backend is started the harness's way (`Backend`: `--bind 127.0.0.1:0`, the port read
// from its first stdout line) with one allowed origin, so the Origin check can be tested both
// ways. Every wait is an event with a timeout; nothing sleeps.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";

import WebSocket from "ws";

import { Backend, OPEN_BOARDS, TIMEOUTS, withTimeout } from "./harness.mjs";

/** The only origin the backend allows in this file. */
const ALLOWED_ORIGIN = "http://allowed.example";
/** A bound on every wait for the server (generous: CI shares 2 cores with cargo). */
const WAIT = 15_000;
const MIB = 1024 * 1024;

// The clients here do not sign in (this file is about the protocol, not access): every
// board open.
const backend = new Backend({ allowedOrigins: ALLOWED_ORIGIN, args: OPEN_BOARDS });
before(() => backend.start(), { timeout: TIMEOUTS.backendStart + 5_000 });
after(() => backend.stop(), { timeout: 2 * TIMEOUTS.stop + 5_000 });

/** Every socket a test opened, terminated after the test even when it failed. */
const opened = new Set();
after(() => {
  for (const ws of opened) ws.terminate();
});

function wsUrl(path) {
  return `${backend.url.replace(/^http/, "ws")}${path}`;
}

/**
 * Messages received on `ws`, kept from the moment it is created so none is missed between
 * two waits. `next(predicate)` resolves with the first unread message that matches.
 */
class Inbox {
  #messages = [];
  #waiters = [];

  constructor(ws) {
    ws.on("message", (data, isBinary) => {
      const message = { data: Buffer.from(data), isBinary, text: isBinary ? null : data.toString("utf8") };
      this.#messages.push(message);
      this.#wake();
    });
  }

  #wake() {
    for (const waiter of [...this.#waiters]) {
      const i = this.#messages.findIndex(waiter.predicate);
      if (i !== -1) {
        const [message] = this.#messages.splice(i, 1);
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }

  /** The next message matching `predicate` (default: any), within `timeoutMs`. */
  next(predicate = () => true, { timeoutMs = WAIT, what = "a message" } = {}) {
    const found = new Promise((resolve) => {
      this.#waiters.push({ predicate, resolve });
      this.#wake();
    });
    return withTimeout(found, timeoutMs, `waiting for ${what}`);
  }

  /** The next JSON message of the board protocol with this `type` (and `id`, if given). */
  async nextEvent(type, id) {
    const message = await this.next(
      (m) => {
        if (m.text === null) return false;
        const json = safeJson(m.text);
        return json?.type === type && (id === undefined || json.id === id);
      },
      { what: `a "${type}" event${id === undefined ? "" : ` with id ${id}`}` },
    );
    return JSON.parse(message.text);
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Opens a socket and waits for the handshake. Resolves with the socket, its inbox and the
 * 101 response (for its headers).
 */
async function connect(path, protocols, options = {}) {
  const ws = new WebSocket(wsUrl(path), protocols, options);
  opened.add(ws);
  const inbox = new Inbox(ws);
  const upgrade = new Promise((resolve) => ws.once("upgrade", resolve));
  await withTimeout(once(ws, "open"), WAIT, `opening ${path}`);
  return { ws, inbox, response: await upgrade };
}

/** Resolves with `{ code, reason }` when `ws` has closed. */
async function closed(ws) {
  if (ws.readyState === WebSocket.CLOSED) throw new Error("already closed: listen before closing");
  const [code, reason] = await withTimeout(once(ws, "close"), WAIT, "waiting for the close event");
  return { code, reason: reason.toString("utf8") };
}

describe("the opening handshake", () => {
  test("offering liveboard.v1 on /ws: the 101 names it and the first message is welcome", async () => {
    const { ws, inbox, response } = await connect("/ws", ["liveboard.v1"]);
    // ws has already checked Sec-WebSocket-Accept against its own key, or 'open' would not fire.
    assert.equal(response.statusCode, 101);
    assert.match(response.headers["sec-websocket-accept"], /^[A-Za-z0-9+/]{27}=$/);
    assert.equal(response.headers["sec-websocket-protocol"], "liveboard.v1");
    assert.equal(ws.protocol, "liveboard.v1");
    const welcome = await inbox.nextEvent("welcome");
    assert.equal(welcome.payload.subprotocol, "liveboard.v1");
    assert.equal(typeof welcome.payload.connectionId, "number");
    assert.ok(welcome.payload.maxMessageBytes >= MIB);
    const bye = closed(ws);
    ws.close(1000);
    assert.equal((await bye).code, 1000);
  });

  test("offering no subprotocol: the 101 names none, and the board protocol still answers", async () => {
    const { ws, inbox, response } = await connect("/ws");
    assert.equal(response.headers["sec-websocket-protocol"], undefined);
    assert.equal(ws.protocol, "");
    assert.equal((await inbox.nextEvent("welcome")).payload.subprotocol, null);
    ws.send(JSON.stringify({ type: "ping", id: "p" }));
    assert.equal((await inbox.nextEvent("pong", "p")).id, "p");
    ws.close();
  });

  test("offering only an unknown subprotocol: the server picks none and ws itself refuses", async () => {
    // RFC 6455 §4.2.2: a server that supports none of the offered protocols MUST NOT send
    // the header; the decision is the client's, and ws (like browsers) fails the connection.
    const ws = new WebSocket(wsUrl("/ws"), ["other.v9"]);
    opened.add(ws);
    const [error] = await withTimeout(once(ws, "error").catch((e) => [e]), WAIT, "waiting for ws to refuse");
    assert.match(error.message, /no subprotocol/i);
  });

  test("an allowed Origin opens", async () => {
    const { ws } = await connect("/ws/echo", undefined, { origin: ALLOWED_ORIGIN });
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });

  test("a foreign Origin is refused with 403 and a JSON body that says why", async () => {
    const ws = new WebSocket(wsUrl("/ws"), ["liveboard.v1"], { origin: "http://evil.example" });
    opened.add(ws);
    ws.on("error", () => {}); // terminate() below reports "closed before established"
    const [, res] = await withTimeout(once(ws, "unexpected-response"), WAIT, "waiting for the refusal");
    let body = "";
    for await (const chunk of res) body += chunk;
    assert.equal(res.statusCode, 403);
    assert.match(res.headers["content-type"], /application\/json/);
    const json = JSON.parse(body);
    assert.equal(json.error.code, "origin_not_allowed");
    assert.match(json.error.message, /evil\.example/);
    // (Not events.once: it would reject on the "error" that terminate() emits first.)
    const gone = new Promise((resolve) => ws.once("close", resolve));
    ws.terminate();
    await withTimeout(gone, WAIT, "waiting for the aborted socket to close");
  });

  test("a plain GET (no Upgrade) gets 426 and the headers to send", async () => {
    const res = await fetch(`${backend.url}/ws`, { signal: AbortSignal.timeout(WAIT) });
    assert.equal(res.status, 426);
    assert.match(res.headers.get("upgrade") ?? "", /websocket/i);
    assert.equal(res.headers.get("sec-websocket-version"), "13");
    assert.equal((await res.json()).error.code, "upgrade_required");
  });
});

describe("/ws/echo with ws", () => {
  test("echoes text as text and binary as binary", async () => {
    const { ws, inbox } = await connect("/ws/echo");
    ws.send("héllo, echo ✓");
    const text = await inbox.next();
    assert.equal(text.isBinary, false);
    assert.equal(text.text, "héllo, echo ✓");

    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    ws.send(bytes);
    const binary = await inbox.next();
    assert.equal(binary.isBinary, true);
    assert.deepEqual(binary.data, bytes);
    ws.close();
  });

  test("echoes a 1 MiB message (the default frame limit) intact", async () => {
    const { ws, inbox } = await connect("/ws/echo");
    const big = randomBytes(MIB);
    ws.send(big);
    const echoed = await inbox.next(undefined, { what: "the 1 MiB echo" });
    assert.equal(echoed.data.length, MIB);
    assert.ok(echoed.data.equals(big), "the echo differs from what was sent");
    ws.close();
  });

  test("reassembles a 2 MiB message sent as two 1 MiB fragments", async () => {
    const { ws, inbox } = await connect("/ws/echo");
    const first = randomBytes(MIB);
    const second = randomBytes(MIB);
    ws.send(first, { binary: true, fin: false });
    ws.send(second, { binary: true, fin: true });
    const echoed = await inbox.next(undefined, { what: "the 2 MiB echo" });
    assert.ok(echoed.data.equals(Buffer.concat([first, second])));
    ws.close();
  });

  test("a frame over the limit is answered with close 1009", async () => {
    const { ws } = await connect("/ws/echo");
    const bye = closed(ws);
    ws.send(Buffer.alloc(MIB + 1));
    assert.deepEqual(await bye, { code: 1009, reason: "message too big" });
  });

  test("ping is answered by a pong with the same payload", async () => {
    const { ws } = await connect("/ws/echo");
    const pong = withTimeout(once(ws, "pong"), WAIT, "waiting for the pong");
    ws.ping(Buffer.from("are you there?"));
    const [payload] = await pong;
    assert.equal(payload.toString("utf8"), "are you there?");
    ws.close();
  });

  test("a fragmented text message, with a ping between fragments and a code point split across them, comes back whole", async () => {
    const { ws, inbox } = await connect("/ws/echo");
    const pong = withTimeout(once(ws, "pong"), WAIT, "waiting for the pong between fragments");
    const euro = Buffer.from("€", "utf8"); // e2 82 ac
    ws.send("frag-", { binary: false, fin: false });
    ws.ping("mid"); // RFC 6455 §5.4: control frames MAY be injected between fragments
    ws.send(Buffer.concat([Buffer.from("ment "), euro.subarray(0, 2)]), { binary: false, fin: false });
    ws.send(Buffer.concat([euro.subarray(2), Buffer.from(" end")]), { binary: false, fin: true });
    assert.equal((await pong)[0].toString(), "mid");
    const echoed = await inbox.next(undefined, { what: "the reassembled message" });
    assert.equal(echoed.isBinary, false);
    assert.equal(echoed.text, "frag-ment € end");
    ws.close();
  });

  test("close 4000 with a reason: the server answers with the same code", async () => {
    const { ws } = await connect("/ws/echo");
    const bye = closed(ws);
    ws.close(4000, "done testing");
    const { code, reason } = await bye;
    assert.equal(code, 4000);
    // RFC 6455 §5.5.1: the answer "typically echos the status code it received"; the
    // reason is optional, so either none or ours is correct.
    assert.ok(reason === "" || reason === "done testing", `unexpected reason ${JSON.stringify(reason)}`);
  });
});

describe("the board protocol with ws", () => {
  test("malformed JSON gets an error event and the connection stays open", async () => {
    const { ws, inbox } = await connect("/ws", ["liveboard.v1"]);
    await inbox.nextEvent("welcome");
    ws.send("{this is not json");
    const error = await inbox.nextEvent("error");
    assert.equal(error.payload.code, "malformed_json");
    assert.equal(error.id, undefined, "nothing could be read, not even an id");
    assert.equal(ws.readyState, WebSocket.OPEN);

    ws.send(JSON.stringify({ type: "dance", id: "d1", payload: {} }));
    const unknown = await inbox.nextEvent("error", "d1");
    assert.equal(unknown.payload.code, "unknown_type");

    ws.send(Buffer.from([1, 2, 3]));
    assert.equal((await inbox.nextEvent("error")).payload.code, "unsupported_binary");

    ws.send(JSON.stringify({ type: "ping", id: "still-here", payload: {} }));
    const pong = await inbox.nextEvent("pong", "still-here");
    assert.equal(typeof pong.payload.serverTimeMs, "number");
    ws.close();
  });

  test("a message published by one client reaches another subscribed to the board", async () => {
    const board = `interop-${Date.now().toString(36)}`;
    const reader = await connect("/ws", ["liveboard.v1"]);
    const writer = await connect("/ws", ["liveboard.v1"]);

    reader.ws.send(JSON.stringify({ type: "subscribe", id: "s1", payload: { board } }));
    const subscribed = await reader.inbox.nextEvent("ack", "s1");
    assert.deepEqual(subscribed.payload, { request: "subscribe", board });
    const ready = await reader.inbox.nextEvent("ready");
    assert.equal(ready.payload.board, board);

    writer.ws.send(JSON.stringify({ type: "publish", id: "w1", payload: { board, text: "over ws", name: "Node" } }));
    const published = await writer.inbox.nextEvent("ack", "w1");
    assert.equal(published.payload.request, "publish");

    const message = await reader.inbox.nextEvent("message");
    assert.equal(message.payload.text, "over ws");
    assert.equal(message.payload.name, "Node");
    assert.equal(message.payload.board, board);
    assert.equal(message.payload.position, published.payload.position, "the ack names the event's position");

    reader.ws.close();
    writer.ws.close();
  });

  test("GET /ws/stats counts connections and messages", async () => {
    const res = await fetch(`${backend.url}/ws/stats`, { signal: AbortSignal.timeout(WAIT) });
    assert.equal(res.status, 200);
    const stats = await res.json();
    assert.equal(typeof stats.websockets, "object");
    assert.equal(typeof stats.maxConnections, "number");
  });
});
