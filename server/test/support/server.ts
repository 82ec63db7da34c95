// Moved to testkit/: re-exported here only so test files written on other branches before the move
// still compile after the merge. Import from testkit/ instead; delete this file once nothing imports it.
export { startTestServer, type TestServer } from "../../../testkit/test-server";
export { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
