"use client";

import { useState } from "react";

import { WsBoardPanel } from "./WsBoardPanel";
import { WsEchoPanel } from "./WsEchoPanel";

const TABS = [
  { id: "board", label: "Board protocol (/ws)" },
  { id: "echo", label: "Echo playground (/ws/echo)" },
] as const;

type TabId = (typeof TABS)[number]["id"];

/**
 * Phase 3's inspector: two connections, each with its own frame log. Both stay mounted
 * (and connected) while the other tab is shown.
 */
export function WsDemo() {
  const [tab, setTab] = useState<TabId>("board");
  return (
    <section aria-labelledby="ws-demo-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id="ws-demo-heading" className="text-lg font-semibold">
        WebSocket inspector
      </h2>
      <div role="tablist" aria-label="Connections" className="flex flex-wrap gap-1 border-b border-slate-200">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`ws-tab-${t.id}`}
            data-testid={`ws-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`ws-panel-${t.id}`}
            onClick={() => setTab(t.id)}
            className={
              tab === t.id
                ? "-mb-px rounded-t-md border border-b-white border-slate-200 bg-white px-3 py-1.5 text-sm font-medium text-indigo-700"
                : "rounded-t-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:text-slate-900"
            }
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="ws-panel-board" aria-labelledby="ws-tab-board" hidden={tab !== "board"}>
        <WsBoardPanel />
      </div>
      <div role="tabpanel" id="ws-panel-echo" aria-labelledby="ws-tab-echo" hidden={tab !== "echo"}>
        <WsEchoPanel />
      </div>
    </section>
  );
}
