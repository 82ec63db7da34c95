// The worker as a supervisor would restart it, for the fault suite: kill the agent process groups a
// SIGKILLed previous incarnation left in this work dir, then start worker/src/main.ts as usual.
// Only until main.ts calls reapOrphans itself (the call belongs there, before the worker connects).
import { reapOrphans } from "../../../worker/src/orphans";

const workDir = process.env.ORCH_WORK_DIR;
if (workDir) {
  const reaped = reapOrphans(workDir);
  // Logged even when empty: the suite uses the time to tell the lease window from a failed clean-up.
  console.log(JSON.stringify({ time: new Date().toISOString(), worker: process.env.ORCH_WORKER_NAME, msg: "orphan check", reaped }));
}
await import("../../../worker/src/main");
