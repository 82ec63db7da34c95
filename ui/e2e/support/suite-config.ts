import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Dashboard e2e files that measure the page's own speed (log-scroll.e2e.test.ts: frame times while
 * scrolling a 100,000-line log): next to another file's servers and browser on a 2-core machine
 * they measure that file too, so `npm test` runs them alone after the main group. The other e2e
 * files only wait for what a user would see, with timeouts in seconds, and run with the unit files,
 * two files at a time like them.
 */
export const LATENCY_E2E_FILES = ["**/log-scroll.e2e.test.ts"];

/**
 * The vitest config of (part of) the dashboard e2e suite: a real server and workers, driven through
 * Debian's Chromium. `include`/`exclude` pick files; `groupOrder` places the part in `npm test`.
 */
export const e2eSuiteConfig = (opts: { name?: string; include?: string[]; exclude?: string[]; groupOrder?: number; parallel?: boolean } = {}) =>
  defineConfig({
    root: fileURLToPath(new URL("../..", import.meta.url)),
    test: {
      name: opts.name ?? "ui-e2e",
      // Relative to the root above (ui/): an "e2e/**" pattern resolved against another folder once
      // found nothing, and the e2e suite silently left npm test.
      include: opts.include ?? ["**/*.e2e.test.ts"],
      exclude: ["**/node_modules/**", ...(opts.exclude ?? [])],
      environment: "node",
      // The dashboard's build, and the server and worker bundles the stacks run (testkit/entry-bundles.ts).
      globalSetup: [
        fileURLToPath(new URL("global-setup.ts", import.meta.url)),
        fileURLToPath(new URL("../../../testkit/entry-bundles-setup.ts", import.meta.url)),
      ],
      testTimeout: 120_000,
      hookTimeout: 180_000,
      pool: "forks",
      // A vitest worker runs its e2e files one after another in one process: each file starts and
      // stops its own stack and browser, and the playwright and test-kit imports are paid once.
      isolate: false,
      // Each file starts its own server and browser. One at a time, unless `parallel`: files that
      // only wait for what a user sees may share the machine with any other file (vitest runs a
      // project without file parallelism in a group of its own at the very end of the session, so
      // the part of `npm test` that runs next to the unit files cannot have it).
      fileParallelism: opts.parallel ?? false,
      sequence: { groupOrder: opts.groupOrder ?? 1 },
      // As in testkit/vitest-process-suite.ts: the tests run as root here, where the claude-code
      // adapter refuses to start claude unless the operator sets IS_SANDBOX=1; the fake needs no confining.
      env: process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {},
    },
  });
