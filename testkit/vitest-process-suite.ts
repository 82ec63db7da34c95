import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Server test files that measure latency or throughput under a load they make themselves: next to
 * another file's servers, workers or browser on a 2-core machine they measure that file too. They
 * run after everything else, one at a time (server/vitest.solo.config.ts, groupOrder in the root
 * config); the main server project leaves them out.
 *
 * dispatch/fleet.test.ts is not one of them: it asserts outcomes (every run once, in order, within
 * capacity, routed by labels) and bounds its 200 runs only by a 120 s timeout (22 s alone on a quiet
 * machine; 30-50 s next to chaos.test.ts on a loaded one). Alone at the end it added ~25 s of
 * one-file time to `npm test`; in the main group it overlaps the other files' waiting.
 */
export const SOLO_SERVER_FILES = ["test/security/overload.test.ts"];

/**
 * Server test files that measure their own process (its heap after GC, its sockets): each runs in a
 * fresh process (server/vitest.isolated.config.ts). The rest of the server suite shares one process
 * per vitest worker across files, which spares each file ~1 CPU s of importing the server again.
 */
export const ISOLATED_SERVER_FILES = [
  "test/security/key-cache.test.ts",
  "test/security/slow-consumer.test.ts",
  "test/security/stream-limits.test.ts",
  "test/security/soak.test.ts",
  "test/security/list-memory.test.ts",
  "test/security/idle-connections.test.ts",
];

/**
 * The vitest config of a suite whose tests start real servers, workers and agents (server/, worker/):
 * timeouts for process start-up on a loaded machine, and the files in child processes (forks), whose
 * exit hooks (testkit/child-process.ts) kill what they started. By default each file has its own
 * process; `isolate: false` runs a worker's files one after another in one process, for files that
 * stop what they start themselves and measure nothing process-wide.
 */
export const processSuiteConfig = (opts: { include?: string[]; exclude?: string[]; name?: string; solo?: boolean; isolate?: boolean } = {}) =>
  defineConfig({
    test: {
      ...(opts.name ? { name: opts.name } : {}),
      include: opts.include ?? ["test/**/*.test.ts"],
      exclude: ["**/node_modules/**", ...(opts.exclude ?? [])],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: "forks",
      isolate: opts.isolate ?? true,
      // The server and worker processes the tests start run from bundles built once per session.
      globalSetup: [fileURLToPath(new URL("entry-bundles-setup.ts", import.meta.url))],
      ...(opts.solo ? { fileParallelism: false, sequence: { groupOrder: 2 } } : {}),
      // This machine runs the tests as root, where the claude-code adapter refuses to start claude
      // (worker/src/agents/claude-root-check.ts) unless the operator sets IS_SANDBOX=1: the fake
      // claude needs no confining. The real-CLI suites run their worker unprivileged and without it.
      env: process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {},
    },
  });
