import type { Client } from "@connectrpc/connect";
import { LogStream, type RunService, RunStatus, type Run, type RunOutput } from "../../src/gen/flightcontrol/v1/run_pb";

export interface RunCheck {
  violations: string[];
  /** Terminal states by name, plus how many runs needed more than one attempt. */
  counts: Record<string, number>;
}

const markOf = (r: Run) => /\bmark=(\S+)/.exec(r.spec?.prompt ?? "")?.[1] ?? "?";

/** Every stored output item of a run, through ListRunLogs paging (small pages, to exercise it). */
export async function allLogs(api: Client<typeof RunService>, runId: string): Promise<RunOutput[]> {
  const out: RunOutput[] = [];
  for (let after = 0n; ; ) {
    const page = await api.listRunLogs({ runId, afterSeq: after, pageSize: 40 });
    out.push(...page.items);
    if (page.end) return out;
    after = page.nextAfterSeq;
  }
}

const ATTEMPT_LINE = /^Run started on worker (\S+) \(attempt (\d+),/;

/**
 * The run-level invariants: one terminal state each (lost/failed only with attempts exhausted),
 * attempts within the limit, and a log whose seqs are exactly 1..last_seq in which the final
 * attempt of a succeeded run shows each of its agent's lines once, in order.
 */
export async function checkRuns(api: Client<typeof RunService>, runs: Run[], marks: Map<string, { lines: number }>): Promise<RunCheck> {
  const violations: string[] = [];
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

  for (const r of runs) {
    const name = `run ${markOf(r)} (${r.id}, attempt ${r.attempt}/${r.maxAttempts}, ${RunStatus[r.status]})`;
    bump(RunStatus[r.status].toLowerCase());
    if (r.attempt > 1) bump("retried");
    if (r.attempt > r.maxAttempts) violations.push(`${name}: more attempts than allowed`);
    if (r.status === RunStatus.LOST || r.status === RunStatus.FAILED) {
      if (r.attempt < r.maxAttempts) violations.push(`${name}: ended ${RunStatus[r.status]} with attempts left: ${r.error}`);
    } else if (r.status !== RunStatus.SUCCEEDED) {
      violations.push(`${name}: not in an expected terminal state: ${r.error}`);
    }
  }

  // Reads in parallel, a few at a time: 500 runs × a few pages each.
  const queue = runs.filter((r) => r.finishTime);
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) violations.push(...checkLog(r, await allLogs(api, r.id), marks.get(markOf(r))?.lines));
    }),
  );
  return { violations, counts };
}

function checkLog(r: Run, items: RunOutput[], lines: number | undefined): string[] {
  const name = `run ${markOf(r)} (${r.id})`;
  const out: string[] = [];
  const seqs = items.map((i) => Number(i.seq));
  const bad = seqs.findIndex((s, i) => s !== i + 1);
  if (bad !== -1)
    out.push(`${name}: log seq ${seqs[bad]} at position ${bad + 1} (expected ${bad + 1}; seqs must be 1..last with no gap or duplicate)`);
  if (seqs.length !== Number(r.lastSeq)) out.push(`${name}: ${seqs.length} log items stored but last_seq is ${r.lastSeq}`);
  if (r.status !== RunStatus.SUCCEEDED || lines === undefined) return out;

  // The final attempt's own output, from its "Run started" line on.
  const texts = items.map((i) => (i.payload.case === "log" ? { stream: i.payload.value.stream, text: i.payload.value.text } : undefined));
  let from = -1;
  texts.forEach((t, i) => {
    if (t?.stream === LogStream.SYSTEM && ATTEMPT_LINE.test(t.text)) from = i;
  });
  if (from === -1) return [...out, `${name}: no "Run started" line in its log`];
  const attempt = Number(ATTEMPT_LINE.exec(texts[from]!.text)![2]);
  if (attempt !== r.attempt) out.push(`${name}: last "Run started" line is for attempt ${attempt}, the run ended in attempt ${r.attempt}`);
  const numbered = texts.slice(from).flatMap((t) => {
    const m = t && t.stream !== LogStream.SYSTEM ? /^line (\d+)$/.exec(t.text) : null;
    return m ? [Number(m[1])] : [];
  });
  const expected = Array.from({ length: lines }, (_, k) => k);
  if (numbered.join(",") !== expected.join(","))
    out.push(`${name}: final attempt printed lines [${numbered.join(",")}], expected 0..${lines - 1} once each`);
  return out;
}
