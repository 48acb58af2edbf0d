/**
 * Phase 6 serves the WebSocket routes twice, side by side: our hand-rolled RFC 6455 code
 * at `/ws/hand-rolled` and tokio-tungstenite at `/ws/tungstenite` (each with `/echo`),
 * the same board protocol behind both. `/ws/transports` counts the connections per transport.
 *
 * **Does the server serve a path?** A browser's `WebSocket` never says: a failed handshake
 * is one `error` event and close code 1006, whatever the status. So the page asks with a
 * plain `GET` first: a WebSocket route answers `426 Upgrade Required` (it wants the
 * handshake), a missing one `404`; both are JSON errors whose message the page shows.
 *
 * Pure (wsTransports.test.ts).
 */

export type TransportId = "hand-rolled" | "tungstenite";
export type WsMode = "board" | "echo";

export const TRANSPORTS: readonly { readonly id: TransportId; readonly label: string }[] = [
  { id: "hand-rolled", label: "Hand-rolled (phase 3)" },
  { id: "tungstenite", label: "tokio-tungstenite" },
];

/** `/ws/<transport>` for the board protocol, `/ws/<transport>/echo` for echo. */
export function transportPath(transport: TransportId, mode: WsMode): string {
  return mode === "echo" ? `/ws/${transport}/echo` : `/ws/${transport}`;
}

/** What a plain `GET` of a WebSocket path tells. */
export type ProbeVerdict =
  | { readonly kind: "websocket" }
  | { readonly kind: "missing"; readonly status: number; readonly message: string };

function errorMessage(json: unknown): string | null {
  if (typeof json !== "object" || json === null) return null;
  const error = (json as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return null;
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" ? message : null;
}

/** Reads the answer to `GET path`: `426` means a WebSocket route is there. */
export function probeVerdict(path: string, status: number, json: unknown): ProbeVerdict {
  if (status === 426) return { kind: "websocket" };
  const said = errorMessage(json);
  return {
    kind: "missing",
    status,
    message: `This backend does not serve ${path} (${status}${said ? `: ${said}` : ""}).`,
  };
}

/** What `GET /ws/transports` says: which transport serves `/ws`, and each one's connections. */
export interface TransportCounts {
  /** The transport behind `/ws` and `/ws/echo` (`--ws-transport`). */
  readonly serving: string | null;
  /** Transport name → connections open now. */
  readonly perTransport: Readonly<Record<string, number>>;
}

/**
 * Reads `GET /ws/transports` (phase 6):
 * `{"serving": "hand-rolled", "transports": [{"name": "hand-rolled", "open": 2, "accepted": 5}, …]}`.
 * Entries that are not of that shape are skipped.
 */
export function parseTransportCounts(json: unknown): TransportCounts {
  if (typeof json !== "object" || json === null) return { serving: null, perTransport: {} };
  const { serving, transports } = json as { serving?: unknown; transports?: unknown };
  const perTransport: Record<string, number> = {};
  if (Array.isArray(transports)) {
    for (const entry of transports) {
      if (typeof entry !== "object" || entry === null) continue;
      const { name, open } = entry as { name?: unknown; open?: unknown };
      if (typeof name === "string" && typeof open === "number") perTransport[name] = open;
    }
  }
  return { serving: typeof serving === "string" ? serving : null, perTransport };
}
