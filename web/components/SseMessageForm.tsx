"use client";

import { useState, type FormEvent } from "react";

export interface SseMessageFormProps {
  /** `POST` target: `${backend}/boards/${board}/messages`. */
  readonly endpoint: string;
  /** Sent as `name` beside the text. */
  readonly name: string | null;
}

/**
 * Posts a message with plain `fetch`: SSE is one-way, so the browser talks back with
 * ordinary requests. The message comes back to every open stream, this one included.
 */
export function SseMessageForm({ endpoint, name }: SseMessageFormProps) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    setSending(true);
    setError(null);
    try {
      const res = await fetch(endpoint, {
        method: "POST",
        // The session cookie: on a private server it says who may post here.
        credentials: "include",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(name ? { text, name } : { text }),
      });
      if (res.ok) {
        setText("");
      } else {
        const body: unknown = await res.json().catch(() => null);
        const message =
          typeof body === "object" && body !== null && "error" in body
            ? String((body as { error: { message?: unknown } }).error.message ?? res.statusText)
            : res.statusText;
        setError(`${res.status}: ${message}`);
      }
    } catch {
      setError("cannot reach the backend");
    } finally {
      setSending(false);
    }
  }

  return (
    <form onSubmit={submit} className="flex flex-wrap gap-2" aria-label="Post a message">
      <input
        data-testid="sse-message-input"
        className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-sm"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="Say something to everyone on the board"
      />
      <button
        type="submit"
        data-testid="sse-send"
        disabled={sending}
        className="rounded-md bg-slate-800 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-900 disabled:opacity-50"
      >
        Send
      </button>
      {error && (
        <p data-testid="sse-send-error" className="w-full text-sm text-rose-700">
          {error}
        </p>
      )}
    </form>
  );
}
