"use client";

/**
 * Hands the backend base URL, resolved on the server (`lib/backendUrl.ts`), to client
 * components. The root layout wraps the app in {@link BackendProvider}; hooks that talk to
 * the backend call {@link useBackendUrl}.
 */

import { createContext, useContext, type ReactNode } from "react";

const BackendUrlContext = createContext<string | null>(null);

export interface BackendProviderProps {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly children: ReactNode;
}

export function BackendProvider({ url, children }: BackendProviderProps) {
  return <BackendUrlContext.Provider value={url}>{children}</BackendUrlContext.Provider>;
}

/** The backend base URL (no trailing slash). Must be used under {@link BackendProvider}. */
export function useBackendUrl(): string {
  const url = useContext(BackendUrlContext);
  if (url === null) {
    throw new Error("useBackendUrl() needs a <BackendProvider> above it (see app/layout.tsx)");
  }
  return url;
}
