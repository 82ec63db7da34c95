import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
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
