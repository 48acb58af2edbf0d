/**
 * The `ws://` address of a backend path. A WebSocket URL is the HTTP URL with its scheme
 * swapped (RFC 6455 §3): `http` → `ws`, `https` → `wss` (TLS, which any page served over
 * HTTPS must use: browsers block `ws://` from a secure page as mixed content).
 */
export function webSocketUrl(backendUrl: string, path: string): string {
  const url = new URL(path, `${backendUrl}/`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
