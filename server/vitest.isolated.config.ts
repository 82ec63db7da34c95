import { ISOLATED_SERVER_FILES, processSuiteConfig } from "../testkit/vitest-process-suite";

// The server files that measure their own process, each in a fresh one (see ISOLATED_SERVER_FILES).
export default processSuiteConfig({ include: ISOLATED_SERVER_FILES, name: "@flightcontrol/server-isolated" });
