import { defineConfig } from "vitest/config";

/**
 * The vitest config of a suite whose tests start real servers, workers and agents (server/, worker/):
 * timeouts for process start-up on a loaded machine, and each file in its own process (forks), so
 * a file's exit hooks (testkit/child-process.ts) kill what it started.
 */
export const processSuiteConfig = () =>
  defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: "forks",
    },
  });
