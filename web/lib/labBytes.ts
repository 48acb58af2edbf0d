/**
 * Bytes on the wire, as far as a page can see them.
 *
 * A browser hides most of the wire from a page: it shows a cross-origin response's body
 * and only the "safelisted" headers, never the request's own headers (cookies included),
 * and nothing of TLS or TCP. So each figure here is a **lower bound** built from what is
 * visible, and says how:
 *
 * - a polled answer: its status line, the headers the page can read, its body — plus the
 *   request line and the `Host` and `Origin` headers the request must have carried;
 * - an SSE event: the `id:`, `event:` and `data:` lines of its block (the stream's own
 *   head is paid once per connection and its keep-alive comments are invisible);
 * - a WebSocket message: the frame, its payload and its 2, 4 or 10 byte header (RFC 6455
 *   §5.2; server frames are not masked);
 * - a webhook delivery: the request's head and body as the lab receiver counted them on
 *   the server (the receiver's `204` is not counted).
 */

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** An HTTP/1.1 request's line and the `Host` and `Origin` headers, for `url` from `origin`. */
export function requestHeadBytes(method: string, url: string, origin: string): number {
  const u = new URL(url);
  return utf8Bytes(`${method} ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nOrigin: ${origin}\r\n\r\n`);
}

/** A response's status line, the visible headers and the body. */
export function responseBytes(status: number, statusText: string, headers: Iterable<[string, string]>, body: string): number {
  let head = `HTTP/1.1 ${status} ${statusText}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return utf8Bytes(`${head}\r\n`) + utf8Bytes(body);
}

/** An SSE event's block as the stream carried it: `id:`, `event:` (if named), one `data:` per line. */
export function sseEventBytes(id: string, type: string, data: string): number {
  let block = id ? `id: ${id}\n` : "";
  if (type) block += `event: ${type}\n`;
  for (const line of data.split("\n")) block += `data: ${line}\n`;
  return utf8Bytes(`${block}\n`);
}

/** A server's WebSocket frame carrying `payloadBytes`: RFC 6455 §5.2's header and the payload. */
export function wsFrameBytes(payloadBytes: number): number {
  const header = payloadBytes < 126 ? 2 : payloadBytes < 65_536 ? 4 : 10;
  return header + payloadBytes;
}
