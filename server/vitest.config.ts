import { processSuiteConfig, SOLO_SERVER_FILES } from "../testkit/vitest-process-suite";

export default processSuiteConfig({ exclude: SOLO_SERVER_FILES });
