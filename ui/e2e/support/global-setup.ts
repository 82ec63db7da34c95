import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const UI_DIR = fileURLToPath(new URL("../..", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    /** The dashboard built for this test session, served by every test server. */
    uiDist: string;
  }
}

/** Where an earlier project of the same session built the dashboard (`npm test` has two e2e projects). */
const BUILT_ENV = "ORCH_TEST_UI_DIST";

/** Builds the dashboard once per session into a temp folder, leaving ui/dist alone. */
export default async function setup(project: TestProject) {
  const built = process.env[BUILT_ENV];
  if (built) {
    project.provide("uiDist", built);
    return undefined;
  }
  const outDir = await mkdtemp(join(tmpdir(), "fc-ui-e2e-dist-"));
  process.env[BUILT_ENV] = outDir;
  const { build } = await import("vite");
  // Vite takes the bundle's NODE_ENV from the environment, which vitest sets to "test": that built
  // React's development runtime (three times slower to render the log view), not what users get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      root: UI_DIR,
      configFile: join(UI_DIR, "vite.config.ts"),
      mode: "production",
      logLevel: "warn",
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  project.provide("uiDist", outDir);
  return async () => {
    if (process.env[BUILT_ENV] === outDir) delete process.env[BUILT_ENV];
    await rm(outDir, { recursive: true, force: true });
  };
}
