// The bench starts its processes and temp dirs with the test kit, whose exit hooks kill the children
// still running and remove the dirs on any exit of the bench, errors included.
export { REPO } from "../../testkit/paths";
export { startChild, type Child } from "../../testkit/child-process";
export { freePort } from "../../testkit/free-port";
export { removeDir, tempDir } from "../../testkit/temp-dir";

// Ctrl-C and SIGTERM would end the process without running exit hooks: exit instead.
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
