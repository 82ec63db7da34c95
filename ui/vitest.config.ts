import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  // Explicit, so `vitest -c ui/vitest.config.ts` from the repo root finds ui/test too.
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  resolve: {
    dedupe: ["@connectrpc/connect", "@bufbuild/protobuf", "react", "react-dom"],
  },
  test: {
    name: "ui",
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
    css: false,
    // The files share one process per vitest worker instead of a fresh one each (test/setup.ts
    // cleans the DOM and localStorage after every test): 54 -> 19 CPU s for the suite.
    isolate: false,
  },
});
