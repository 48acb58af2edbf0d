"use client";

import { useBackendUrl } from "@/lib/useRuntimeConfig";

export interface BackendCommandProps {
  /** The path to request, starting with `/`. */
  readonly path: string;
}

/** A `curl -i` command against the configured backend, for readers to paste into a terminal. */
export function BackendCommand({ path }: BackendCommandProps) {
  const baseUrl = useBackendUrl() ?? "…";
  return <code>curl -i {`${baseUrl}${path}`}</code>;
}
