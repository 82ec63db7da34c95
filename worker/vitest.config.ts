import { processSuiteConfig } from "../testkit/vitest-process-suite";

// The worker suite's files share one process per vitest worker (none measures its process; each
// stops what it starts): 37 -> 22 CPU s for the suite.
export default processSuiteConfig({ isolate: false });
