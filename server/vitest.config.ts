import { processSuiteConfig } from "../testkit/vitest-process-suite";

export default processSuiteConfig();
