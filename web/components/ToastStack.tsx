"use client";

import { useEffect } from "react";

import type { Notice } from "@/lib/boardState";

/** How long a toast stays, in milliseconds. */
const TOAST_MS = 6_000;
/** Most toasts shown at once (the newest). */
const MAX_SHOWN = 4;

export interface ToastStackProps {
  /** Other people's changes (`remote` notices) and my deletes (`deleted`, with Undo). */
  readonly toasts: readonly Notice[];
  readonly onDismiss: (id: number) => void;
  /** Undo the action of a `deleted` toast. */
  readonly onUndo: (opId: string) => void;
}

function Toast({ toast, onDismiss, onUndo }: { readonly toast: Notice; readonly onDismiss: (id: number) => void; readonly onUndo: (opId: string) => void }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, onDismiss]);
  const { undoOpId } = toast;
  return (
    <li data-testid="toast" data-kind={toast.kind} className="flex items-start gap-3 rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm shadow-lg">
      <span className="flex-1">{toast.text}</span>
      {undoOpId !== undefined && (
        <button type="button" data-testid="toast-undo" onClick={() => onUndo(undoOpId)} className="font-semibold text-indigo-700 underline hover:text-indigo-900">
          Undo
        </button>
      )}
      <button type="button" onClick={() => onDismiss(toast.id)} aria-label="Dismiss" className="text-slate-600 hover:text-slate-800">
        ×
      </button>
    </li>
  );
}

/**
 * Notifications of other people's changes ("Ana moved “Buy milk” to Done"), bottom right.
 * A toast is news of *now*: one that arrives while the tab is in the background is dropped
 * at once, and those on screen when the tab is hidden go too, instead of being replayed
 * (throttled timers) when the person comes back.
 */
export function ToastStack({ toasts, onDismiss, onUndo }: ToastStackProps) {
  useEffect(() => {
    if (document.visibilityState !== "hidden") return;
    for (const t of toasts) if (t.kind === "remote") onDismiss(t.id);
  }, [toasts, onDismiss]);
  useEffect(() => {
    const onVisibility = () => {
      if (document.visibilityState === "hidden") for (const t of toasts) if (t.kind === "remote") onDismiss(t.id);
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, [toasts, onDismiss]);
  const shown = toasts.slice(-MAX_SHOWN);
  return (
    <ol aria-live="polite" aria-label="Notifications" className="pointer-events-auto fixed right-4 bottom-4 z-50 flex w-80 flex-col gap-2">
      {shown.map((t) => (
        <Toast key={t.id} toast={t} onDismiss={onDismiss} onUndo={onUndo} />
      ))}
    </ol>
  );
}
