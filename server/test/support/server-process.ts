// Moved to testkit/: re-exported here only so test files written on other branches before the move
// still compile after the merge. Import from testkit/ instead; delete this file once nothing imports it.
export { freePort } from "../../../testkit/free-port";
export { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
