import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

// Unit tests only: pure logic under lib/ (and tests/ if it appears). The browser tests
// live in e2e/ and run with `npm run e2e` (node --test + playwright-core).
export default defineConfig({
  resolve: {
    alias: { "@": fileURLToPath(new URL("./", import.meta.url)) },
  },
  test: {
    include: ["lib/**/*.test.ts", "tests/**/*.test.ts"],
    environment: "node",
  },
});
