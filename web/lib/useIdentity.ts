"use client";

/**
 * This browser's presence identity, kept in `localStorage` so every tab (and every visit)
 * is the same person to the server. When the server signs a session (`POST /session`, see
 * access.ts) its `clientId` is the one kept: pass it to `save`. Tabs follow each other's changes through the
 * `storage` event. Read with `useSyncExternalStore`: the server render sees no identity,
 * the browser sees the stored one, without a hydration mismatch.
 */

import { useCallback, useMemo, useSyncExternalStore } from "react";

import { newClientId, parseIdentity, type Identity } from "./presence";

const STORAGE_KEY = "liveboard.identity";
const listeners = new Set<() => void>();

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  window.addEventListener("storage", onChange);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener("storage", onChange);
  };
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: no identity, the form asks each time
  }
}

/** The stored identity (or `null`) and a function to choose a name and color. */
export function useIdentity(): readonly [Identity | null, (name: string, color: string, clientId?: string) => void] {
  const raw = useSyncExternalStore(subscribe, readStored, () => null);
  const identity = useMemo(() => parseIdentity(raw), [raw]);
  const save = useCallback(
    (name: string, color: string, clientId?: string) => {
      const next: Identity = {
        clientId: clientId ?? identity?.clientId ?? newClientId(),
        name: name.trim(),
        color: color.toLowerCase(),
      };
      try {
        window.localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      } catch {
        // storage full or disabled: nothing to keep it in
      }
      listeners.forEach((l) => l());
    },
    [identity],
  );
  return [identity, save] as const;
}
