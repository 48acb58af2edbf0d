/**
 * The `ws://` address of a backend path. A WebSocket URL is the HTTP URL with its scheme
 * swapped (RFC 6455 §3): `http` → `ws`, `https` → `wss` (TLS, which any page served over
 * HTTPS must use: browsers block `ws://` from a secure page as mixed content).
 *
 * `path` is appended to the base, whose own path is kept even when `path` starts with `/`:
 * behind phase 7's balancer `http://localhost:8000/i/a` is a base URL, and its `/ws` is
 * `ws://localhost:8000/i/a/ws` (resolving `/ws` as a URL would drop `/i/a`).
 */
export function webSocketUrl(backendUrl: string, path: string): string {
  const url = new URL(path.replace(/^\/+/, ""), `${backendUrl.replace(/\/+$/, "")}/`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
