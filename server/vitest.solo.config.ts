import { processSuiteConfig, SOLO_SERVER_FILES } from "../testkit/vitest-process-suite";

// The server's load-measuring files, alone at the end of `npm test` (see SOLO_SERVER_FILES).
export default processSuiteConfig({ include: SOLO_SERVER_FILES, name: "server-solo", solo: true });
