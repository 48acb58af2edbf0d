"use client";

import { useState, type FormEvent } from "react";

export interface WsRawSenderProps {
  /** Sends the text as a text message; returns false when not connected. */
  readonly onSendText: (text: string) => boolean;
  /** When given, a second button sends the text's UTF-8 bytes as a binary message. */
  readonly onSendBinary?: (bytes: Uint8Array) => boolean;
  /** Prefix of the `data-testid`s (`ws`, `echo`). */
  readonly idPrefix: string;
  readonly label: string;
  readonly placeholder: string;
}

/** A text box that sends exactly what is typed: for echo tests and deliberately bad input. */
export function WsRawSender({ onSendText, onSendBinary, idPrefix, label, placeholder }: WsRawSenderProps) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  function send(asBinary: boolean) {
    const sent = asBinary && onSendBinary ? onSendBinary(new TextEncoder().encode(text)) : onSendText(text);
    setProblem(sent ? null : "Not connected.");
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    send(false);
  }

  return (
    <form onSubmit={submit} className="space-y-1" aria-label={label}>
      <span className="text-sm font-medium text-slate-600">{label}</span>
      <div className="flex flex-wrap gap-2">
        <input
          data-testid={`${idPrefix}-raw-input`}
          className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 font-mono text-sm"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={placeholder}
        />
        <button
          type="submit"
          data-testid={`${idPrefix}-raw-send`}
          className="rounded-md bg-slate-800 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-900"
        >
          Send text
        </button>
        {onSendBinary && (
          <button
            type="button"
            data-testid={`${idPrefix}-raw-send-binary`}
            onClick={() => send(true)}
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50"
          >
            Send as binary
          </button>
        )}
      </div>
      {problem && <p className="text-sm text-rose-700">{problem}</p>}
    </form>
  );
}
