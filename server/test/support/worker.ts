// Moved to testkit/: re-exported here only so test files written on other branches before the move
// still compile after the merge. Import from testkit/ instead; delete this file once nothing imports it.
export { FIXTURES, REPO } from "../../../testkit/paths";
export { startWorker, type WorkerOptions, type WorkerProcess } from "../../../testkit/worker-process";
