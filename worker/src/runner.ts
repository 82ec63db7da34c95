import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { LogStream, RunStatus, type RunChanges, type Usage } from "./gen/flightcontrol/v1/run_pb";
import type { Assign } from "./gen/flightcontrol/v1/worker_pb";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { buildAgentEnv, jobEnv } from "./agents/env";
import { installSkills } from "./skills/install-skills";
import { mcpSecretValues } from "./agents/mcp-files";
import type { Agent, AgentOutcome } from "./agents/types";
import { clip, createMasker, maskedOutput } from "./masking";
import type { RunLog } from "./run-log";
import { withGroupRecords } from "./orphans";
import { collectArtifacts, DEFAULT_ARTIFACT_LIMITS, type ArtifactLimits, type ArtifactSource, type StagedArtifact } from "./artifacts/collect";
import { ArtifactKind } from "./gen/flightcontrol/v1/artifact_pb";
import { runSetupScript } from "./repository/setup-script";
import { commitWorkspace, prepareWorkspace, pushWorkspace } from "./repository/workspace";
import type { ArtifactFetcher } from "./artifacts/download";
import { keepAgentSession, restoreParentSession } from "./agent-session-phase";
import type { WorkerSandbox } from "./sandbox/worker-sandbox";

export interface RunReport {
  status: RunStatus;
  exitCode?: number;
  error: string;
  result: string;
  usage?: Usage;
  /** Files kept from the workspace, staged for upload; the finish waits until all are acknowledged. */
  artifacts: StagedArtifact[];
  /** What the run committed, when its spec has a repository and the agent got to finish. */
  changes?: RunChanges;
  /** The agent's own session id, when it has one (a follow-up resumes it). */
  agentSessionId?: string;
}

export interface RunnerDeps {
  agents: Map<string, Agent>;
  workDir: string;
  workerName: string;
  killGraceMs: number;
  /** Defaults: 50 MiB per file, 200 MiB per run. */
  artifactLimits?: ArtifactLimits;
  /** Bound of the repository mirror cache (ORCH_WORKER_MIRROR_CACHE_MB); unbounded when absent. */
  mirrorCacheBytes?: number;
  /** Downloads a follow-up's parent artifacts (its diff, its agent session) from the server. */
  fetchArtifact?: ArtifactFetcher;
  /** Isolates the run's setup script and agent (ORCH_SANDBOX); none: they run as the worker's user. */
  sandbox?: WorkerSandbox;
}

/** "fence": the worker lost contact with the server and stops the run before the server requeues it (fence.ts). */
export type StopReason = "cancel" | "timeout" | "abandon" | "fence";

export interface StopOptions {
  /** The run's error when this stop decides its outcome. */
  error?: string;
  /** SIGKILL this soon even if the agent's kill grace is longer (the fence has a deadline). */
  graceMs?: number;
}

/** Longer lines are cut so one line can never exceed the server's message limit. */
const MAX_LINE_CHARS = 256 * 1024;
/** An error is a summary (the full text is in the log): it may quote a long stderr line (server limit 10,000). */
const MAX_ERROR_CHARS = 2000;

/**
 * The job runner: executes one assignment in its own temp directory, in phases — checkout of the
 * repository (or an empty workspace), setup script, agent, commit and push — masks credential
 * values out of everything it reports, enforces the deadline over all of them, and turns the
 * outcome and any stop reason into the run's final status.
 */
