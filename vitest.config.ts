import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The dashboard e2e project drives Debian's Chromium against a real server and workers.
    projects: ["server", "worker", "ui", "ui/e2e/vitest.config.ts"],
  },
});
