"use client";

import { useCallback, useState } from "react";

import { useBackendUrl } from "@/lib/useRuntimeConfig";
import { SUBPROTOCOL, type ServerEnvelope } from "@/lib/generated/protocol";
import type { Identity } from "@/lib/presence";
import { useIdentity } from "@/lib/useIdentity";
import { sessionReady, useSession } from "@/lib/useSession";
import { useWebSocket } from "@/lib/useWebSocket";
import { webSocketUrl } from "@/lib/webSocketUrl";

import { SseIdentityForm } from "./SseIdentityForm";
import { SseSignedInAs } from "./SseSignedInAs";
import { WsBoardRequests } from "./WsBoardRequests";
import { WsConnectionPanel } from "./WsConnectionPanel";
import { WsFrameTable } from "./WsFrameTable";
import { WsRawSender } from "./WsRawSender";

const PROTOCOLS = [SUBPROTOCOL];
const NONE: readonly string[] = [];

/**
 * `/ws` with the `liveboard.v1` subprotocol: requests, their answers, and every frame.
 * The browser sends the session cookie with the handshake only, so the socket opens once
 * we are signed in (or the server has no sessions); a new session needs a new socket.
 */
export function WsBoardPanel() {
  const backendUrl = useBackendUrl();
  const [identity, saveIdentity] = useIdentity();
  const onSession = useCallback((person: Identity) => saveIdentity(person.name, person.color, person.clientId), [saveIdentity]);
  const session = useSession(backendUrl, identity, onSession);
  const url = backendUrl && sessionReady(session.status) ? webSocketUrl(backendUrl, "/ws") : null;
  const [subscribed, setSubscribed] = useState<readonly string[]>([]);
  const [reply, setReply] = useState("");

  const socket = useWebSocket(url, {
    protocols: PROTOCOLS,
    autoConnect: true,
    onEvent: (envelope: ServerEnvelope) => {
      // The acks say which boards this connection follows; a new connection follows none.
      if (envelope.type === "welcome") setSubscribed([]);
      if (envelope.type === "ack" && envelope.payload.board) {
        const board = envelope.payload.board;
        if (envelope.payload.request === "subscribe") setSubscribed((s) => (s.includes(board) ? s : [...s, board]));
        if (envelope.payload.request === "unsubscribe") setSubscribed((s) => s.filter((b) => b !== board));
      }
    },
  });

  return (
    <div className="space-y-5">
      <SseIdentityForm key={identity?.clientId ?? "new"} identity={identity} onSave={saveIdentity} />
      <SseSignedInAs status={session.status} />
      <WsConnectionPanel socket={socket} idPrefix="ws" />
      <WsBoardRequests request={socket.request} subscribed={socket.state === "open" ? subscribed : NONE} identity={identity} onReply={setReply} />
      <p className="text-sm">
        <span className="font-medium text-slate-500">Last answer: </span>
        <span data-testid="ws-last-reply" className="font-mono">
          {reply || "–"}
        </span>
      </p>
      <WsRawSender
        idPrefix="ws"
        label="Send anything (try broken JSON, or an unknown type): the server answers with an error and keeps the connection"
        placeholder='{"type":"ping","id":"x"}'
        onSendText={socket.sendText}
        onSendBinary={socket.sendBinary}
      />
      <WsFrameTable log={socket.log} openedAt={socket.openedAt} idPrefix="ws" onClear={socket.clearLog} />
    </div>
  );
}
