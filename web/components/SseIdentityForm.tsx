"use client";

import { useState, type FormEvent } from "react";

import { isColor, nameProblem, type Identity } from "@/lib/presence";

const DEFAULT_COLOR = "#4f46e5";

export interface SseIdentityFormProps {
  readonly identity: Identity | null;
  readonly onSave: (name: string, color: string) => void;
}

/** Name + color, validated like the server does; kept by the caller in localStorage. */
export function SseIdentityForm({ identity, onSave }: SseIdentityFormProps) {
  const [name, setName] = useState(identity?.name ?? "");
  const [color, setColor] = useState(identity?.color ?? DEFAULT_COLOR);
  const problem = nameProblem(name);
  const [touched, setTouched] = useState(false);

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (problem === null && isColor(color)) onSave(name, color);
  }

  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Your name and color">
      <label className="flex flex-col text-sm">
        <span className="font-medium text-slate-600">Display name</span>
        <input
          data-testid="sse-name-input"
          className="rounded-md border border-slate-300 px-2 py-1"
          value={name}
          maxLength={64}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. Ana"
        />
      </label>
      <label className="flex flex-col text-sm">
        <span className="font-medium text-slate-600">Color</span>
        <input
          type="color"
          data-testid="sse-color-input"
          className="h-8 w-14 rounded-md border border-slate-300"
          value={color}
          onChange={(e) => setColor(e.target.value)}
        />
      </label>
      <button
        type="submit"
        data-testid="sse-join"
        className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700"
      >
        {identity ? "Update" : "Join the board"}
      </button>
      {touched && problem && <p className="w-full text-sm text-rose-700">{problem}</p>}
    </form>
  );
}
