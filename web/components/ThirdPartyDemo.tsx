"use client";

import { useSearchParams } from "next/navigation";
import { useCallback } from "react";

import { accessView, PRIVATE_MESSAGE } from "@/lib/access";
import { boardQuery } from "@/lib/boardName";
import { EVENT_SOURCE_OPTIONS } from "@/lib/eventSourceOptions";
import type { Identity } from "@/lib/presence";
import { useBoardAccess } from "@/lib/useBoardAccess";
import { useIdentity } from "@/lib/useIdentity";
import { useBackendUrl } from "@/lib/useRuntimeConfig";

import { SseIdentityForm } from "./SseIdentityForm";
import { ThirdPartySsePanel } from "./ThirdPartySsePanel";
import { ThirdPartyWsPanel } from "./ThirdPartyWsPanel";

/**
 * Phase 6's demo: sign in (the server signs a session cookie, so the page works on a
 * private server too), then the board `?board=` (default `demo`) over the three
 * EventSource options and over the two WebSocket transports.
 */
export function ThirdPartyDemo() {
  const params = useSearchParams();
  const query = boardQuery(params.get("board"));
  const initialOption = EVENT_SOURCE_OPTIONS.find((o) => o.id === params.get("es"))?.id ?? "native";
  const board = query.kind === "board" ? query.board : null;
  const backendUrl = useBackendUrl();
  const [identity, saveIdentity] = useIdentity();
  const onSession = useCallback((person: Identity) => saveIdentity(person.name, person.color, person.clientId), [saveIdentity]);
  const { access, problem } = useBoardAccess(backendUrl, board ?? "", board === null ? null : identity, onSession);

  if (query.kind === "invalid") {
    return (
      <p role="alert" className="text-sm text-rose-700">
        {query.message}
      </p>
    );
  }
  return (
    <div className="space-y-6">
      <section aria-labelledby="who-heading" className="space-y-2 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 id="who-heading" className="text-lg font-semibold">
          Who you are
        </h2>
        <SseIdentityForm key={identity?.clientId ?? "new"} identity={identity} onSave={(name, color) => saveIdentity(name, color)} />
        <p role="status" data-testid="tp-access" className="text-sm text-slate-600">
          {identity === null
            ? "Choose a name: the server signs you in (POST /session) and the streams carry its cookie."
            : problem
              ? `Could not sign in: ${problem}`
              : access === null
                ? "Signing in…"
                : accessView(access) === "private"
                  ? PRIVATE_MESSAGE
                  : `Signed in as ${identity.name} on a${access.mode === "open" ? "n open" : " private"} server.`}
        </p>
      </section>
      {backendUrl && access && accessView(access) !== "private" && (
        <>
          <ThirdPartySsePanel backendUrl={backendUrl} board={query.board} initialOption={initialOption} />
          <ThirdPartyWsPanel backendUrl={backendUrl} board={query.board} />
        </>
      )}
    </div>
  );
}
