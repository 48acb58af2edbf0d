/**
 * A stand-in for the browser's `EventSource`, for testing hooks without a network: install
 * it with `vi.stubGlobal("EventSource", FakeEventSource)`, then play the server's part on
 * the instance the hook created (`serverOpen`, `serverEmit`, `serverFail`).
 */

export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;

  /** Every source created since the last {@link FakeEventSource.reset}, oldest first. */
  static instances: FakeEventSource[] = [];

  static reset(): void {
    FakeEventSource.instances = [];
  }

  /** The newest source; throws when none was created. */
  static latest(): FakeEventSource {
    const source = FakeEventSource.instances.at(-1);
    if (!source) throw new Error("no EventSource was created");
    return source;
  }

  readonly url: string;
  /** Whether the page asked for cookies to go with the stream. */
  readonly withCredentials: boolean;
  readyState: number = FakeEventSource.CONNECTING;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  /** Whether the page called `close()`. */
  closed = false;

  constructor(url: string | URL, init?: EventSourceInit) {
    super();
    this.url = String(url);
    this.withCredentials = init?.withCredentials ?? false;
    FakeEventSource.instances.push(this);
  }

  close(): void {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }

  // --- The server's side. -----------------------------------------------------------------

  /** The `200 text/event-stream` response arrived. */
  serverOpen(): void {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event("open"));
  }

  /** One event (`event: name`, `id: lastEventId`, `data: data`). */
  serverEmit(name: string, data: string, lastEventId = ""): void {
    this.dispatchEvent(new MessageEvent(name, { data, lastEventId }));
  }

  /** The stream failed: the browser retries (`CONNECTING`), or gives up (`CLOSED`, `fatal`). */
  serverFail(fatal: boolean): void {
    this.readyState = fatal ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.(new Event("error"));
  }
}
