import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// End-to-end: a real server and workers, driven through Debian's Chromium. Kept out of the
// component-test config so `npm test` stays fast; wired separately.
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    name: "ui-e2e",
    include: ["e2e/**/*.e2e.test.ts"],
    environment: "node",
    globalSetup: ["e2e/support/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Each file starts its own server and browser; two at once would only compete for 2 cores.
    fileParallelism: false,
  },
});
