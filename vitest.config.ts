import { defineConfig } from "vitest/config";
import { e2eSuiteConfig, LATENCY_E2E_FILES } from "./ui/e2e/support/suite-config";

export default defineConfig({
  test: {
    // Two test files at a time on this 2-core machine: the suite is mostly waiting on child
    // processes (servers, workers, git, Postgres, Chromium), so two overlap well (4m22s–5m against
    // 7m45s for one at a time). The load this adds once exposed a real race (a reconnecting worker's
    // log output acknowledged past a hole during a database outage, fixed in the worker protocol);
    // tests must hold under it.
    maxWorkers: 2,
    projects: [
      // Inside a group vitest starts the projects' files in the order of the projects' names (then
      // the longest first): the names put the long files first and the short ones (worker, shared,
      // ui) last, so that the group does not end on one long file: @flightcontrol/dashboard-e2e,
      // @flightcontrol/server, @flightcontrol/server-isolated, @flightcontrol/worker, shared, ui.
      "server",
      "server/vitest.isolated.config.ts",
      "worker",
      "ui",
      // The dashboard e2e files drive Debian's Chromium against a real server and workers, next to
      // the projects above; those that measure the page's speed run after them, alone (groupOrder
      // 1), then the server's load-measuring file (overload, groupOrder 2), alone, so that none
      // measures another file's load.
      e2eSuiteConfig({ name: "@flightcontrol/dashboard-e2e", exclude: LATENCY_E2E_FILES, groupOrder: 0, parallel: true }),
      e2eSuiteConfig({ name: "@flightcontrol/dashboard-e2e-solo", include: LATENCY_E2E_FILES, groupOrder: 1 }),
      "server/vitest.solo.config.ts",
      // Code shared by server, worker and bench (shared-src/) and the test kit's own unit tests.
      { test: { name: "shared", include: ["shared-src/**/*.test.ts", "testkit/**/*.test.ts"] } },
    ],
  },
});
