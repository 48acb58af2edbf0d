"use client";

import { useBackendUrl } from "@/lib/useRuntimeConfig";
import { useWebSocket } from "@/lib/useWebSocket";
import { webSocketUrl } from "@/lib/webSocketUrl";

import { WsConnectionPanel } from "./WsConnectionPanel";
import { WsFrameTable } from "./WsFrameTable";
import { WsRawSender } from "./WsRawSender";

/** `/ws/echo`: no application protocol, every message comes straight back. */
export function WsEchoPanel() {
  const backendUrl = useBackendUrl();
  const url = backendUrl ? webSocketUrl(backendUrl, "/ws/echo") : null;
  const socket = useWebSocket(url, { autoConnect: true });

  return (
    <div className="space-y-5">
      <p className="max-w-2xl text-sm text-slate-600">
        The echo endpoint speaks no protocol of its own: whatever you send comes back as it went, text as text,
        binary as binary. Compare the sizes: your frame carries a 4-byte masking key, the echo does not.
      </p>
      <WsConnectionPanel socket={socket} idPrefix="echo" />
      <WsRawSender
        idPrefix="echo"
        label="Message"
        placeholder="hello, echo"
        onSendText={socket.sendText}
        onSendBinary={socket.sendBinary}
      />
      <WsFrameTable log={socket.log} openedAt={socket.openedAt} idPrefix="echo" onClear={socket.clearLog} />
    </div>
  );
}
