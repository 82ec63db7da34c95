import type { Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { overlaps, type Execution } from "./executions";
import type { WorkerIncarnation } from "./fleet";

/** How long before an agent's recorded start its worker may have had the run (node starting up). */
const START_SLACK_MS = 1000;
/** Time allowed between the replacement's reap and the monitor seeing the orphan gone (kill delivery, 20 ms polls, load). */
const REAP_SLACK_MS = 1000;

export interface ExecutionCheck {
  violations: string[];
  /** Overlaps inside the documented window: an orphan of a SIGKILLed worker, before its replacement reaped it. */
  leaseWindow: string[];
  orphansOutlivedWorker: number;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const markOf = (r: Run) => /\bmark=(\S+)/.exec(r.spec?.prompt ?? "")?.[1] ?? "?";
const until = (e: Execution) => e.end ?? e.goneAt;
const describe = (e: Execution) =>
  `pid ${e.pid} on ${e.tag} [${iso(e.start)} .. ${e.end ? iso(e.end) : e.goneAt ? `seen gone ${iso(e.goneAt)}` : "still running"}]`;

/**
 * "No run executed by two workers at once", with the one exception the design documents: an agent
 * of a SIGKILLed worker lives on (it cannot be told to stop) until the worker's replacement kills it
 * at start, and if the lost-worker lease expired first the run already runs elsewhere. So an
 * overlap is allowed only when the earlier execution belongs to a killed incarnation and the later
 * one started before the replacement's reap; and every such orphan must be gone right after that reap.
 */
export function checkExecutions(execs: Execution[], incarnations: WorkerIncarnation[], runs: Run[]): ExecutionCheck {
  const byTag = new Map(incarnations.map((inc) => [inc.tag, inc]));
  // The first later incarnation of the slot that got as far as its reap (one may be killed while starting).
  const successor = (inc: WorkerIncarnation) => {
    const [name, n] = inc.tag.split("#");
    for (let k = Number(n) + 1; ; k++) {
      const next = byTag.get(`${name}#${k}`);
      if (!next || next.reapAt !== undefined) return next;
    }
  };
  const violations: string[] = [];
  const leaseWindow: string[] = [];
  let orphansOutlivedWorker = 0;

  // Every agent of a killed worker is gone soon after the replacement's reap.
  for (const e of execs) {
    const inc = byTag.get(e.tag);
    if (inc?.killedAt === undefined || (e.end !== undefined && e.end <= inc.killedAt)) continue;
    const end = until(e);
    // Died with its worker (a chatty agent dies of EPIPE at its next line).
    if (end !== undefined && end <= inc.killedAt + 100) continue;
    orphansOutlivedWorker++;
    const next = successor(inc);
    if (next?.reapAt === undefined) violations.push(`orphan ${describe(e)} of killed ${inc.tag}: no replacement ever checked for it`);
    else if (end === undefined || end > next.reapAt + REAP_SLACK_MS) {
      violations.push(`orphan ${describe(e)} of ${inc.tag} (killed ${iso(inc.killedAt)}) outlived the reap by ${next.tag} at ${iso(next.reapAt)}`);
    }
  }

  for (const [a, b] of overlaps(execs)) {
    const inc = byTag.get(a.tag);
    const next = inc && successor(inc);
    const inWindow = inc?.killedAt !== undefined && inc.killedAt <= b.start && (next?.reapAt === undefined || b.start <= next.reapAt);
    const line = `run ${a.mark}: ${describe(a)} and ${describe(b)}`;
    if (inWindow)
      leaseWindow.push(
        `${line}; ${inc!.tag} killed ${iso(inc!.killedAt!)}, reaped by ${next?.tag ?? "?"} at ${next?.reapAt ? iso(next.reapAt) : "?"}`,
      );
    else violations.push(`run executed twice at once: ${line}`);
  }

  for (const r of runs) {
    const mine = execs.filter((e) => e.mark === markOf(r)).sort((a, b) => a.start - b.start);
    if (mine.length > r.attempt) violations.push(`run ${markOf(r)} (${r.id}) executed ${mine.length} times in ${r.attempt} attempts`);
    // These agents always succeed, so another execution needs a reason: its worker was SIGKILLed,
    // or cut off for longer than the lease (a partition: the run was requeued, whether its agent had
    // finished or its worker had stopped it), or it fenced itself (worker/src/fence.ts) during a cut
    // or server restart that outlasted the fence. Shorter blips the worker rides out, keeping its run.
    // Fenced executions get no exception from the overlap check above. (No finer test on times: an
    // agent records its start only once node is up, which can be after its worker was killed.)
    mine.slice(0, -1).forEach((e, i) => {
      const inc = byTag.get(e.tag);
      const partitioned = inc?.partitionedAt.some((t) => t >= e.start - START_SLACK_MS && t <= mine[i + 1]!.start);
      if (inc?.killedAt === undefined && !inc?.fenced.has(r.id) && !partitioned) {
        violations.push(
          `run ${markOf(r)} (${r.id}) ran again after ${describe(e)} although ${e.tag} was neither killed, nor partitioned, nor fenced`,
        );
      }
    });
  }
  return { violations, leaseWindow, orphansOutlivedWorker };
}
