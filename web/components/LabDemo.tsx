"use client";

import { useSearchParams } from "next/navigation";
import { useCallback } from "react";

import { accessView, PRIVATE_MESSAGE } from "@/lib/access";
import { boardQuery } from "@/lib/boardName";
import type { Identity } from "@/lib/presence";
import { useBoardAccess } from "@/lib/useBoardAccess";
import { useIdentity } from "@/lib/useIdentity";
import { useBackendUrl } from "@/lib/useRuntimeConfig";

import { LabBench } from "./LabBench";
import { SseIdentityForm } from "./SseIdentityForm";

/**
 * Phase 8's lab: sign in (the server signs a session cookie, so the lab works on a private
 * server, where writing to the board and registering its webhook need the right to edit
 * it), then the bench on the board `?board=` (default `lab`).
 */
export function LabDemo() {
  const params = useSearchParams();
  const query = boardQuery(params.get("board") ?? "lab");
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
  const view = access === null ? null : accessView(access);
  return (
    <div className="space-y-6">
      <section aria-labelledby="lab-who-heading" className="space-y-2 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 id="lab-who-heading" className="text-lg font-semibold">
          Who you are
        </h2>
        <SseIdentityForm key={identity?.clientId ?? "new"} identity={identity} onSave={(name, color) => saveIdentity(name, color)} />
        <p role="status" data-testid="lab-access" className="text-sm text-slate-600">
          {identity === null
            ? "Choose a name: the server signs you in (POST /session), and every transport carries its cookie."
            : problem
              ? `Could not sign in: ${problem}`
              : view === null
                ? "Signing in…"
                : view === "private"
                  ? PRIVATE_MESSAGE
                  : view === "view"
                    ? "You can view this board but not write to it: the lab needs a board you may edit (try another ?board=)."
                    : `Signed in as ${identity.name} on a${access?.mode === "open" ? "n open" : " private"} server.`}
        </p>
      </section>
      {backendUrl && board && view === "edit" && <LabBench backendUrl={backendUrl} board={board} />}
    </div>
  );
}
