"use client";

import { useState, useSyncExternalStore, type FormEvent } from "react";

import { isColor, nameProblem, PERSON_COLORS, type Identity } from "@/lib/presence";

export interface SseIdentityFormProps {
  readonly identity: Identity | null;
  readonly onSave: (name: string, color: string) => void;
  /**
   * The color offered until the person picks one (see `defaultColor` in presence.ts);
   * `null` while it is still being worked out (the list of who is on the board has not
   * arrived): the color control waits, so a pick is never replaced by the offer arriving.
   */
  readonly defaultColor?: string | null;
}

/** Name + color, validated like the server does; kept by the caller in localStorage. */
const noSubscription = () => () => {};

export function SseIdentityForm({ identity, onSave, defaultColor = PERSON_COLORS[0] }: SseIdentityFormProps) {
  // False in the server's HTML and until React has hydrated the form: typing or clicking
  // before that would be lost (the handlers are not attached yet), so the controls wait.
  const hydrated = useSyncExternalStore(noSubscription, () => true, () => false);
  const [name, setName] = useState(identity?.name ?? "");
  // `null` until the person picks a color: the default may still change (it arrives with
  // the list of who is on the board).
  const [picked, setPicked] = useState<string | null>(identity?.color ?? null);
  const color = picked ?? defaultColor ?? PERSON_COLORS[0];
  // Choosing the color shown is no change event, so it would not count as a pick: until
  // the offer is final the control waits (else the offer could swap the color under them).
  const colorReady = hydrated && (picked !== null || defaultColor !== null);
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
          disabled={!hydrated}
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
          disabled={!colorReady}
          title={colorReady ? undefined : "Finding a color nobody on this board uses…"}
          onChange={(e) => setPicked(e.target.value)}
        />
      </label>
      <button
        type="submit"
        data-testid="sse-join"
        disabled={!hydrated}
        className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700"
      >
        {identity ? "Update" : "Join the board"}
      </button>
      {touched && problem && <p className="w-full text-sm text-rose-700">{problem}</p>}
    </form>
  );
}
