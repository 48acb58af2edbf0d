/**
 * A stand-in for the browser's `WebSocket`, for testing hooks without a network: install it
 * with `vi.stubGlobal("WebSocket", FakeWebSocket)`, then play the server's part on the
 * instance the hook created (`serverOpen`, `serverSend`, `serverClose`) and read what the
 * page sent (`sent`). Only what the hooks use is here: the four handler properties,
 * `readyState`, `protocol`, `binaryType`, `send` and `close`.
 */

type Handler<E extends Event> = ((event: E) => void) | null;

export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  /** Every socket created since the last {@link FakeWebSocket.reset}, oldest first. */
  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  /** The newest socket; throws when none was created. */
  static latest(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (!socket) throw new Error("no WebSocket was created");
    return socket;
  }

  readonly url: string;
  readonly protocols: readonly string[];
  readyState: number = FakeWebSocket.CONNECTING;
  protocol = "";
  binaryType: BinaryType = "blob";
  onopen: Handler<Event> = null;
  onmessage: Handler<MessageEvent> = null;
  onerror: Handler<Event> = null;
  onclose: Handler<CloseEvent> = null;
  /** What the page sent, in order. */
  readonly sent: (string | Uint8Array)[] = [];
  /** The page's `close(code, reason)` call, if it made one. */
  closedWith: { readonly code: number; readonly reason: string } | null = null;

  constructor(url: string | URL, protocols: string | readonly string[] = []) {
    this.url = String(url);
    this.protocols = typeof protocols === "string" ? [protocols] : [...protocols];
    FakeWebSocket.instances.push(this);
  }

  send(data: string | Uint8Array): void {
    // HTML §9.3.4: send() on a CONNECTING socket throws; after closing it is discarded.
    if (this.readyState === FakeWebSocket.CONNECTING) throw new Error("InvalidStateError: still connecting");
    if (this.readyState !== FakeWebSocket.OPEN) return;
    this.sent.push(data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === FakeWebSocket.CLOSING || this.readyState === FakeWebSocket.CLOSED) return;
    this.closedWith = { code, reason };
    this.readyState = FakeWebSocket.CLOSING;
  }

  /** The text messages the page sent, parsed as JSON. */
  sentJson(): unknown[] {
    return this.sent.filter((m): m is string => typeof m === "string").map((m) => JSON.parse(m) as unknown);
  }

  // --- The server's side. -----------------------------------------------------------------

  /** The handshake succeeded (`101`), with this subprotocol. */
  serverOpen(protocol = ""): void {
    this.readyState = FakeWebSocket.OPEN;
    this.protocol = protocol;
    this.onopen?.(new Event("open"));
  }

  /** A message from the server: a string, an object (sent as JSON), or bytes. */
  serverSend(data: string | ArrayBuffer | object): void {
    const payload = typeof data === "string" || data instanceof ArrayBuffer ? data : JSON.stringify(data);
    this.onmessage?.(new MessageEvent("message", { data: payload }));
  }

  /** The connection ended (a clean close from the server, or a lost one with `wasClean` false). */
  serverClose(code: number, reason = "", wasClean = true): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.(new CloseEvent("close", { code, reason, wasClean }));
  }
}
