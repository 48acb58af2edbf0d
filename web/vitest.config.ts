import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

// Unit tests of pure logic under lib/ (and tests/ if it appears), in Node; the hooks'
// tests (`*.test.tsx`) run in jsdom (a `@vitest-environment jsdom` line at their top) with
// the fakes of lib/testing/ in place of WebSocket and EventSource. The browser tests live
// in e2e/ and run with `npm run e2e` (node --test + playwright-core).
export default defineConfig({
  resolve: {
    alias: { "@": fileURLToPath(new URL("./", import.meta.url)) },
  },
  test: {
    include: ["lib/**/*.test.{ts,tsx}", "tests/**/*.test.{ts,tsx}"],
    environment: "node",
  },
});
