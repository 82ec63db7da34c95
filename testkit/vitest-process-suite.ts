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
      // This machine runs the tests as root, where the claude-code adapter refuses to start claude
      // (worker/src/agents/claude-root-check.ts) unless the operator sets IS_SANDBOX=1: the fake
      // claude needs no confining. The real-CLI suites run their worker unprivileged and without it.
      env: process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {},
    },
  });
