import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Server test files that measure latency or throughput under a load they make themselves: next to
 * another file's servers, workers or browser on a 2-core machine they measure that file too. They
 * run after everything else, one at a time (server/vitest.solo.config.ts, groupOrder in the root
 * config); the main server project leaves them out.
 */
export const SOLO_SERVER_FILES = ["test/security/overload.test.ts", "test/dispatch/fleet.test.ts"];

/**
 * The vitest config of a suite whose tests start real servers, workers and agents (server/, worker/):
 * timeouts for process start-up on a loaded machine, and each file in its own process (forks), so
 * a file's exit hooks (testkit/child-process.ts) kill what it started.
 */
export const processSuiteConfig = (opts: { include?: string[]; exclude?: string[]; name?: string; solo?: boolean } = {}) =>
  defineConfig({
    test: {
      ...(opts.name ? { name: opts.name } : {}),
      include: opts.include ?? ["test/**/*.test.ts"],
      exclude: ["**/node_modules/**", ...(opts.exclude ?? [])],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: "forks",
      // The server and worker processes the tests start run from bundles built once per session.
      globalSetup: [fileURLToPath(new URL("entry-bundles-setup.ts", import.meta.url))],
      ...(opts.solo ? { fileParallelism: false, sequence: { groupOrder: 2 } } : {}),
      // This machine runs the tests as root, where the claude-code adapter refuses to start claude
      // (worker/src/agents/claude-root-check.ts) unless the operator sets IS_SANDBOX=1: the fake
      // claude needs no confining. The real-CLI suites run their worker unprivileged and without it.
      env: process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {},
    },
  });
