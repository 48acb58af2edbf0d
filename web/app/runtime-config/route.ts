/**
 * `GET /runtime-config`: the backend and book addresses, read from this server's
 * environment for every request (see lib/runtimeConfig.ts). The one dynamic route: the
 * pages themselves are static, and the browser asks here once at start.
 */

import { connection } from "next/server";

import { resolveRuntimeConfig } from "@/lib/runtimeConfig";

const NO_STORE = { "Cache-Control": "no-store" };

export async function GET(): Promise<Response> {
  // Render per request: the environment of `next start`, not the one of `next build`.
  await connection();
  try {
    const config = resolveRuntimeConfig({
      backend: { runtime: process.env.LIVEBOARD_BACKEND_URL, buildTime: process.env.NEXT_PUBLIC_BACKEND_URL },
      book: { runtime: process.env.LIVEBOARD_BOOK_URL, buildTime: process.env.NEXT_PUBLIC_BOOK_URL },
    });
    return Response.json(config, { headers: NO_STORE });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return Response.json({ error: message }, { status: 500, headers: NO_STORE });
  }
}
