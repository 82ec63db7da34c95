import { rmSync } from "node:fs";
import { offerAgents } from "./agents";
import { createAgentWorker } from "./agent-worker";
import { loadWorkerConfig, SECRET_ENV } from "./config";
import { scrubInitialEnv } from "./scrub-initial-env";
import { createWorkerLogger, WorkerEvent } from "./logger";
import { reapOrphans } from "./orphans";
import { selectSandbox, type WorkerSandbox } from "./sandbox/worker-sandbox";

const config = loadWorkerConfig();
const log = createWorkerLogger(config.name, config.logLevel);

// Before any agent can exist: agents run as our user and could read the key from /proc/<our pid>/environ.
try {
  scrubInitialEnv(SECRET_ENV);
} catch (err) {
  log.warn(
    { error: (err as Error).message },
    "could not scrub the API key from this process's initial environment; agents running as this user can read it from /proc",
  );
}
// A key file (the container entrypoint writes one so that no process's environment holds the key) is
// read once: it is gone before the first agent starts.
if (process.env.ORCH_API_KEY_FILE) {
  try {
    rmSync(process.env.ORCH_API_KEY_FILE);
  } catch (err) {
    log.warn({ error: (err as Error).message }, "could not delete ORCH_API_KEY_FILE after reading it; agents running as this user can read it");
  }
}

// Only agents whose binaries are here, in a supported version, are offered (agents/versions.ts).
const agents = await offerAgents(
  { gooseBin: config.gooseBin, claudeBin: config.claudeBin, codexBin: config.codexBin, codexSandbox: config.codexSandbox },
  config.agents,
  (message) => log.warn(message),
);
if (agents.size === 0) {
  log.fatal({ enabled: config.agents }, "no agent to offer: none of ORCH_WORKER_AGENTS was found in a supported version (see the lines above)");
  process.exit(2);
}
log.info({ agents: Object.fromEntries([...agents.values()].map((a) => [a.name, a.version])) }, "offering agents");
// After the key file is gone, so a key file that could not be deleted is among the hidden paths.
let sandbox: WorkerSandbox | undefined;
try {
  sandbox = selectSandbox(
    { mode: config.sandbox, bwrapBin: config.bwrapBin, workDir: config.workDir, extraHide: config.sandboxHide, show: config.sandboxShow },
    log,
    // Node for the CLIs that are Node scripts, and the CLIs this worker offers.
    [
      process.execPath,
      ...(config.agents.includes("goose") ? [config.gooseBin] : []),
      ...(config.agents.includes("claude-code") ? [config.claudeBin] : []),
      ...(config.agents.includes("codex") ? [config.codexBin] : []),
    ],
  );
} catch (err) {
  log.fatal({ error: (err as Error).message }, "cannot start");
  process.exit(2);
}
const worker = createAgentWorker(config, agents, log, undefined, sandbox);

// SIGTERM/SIGINT drain: take nothing new, let running runs finish and report, then exit 0.
// A second signal stops at once.
let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      worker.stop();
      process.exit(1);
    }
    void worker.drain();
  });
}

// Draining ends the process whether a signal or the server's DrainWorker asked for it.
void worker.drained.then(() => {
  worker.stop();
  log.info({ event: WorkerEvent.drained }, "drained; exiting");
  process.exit(0);
});

// Agents a SIGKILLed previous worker left running in this work dir die before we connect (orphans.ts).
const reaped = reapOrphans(config.workDir);
if (reaped.length) log.warn({ reaped }, "killed agents left by a previous worker process");

// The signal handlers above are in place: `npm start` waits for this event before it counts on a drain.
log.info({ event: WorkerEvent.started, server: config.serverUrl, capacity: config.capacity, labels: config.labels }, "starting");
worker.run().catch((err) => {
  log.fatal({ error: (err as Error).message }, "worker stopped");
  process.exit(2);
});
