// Moved to testkit/: re-exported here only so test files written on other branches before the move
// still compile after the merge. Import from testkit/ instead; delete this file once nothing imports it.
export { assignOf, handWorker, hello, type HandWorker, type HelloFields, type HelloInit, type RequestInit } from "../../../../testkit/worker-session";
