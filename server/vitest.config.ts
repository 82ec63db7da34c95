import { ISOLATED_SERVER_FILES, processSuiteConfig, SOLO_SERVER_FILES } from "../testkit/vitest-process-suite";

// The server suite, its files sharing a process per vitest worker; the load-measuring files run
// alone at the end (vitest.solo.config.ts), the self-measuring ones each in a fresh process
// (vitest.isolated.config.ts).
export default processSuiteConfig({ exclude: [...SOLO_SERVER_FILES, ...ISOLATED_SERVER_FILES], isolate: false });
