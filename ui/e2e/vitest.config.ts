import { e2eSuiteConfig } from "./support/suite-config";

// End-to-end: a real server and workers, driven through Debian's Chromium; every e2e file, one at a
// time (`npm run test:e2e` in ui/). `npm test` splits it in two (the root vitest.config.ts).
export default e2eSuiteConfig();
