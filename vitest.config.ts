import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Two test files at a time on the 2-core CI machine (vitest's default is cores - 1 = one): most
    // files wait on servers, workers and timers rather than burn CPU, so two halve the wall time
    // (7m45s -> 4m56s measured) and the timing-sensitive suites (self-fence, faults, overload) still
    // passed under it; the dashboard e2e files stay one at a time (their own config).
    maxWorkers: 2,
    projects: [
      "server",
      "worker",
      "ui",
      // The dashboard e2e project drives Debian's Chromium against a real server and workers.
      "ui/e2e/vitest.config.ts",
      // Code shared by server, worker and bench (shared-src/) and the test kit's own unit tests.
      { test: { name: "shared", include: ["shared-src/**/*.test.ts", "testkit/**/*.test.ts"] } },
    ],
  },
});
