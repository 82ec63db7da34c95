import { buildEntryBundles, ENTRY_BUNDLES_ENV } from "./entry-bundles";

/**
 * Vitest globalSetup of every suite that starts server or worker processes: builds the session's
 * entry bundles (entry-bundles.ts) and names them to the test files' processes, which inherit this
 * environment. Several projects of one `npm test` share the first one built.
 */
export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env[ENTRY_BUNDLES_ENV]) return undefined;
  const { dir, remove } = await buildEntryBundles();
  process.env[ENTRY_BUNDLES_ENV] = dir;
  return () => {
    if (process.env[ENTRY_BUNDLES_ENV] === dir) delete process.env[ENTRY_BUNDLES_ENV];
    remove();
  };
}
