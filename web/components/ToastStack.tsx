"use client";

import { useEffect } from "react";

import type { Notice } from "@/lib/boardState";

/** How long a toast stays, in milliseconds. */
const TOAST_MS = 6_000;
/** Most toasts shown at once (the newest). */
const MAX_SHOWN = 4;

export interface ToastStackProps {
  /** Other people's changes (`remote` notices). */
  readonly toasts: readonly Notice[];
  readonly onDismiss: (id: number) => void;
}

function Toast({ toast, onDismiss }: { readonly toast: Notice; readonly onDismiss: (id: number) => void }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, onDismiss]);
  return (
    <li
      data-testid="toast"
      className="flex items-start gap-3 rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm shadow-lg"
    >
      <span className="flex-1">{toast.text}</span>
      <button type="button" onClick={() => onDismiss(toast.id)} aria-label="Dismiss" className="text-slate-400 hover:text-slate-700">
        ×
      </button>
    </li>
  );
}

/** Notifications of other people's changes ("Ana moved a note to Done"), bottom right. */
export function ToastStack({ toasts, onDismiss }: ToastStackProps) {
  const shown = toasts.slice(-MAX_SHOWN);
  return (
    <ol aria-live="polite" aria-label="Notifications" className="pointer-events-auto fixed right-4 bottom-4 z-50 flex w-80 flex-col gap-2">
      {shown.map((t) => (
        <Toast key={t.id} toast={t} onDismiss={onDismiss} />
      ))}
    </ol>
  );
}
