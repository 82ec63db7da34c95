import { processSuiteConfig } from "../testkit/vitest-process-suite.ts";

export default processSuiteConfig();
