"use client";

import { useCallback, useEffect, useState } from "react";

import { createLink, linkAddress, listLinks, revokeLink, type Role, type ShareLink } from "@/lib/access";

export interface SharePanelProps {
  readonly backendUrl: string;
  readonly board: string;
}

/**
 * The owner's share links: make an edit or a view link, copy it, revoke it. Revoking a link
 * also removes everyone who joined through it (the server closes their connections).
 */
export function SharePanel({ backendUrl, board }: SharePanelProps) {
  const [links, setLinks] = useState<readonly ShareLink[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const load = useCallback(
    (signal?: AbortSignal) =>
      listLinks(backendUrl, board, signal).then(setLinks, (error: unknown) => {
        if (!signal?.aborted) setProblem(error instanceof Error ? error.message : String(error));
      }),
    [backendUrl, board],
  );
  useEffect(() => {
    const abort = new AbortController();
    void load(abort.signal);
    return () => abort.abort();
  }, [load]);

  const act = (work: Promise<unknown>) =>
    work.then(
      () => {
        setProblem(null);
        return load();
      },
      (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)),
    );
  const make = (role: Role) => void act(createLink(backendUrl, board, role));
  const copy = (link: ShareLink) => {
    const address = linkAddress(window.location.origin, link);
    void navigator.clipboard?.writeText(address).then(
      () => setCopied(link.id),
      () => setCopied(null),
    );
  };

  return (
    <details data-testid="share-panel" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <summary className="cursor-pointer text-sm font-semibold text-slate-700">Share this board</summary>
      <div className="mt-3 space-y-3 text-sm">
        <p className="text-slate-700">Only you can see this board. A link lets whoever has it join, to edit or only to view.</p>
        <div className="flex flex-wrap gap-2">
          <button type="button" data-testid="share-create-edit" onClick={() => make("edit")} className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-700">
            New edit link
          </button>
          <button type="button" data-testid="share-create-view" onClick={() => make("view")} className="rounded-md border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-50">
            New view link
          </button>
        </div>
        {problem && (
          <p role="alert" className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-rose-900">
            {problem}
          </p>
        )}
        <ul className="space-y-2">
          {links.map((link) => (
            <li key={link.id} data-testid="share-link" data-role={link.role} className="flex flex-wrap items-center gap-2">
              <span className="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-800">{link.role === "edit" ? "can edit" : "can view"}</span>
              <input readOnly aria-label={`${link.role} link`} data-testid="share-link-address" value={typeof window === "undefined" ? link.url : linkAddress(window.location.origin, link)} className="min-w-0 flex-1 rounded border border-slate-300 px-2 py-1 font-mono text-xs" />
              <button type="button" data-testid="share-copy" onClick={() => copy(link)} className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50">
                {copied === link.id ? "Copied" : "Copy"}
              </button>
              <button type="button" data-testid="share-revoke" onClick={() => void act(revokeLink(backendUrl, board, link.id))} className="rounded-md border border-rose-300 px-2 py-1 text-rose-800 hover:bg-rose-50">
                Revoke
              </button>
            </li>
          ))}
        </ul>
      </div>
    </details>
  );
}
