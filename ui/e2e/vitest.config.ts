import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// End-to-end: a real server and workers, driven through Debian's Chromium. Kept out of the
// component-test config so `npm test` stays fast; wired separately.
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    name: "ui-e2e",
    // Relative to whichever root vitest settles on: ui/ when run with -c from ui/, this folder when
    // the root config lists this file as a project (vitest then roots the project at its config's
    // folder, and an "e2e/**" pattern found nothing: the e2e suite silently left npm test).
    include: ["**/*.e2e.test.ts"],
    environment: "node",
    // The dashboard's build, and the server and worker bundles the stacks run (testkit/entry-bundles.ts).
    globalSetup: [
      fileURLToPath(new URL("support/global-setup.ts", import.meta.url)),
      fileURLToPath(new URL("../../testkit/entry-bundles-setup.ts", import.meta.url)),
    ],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Each file starts its own server and browser; two at once would only compete for 2 cores.
    fileParallelism: false,
    sequence: { groupOrder: 1 },
    // As in testkit/vitest-process-suite.ts: the tests run as root here, where the claude-code
    // adapter refuses to start claude unless the operator sets IS_SANDBOX=1; the fake needs no confining.
    env: process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {},
  },
});