export function startRun(assign: Assign, runLog: RunLog, deps: RunnerDeps) {
  // The one way out for text: every line and event goes through `log`, and the report's error and
  // result are masked below. Nothing else this run produces reaches the server.
  // MCP env and header values are secrets as much as credentials (agents/mcp-files.ts).
  // The repository's credential too: git should never print it, but if a remote echoes it, it is masked.
  const gitEnv = { ...assign.gitEnv };
  const secrets = [...Object.values(assign.env), ...Object.values(gitEnv), ...(assign.spec ? mcpSecretValues(assign.spec) : [])];
  const mask = createMasker(secrets);
  const log = maskedOutput(runLog, mask, MAX_LINE_CHARS);
  const controller = new AbortController();
  const kill = new AbortController();
  let killTimer: NodeJS.Timeout | undefined;
  let killAt = Infinity;
  let stopReason: StopReason | undefined;
  let stopError: string | undefined;
  /** The agent has ended: a stop now would only mislabel its outcome. */
  let agentEnded = false;
  /** Cancelled with abandon, at any point: the worker forgets the run, so what it staged is nobody's. */
  let takenAway = false;
  const stop = (reason: StopReason, opts: StopOptions = {}) => {
    if (reason === "abandon") takenAway = true;
    if (agentEnded) return;
    if (stopReason === undefined) {
      stopReason = reason;
      stopError = opts.error;
    }
    controller.abort(reason);
    // Also while an earlier stop is in its grace: this one's deadline may be sooner.
    if (opts.graceMs !== undefined && Date.now() + opts.graceMs < killAt) {
      killAt = Date.now() + opts.graceMs;
      clearTimeout(killTimer);
      killTimer = setTimeout(() => kill.abort(), opts.graceMs);
    }
  };

  // Agent process groups started for this run are recorded in the work dir, so a worker restarted
  // after a SIGKILL can kill the ones its previous incarnation left running (orphans.ts).
  /** Where collected artifacts wait for upload; the worker removes it once the run is acknowledged. */
  const stageDir = join(deps.workDir, "artifacts", assign.runId);

  const done = withGroupRecords(deps.workDir, assign.runId, async (): Promise<RunReport> => {
    const spec = assign.spec!;
    const deadline = assign.deadline ? timestampDate(assign.deadline).getTime() : Date.now() + spec.timeoutSeconds * 1000;
    const timer = setTimeout(() => stop("timeout"), Math.max(0, deadline - Date.now()));
    let dir: string | undefined;
    let outcome: AgentOutcome;
    let artifacts: StagedArtifact[] = [];
    let changes: RunChanges | undefined;
    /** The run's unified diff, when the repository phase produced one: kept as changes.diff. */
    let changesDiffPath: string | undefined;
    /** Where the agent worked (the checkout, or the empty workspace): artifact globs are relative to it. */
    let workspace: string | undefined;
    /** The agent's session, packed for a follow-up: kept as a hidden artifact. */
    let session: ArtifactSource | undefined;
    let agentSessionId: string | undefined;
    const say = (text: string) => log.log(LogStream.SYSTEM, text);
    log.log(LogStream.SYSTEM, `Run started on worker ${deps.workerName} (attempt ${assign.attempt}, agent ${spec.agent})`);
    try {
      const agent = deps.agents.get(spec.agent);
      if (!agent) throw new Error(`this worker cannot run agent "${spec.agent}"`);
      await mkdir(deps.workDir, { recursive: true });
      dir = await mkdtemp(join(deps.workDir, `run-${assign.runId.slice(0, 8)}-`));
      // Stopped before it began (e.g. a stale Assign refused by the fence): nothing to start.
      if (controller.signal.aborted) throw new Error("stopped before the agent started");
      const network = spec.network === "none" ? "none" : "full";
      if (network === "none" && !deps.sandbox) {
        throw new Error(
          'this worker cannot run a job with network "none": it does not sandbox its runs (ORCH_SANDBOX=off, or bubblewrap does not work on it; its start-up log says why)',
        );
      }
      const sandbox = await deps.sandbox?.forRun(dir, network);
      if (sandbox) say(`sandbox: ${deps.sandbox!.kind}, network ${network}`);
      const ws = await prepareWorkspace({
        workDir: deps.workDir,
        runDir: dir,
        runId: assign.runId,
        repository: spec.repository,
        gitEnv,
        mirrorCacheBytes: deps.mirrorCacheBytes,
        signal: controller.signal,
        say,
        followUp: assign.followUp,
        fetchArtifact: deps.fetchArtifact,
      });
      workspace = ws.cwd;
      await installSkills({ skills: assign.skills, agent: spec.agent, cwd: ws.cwd, repository: Boolean(ws.repo), signal: controller.signal, say });
      // The job's plain variables, then its credentials, which win on a clash.
      const runEnv = { ...jobEnv(spec.env), ...assign.env };
      // Where the agent keeps its session in this run: its cwd and private dir, the environment it gets.
      const place = { cwd: ws.cwd, workDir: dir, env: { ...process.env, ...runEnv }, sandboxed: sandbox !== undefined };
      const resumeSessionId = await restoreParentSession({
        agent,
        followUp: assign.followUp,
        place,
        fetchArtifact: deps.fetchArtifact,
        signal: controller.signal,
        say,
      });
      if (spec.setupScript) {
        await runSetupScript({
          script: spec.setupScript,
          cwd: ws.cwd,
          env: buildAgentEnv(process.env, {}, runEnv),
          signal: controller.signal,
          killSignal: kill.signal,
          graceMs: deps.killGraceMs,
          log: (stream, text) => log.log(stream, text),
          sandbox,
        });
      }
      if (controller.signal.aborted) throw new Error("stopped before the agent started");
      const gen = agent.run({
        runId: assign.runId,
        spec,
        credentialEnv: runEnv,
        workDir: dir,
        cwd: ws.cwd,
        signal: controller.signal,
        graceMs: deps.killGraceMs,
        killSignal: kill.signal,
        resumeSessionId,
        sandbox,
      });
      try {
        for (;;) {
          const next = await gen.next();
          if (next.done) {
            outcome = next.value;
            break;
          }
          const out = next.value;
          if (out.kind === "log") log.log(out.stream, out.text);
          else log.event(out.event);
        }
      } finally {
        // If this loop throws, returning the generator runs the agent's cleanup, which kills its process group.
        await gen.return({ ok: false }).catch(() => undefined);
      }
      agentSessionId = outcome.sessionId;
      if (stopReason !== "abandon" && stopReason !== "fence") {
        session = await keepAgentSession({ agent, sessionId: agentSessionId, place, mask, secrets, signal: controller.signal, say });
      }
      if (ws.repo && stopReason === undefined) {
        const repo = { ...ws, repo: ws.repo };
        const diffPath = join(dir, "changes.diff");
        try {
          changes = await commitWorkspace(repo, { runId: assign.runId, prompt: spec.prompt, diffPath, mask, signal: controller.signal, say });
          changesDiffPath = diffPath;
          // A failed agent's work is committed and reported, but not pushed.
          if (ws.repo.repository.push && outcome.ok)
            changes.pushed = await pushWorkspace(repo, changes, gitEnv, { runId: assign.runId, signal: controller.signal, say });
        } catch (err) {
          // The agent's verdict stands only if its work was kept: a failed commit or push fails the run.
          outcome = { ...outcome, ok: false, error: (err as Error).message };
        }
      }
    } catch (err) {
      outcome = { ok: false, error: (err as Error).message };
    } finally {
      agentEnded = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Before the workspace goes. Not for a run taken away (nobody wants its files) or fenced
      // (its finish must go out before the server's lease ends).
      if (workspace && stopReason !== "abandon" && stopReason !== "fence") {
        const extra: ArtifactSource[] = changesDiffPath ? [{ path: changesDiffPath, name: "changes.diff", kind: ArtifactKind.CHANGES }] : [];
        if (session) extra.push(session);
        artifacts = await collectRunArtifacts(workspace, spec.artifactPaths, extra);
        // Taken away while collecting: the worker already forgot the run and removed its staging
        // folder, which the collection then wrote into again; nothing will upload or remove it.
        if (takenAway) {
          await rm(stageDir, { recursive: true, force: true }).catch(() => undefined);
          artifacts = [];
        }
      }
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    const status =
      stopReason === "cancel" || stopReason === "abandon"
        ? RunStatus.CANCELLED
        : stopReason === "timeout"
          ? RunStatus.TIMED_OUT
          : stopReason === "fence"
            ? RunStatus.FAILED
            : outcome.ok
              ? RunStatus.SUCCEEDED
              : RunStatus.FAILED;
    const reason =
      stopReason === "timeout"
        ? `timed out after ${spec.timeoutSeconds} s`
        : stopReason === "cancel"
          ? "cancelled"
          : stopReason === "fence"
            ? (stopError ?? "stopped by the worker")
            : (outcome.error ?? (outcome.ok ? "" : `agent exited with ${outcome.signal ?? `code ${outcome.exitCode}`}`));
    const error = clip(mask(reason), MAX_ERROR_CHARS, "error");
    log.log(
      LogStream.SYSTEM,
      `Run ${RunStatus[status].toLowerCase()}${outcome.exitCode !== undefined ? ` (exit code ${outcome.exitCode})` : ""}${error ? `: ${error}` : ""}`,
    );
    return {
      status,
      exitCode: outcome.exitCode,
      error,
      result: mask(outcome.result ?? ""),
      usage: outcome.usage,
      artifacts,
      changes,
      agentSessionId: agentSessionId && mask(agentSessionId),
    };
  });

  /** Collection problems are reported in the run's log; they never change the run's outcome. */
  async function collectRunArtifacts(workspace: string, patterns: string[], extra: ArtifactSource[]): Promise<StagedArtifact[]> {
    if (!patterns.length && !extra.length) return [];
    const note = (text: string) => log.log(LogStream.SYSTEM, text);
    try {
      const staged = await collectArtifacts({
        workspace,
        patterns,
        extra,
        stageDir,
        limits: deps.artifactLimits ?? DEFAULT_ARTIFACT_LIMITS,
        mask,
        note,
      });
      if (staged.length) note(`Keeping ${staged.length} artifact${staged.length === 1 ? "" : "s"}: ${staged.map((a) => a.name).join(", ")}`);
      return staged;
    } catch (err) {
      note(`Could not collect artifacts: ${(err as Error).message}`);
      return [];
    }
  }

  return { done, stop };
}
