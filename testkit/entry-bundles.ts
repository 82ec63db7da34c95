import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO } from "./paths";

/**
 * The server's and the worker's entry points (server/src/main.ts, worker/src/main.ts) bundled once
 * per test session, so each of the hundreds of server and worker processes the suites start loads
 * one JavaScript file instead of compiling and resolving every module through tsx: a worker starts
 * on ~0.3 CPU s instead of ~1, a server on ~1 instead of ~2.3, which on a 2-core machine is most
 * of what the process-heavy files spend. The bundle is built by esbuild, the transform tsx itself
 * runs on each file, from the sources as they are at the start of the session.
 */

/** The environment variable naming the session's bundle directory; startNodeScript runs tsx without it. */
export const ENTRY_BUNDLES_ENV = "ORCH_TEST_ENTRY_BUNDLES";

const PREFIX = "fc-entry-bundles-";

/** The entry points bundled, relative to the repository. */
const ENTRIES = ["server/src/main.ts", "worker/src/main.ts"];

/**
 * Where a bundle of `script` is: `<dir>/worker/src/main.ts.mjs`. The bundle keeps the source path
 * in its own, so a process list still names `worker/src/main.ts` (the sandbox tests look for it).
 */
const bundlePath = (dir: string, entry: string) => join(dir, `${entry}.mjs`);

/**
 * The bundle to run for `script` in this session, or undefined (no bundles built, e.g. the bench,
 * or a script that is not bundled): the caller then runs the source through tsx.
 */
export function bundledEntry(script: string): string | undefined {
  const dir = process.env[ENTRY_BUNDLES_ENV];
  if (!dir) return undefined;
  const entry = relative(REPO, script);
  if (!ENTRIES.includes(entry)) return undefined;
  const bundle = bundlePath(dir, entry);
  return existsSync(bundle) ? bundle : undefined;
}

/**
 * Bundles the entries into a fresh directory under the repository's node_modules (so that the
 * bundles' package imports resolve as the sources' do) and returns it with a cleanup.
 */
export async function buildEntryBundles(): Promise<{ dir: string; remove(): void }> {
  // esbuild comes with tsx and vite; imported here only, so the bench and the tests load no bundler.
  const { build } = await import("esbuild");
  const cache = join(REPO, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  removeStale(cache);
  const dir = mkdtempSync(join(cache, PREFIX));
  // Readable by the unprivileged user the real-CLI suites run their worker as, as the sources are.
  chmodSync(dir, 0o755);
  try {
    await build({
      entryPoints: ENTRIES.map((entry) => ({ in: join(REPO, entry), out: entry.replace(/\.ts$/, "") })),
      outdir: dir,
      outExtension: { ".js": ".ts.mjs" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // node_modules stay imports, resolved from the bundle's folder up to the repository's node_modules.
      packages: "external",
      logLevel: "warning",
      plugins: [sourceLocations],
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bundles a killed session left behind (a day old: no session runs that long). */
function removeStale(cache: string): void {
  for (const name of readdirSync(cache)) {
    const dir = join(cache, name);
    if (name.startsWith(PREFIX) && Date.now() - statSync(dir).mtimeMs > 24 * 3600_000) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * import.meta in a bundle would name the bundle; each source file's own location is written in
 * instead, so paths it resolves against itself (../package.json, the dashboard's dist) stay the same.
 */
const sourceLocations = {
  name: "source-locations",
  setup(b: { onLoad(o: { filter: RegExp }, cb: (a: { path: string }) => { contents: string; loader: "ts" | "js" } | undefined): void }) {
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, ({ path }) => {
      if (path.includes("/node_modules/")) return undefined;
      const source = readFileSync(path, "utf8");
      if (!source.includes("import.meta")) return undefined;
      const contents = source
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(path)))
        .replaceAll("import.meta.filename", JSON.stringify(path))
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(path).href));
      return { contents, loader: /\.[cm]?ts$/.test(path) ? "ts" : "js" };
    });
  },
};
