import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { RunStatus } from "../../server/src/gen/flightcontrol/v1/run_pb";
import { gitIn, startGitDaemon } from "../../testkit/git-server";
import { apiClient, type ApiClient } from "../lib/clients";
import { removeDir, tempDir } from "../lib/procs";
import { startRealWorker, type BenchServer } from "../lib/server";
import { now, round, sleep, summarize, type Summary } from "../lib/util";

export interface RepoOptions {
  /** Size of the generated repository's files (random, so incompressible). */
  mib: number;
  coldRuns: number;
  warmRuns: number;
  log: (s: string) => void;
}

export interface RepoResult {
  repoMiB: number;
  files: number;
  /** CreateRun call → the agent's first output line (its time as the worker stamped it), ms. */
  coldStartMs: Summary;
  warmStartMs: Summary;
  /** The worker's own figure for the checkout phase ("checkout: … in N s"), p50 of each, s. */
  coldCheckoutS: number;
  warmCheckoutS: number;
}

const MARK = "agent-started";

/**
 * Time to start a run on a repository of `mib` MiB: a real worker, a real git daemon, a bare
 * repository of random files. Cold: the worker has no mirror (its mirrors/ folder is emptied
 * between runs), so it clones the whole repository. Warm: the mirror is there and only fetched.
 */
export async function runRepo(server: BenchServer, opts: RepoOptions): Promise<RepoResult> {
  const root = tempDir("fc-bench-git-");
  const worker = startRealWorker(server.url, "bench-repo", 1);
  const daemon = await startGitDaemon(root);
  const api = apiClient(server.url);
  try {
    const files = makeRepo(root, opts.mib);
    opts.log(`  generated a ${opts.mib} MiB repository (${files} files)`);
    const url = daemon.url("big");
    const cold: number[] = [];
    const warm: number[] = [];
    const coldCheckout: number[] = [];
    const warmCheckout: number[] = [];
    for (let i = 0; i < opts.coldRuns; i++) {
      rmSync(join(worker.workDir, "mirrors"), { recursive: true, force: true });
      const r = await timedRun(api, url);
      cold.push(r.startMs);
      coldCheckout.push(r.checkoutS);
      opts.log(`  cold ${i + 1}: ${round(r.startMs, 0)} ms`);
    }
    for (let i = 0; i < opts.warmRuns; i++) {
      const r = await timedRun(api, url);
      warm.push(r.startMs);
      warmCheckout.push(r.checkoutS);
      opts.log(`  warm ${i + 1}: ${round(r.startMs, 0)} ms`);
    }
    const p50 = (xs: number[]) => summarize(xs).p50;
    return {
      repoMiB: opts.mib,
      files,
      coldStartMs: roundAll(summarize(cold)),
      warmStartMs: roundAll(summarize(warm)),
      coldCheckoutS: round(p50(coldCheckout), 2),
      warmCheckoutS: round(p50(warmCheckout), 2),
    };
  } finally {
    api.conn.close();
    await worker.stop("SIGTERM", 10_000);
    await daemon.stop();
    removeDir(root);
  }
}

const roundAll = (s: Summary): Summary => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v, 1)])) as unknown as Summary;

/** A bare repository big.git whose main branch holds `mib` files of 1 MiB of random bytes. */
function makeRepo(root: string, mib: number): number {
  const work = join(root, "work");
  mkdirSync(join(work, "data"), { recursive: true });
  for (let i = 0; i < mib; i++) writeFileSync(join(work, "data", `blob-${i}.bin`), randomBytes(1 << 20));
  writeFileSync(join(work, "README.md"), "bench repository\n");
  gitIn(work, ["init", "--quiet", "--initial-branch=main"]);
  // Level 0: random bytes do not compress, so trying only costs the bench's setup time.
  gitIn(work, ["-c", "core.compression=0", "add", "-A"]);
  gitIn(work, ["-c", "core.compression=0", "commit", "--quiet", "-m", "random data"]);
  gitIn(root, ["clone", "--quiet", "--bare", work, join(root, "big.git")]);
  // Packed, as a hosting server keeps its repositories: git daemon then sends the pack as stored
  // instead of compressing 50 MiB of loose objects for every clone (15-20 s here, all server-side).
  gitIn(root, ["-C", join(root, "big.git"), "-c", "pack.compression=0", "repack", "-a", "-d", "-q", "--window=0"]);
  removeDir(work);
  return mib + 1;
}

async function timedRun(api: ApiClient, url: string): Promise<{ startMs: number; checkoutS: number }> {
  const sentWall = Date.now();
  const t0 = now();
  const { run } = await api.runs.createRun({ spec: { agent: "shell", prompt: `echo ${MARK}`, repository: { url } } });
  const id = run!.id;
  const deadline = t0 + 120_000;
  for (;;) {
    const r = (await api.runs.getRun({ id })).run!;
    if (r.finishTime) {
      if (r.status !== RunStatus.SUCCEEDED) throw new Error(`repository run ${id} ended ${RunStatus[r.status]}: ${r.error}`);
      break;
    }
    if (now() > deadline) throw new Error(`repository run ${id} did not finish in 120 s`);
    await sleep(20);
  }
  const { items } = await api.runs.listRunLogs({ runId: id });
  const lines = items.flatMap((i) => (i.payload.case === "log" ? [{ text: i.payload.value.text, at: i.time ? timestampMs(i.time) : NaN }] : []));
  const mark = lines.find((l) => l.text === MARK);
  if (!mark) throw new Error(`repository run ${id} has no "${MARK}" line`);
  const checkout = lines.map((l) => /^checkout: .* in ([\d.]+) s$/.exec(l.text)).find(Boolean);
  return { startMs: mark.at - sentWall, checkoutS: checkout ? Number(checkout[1]) : NaN };
}
