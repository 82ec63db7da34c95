import type { AgentEvent, LogStream, Usage } from "../gen/flightcontrol/v1/run_pb";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import type { AgentSessions } from "./sessions";
import type { RunSandbox } from "../sandbox/run-sandbox";

/** What an agent needs to execute one run. */
export interface AgentRunContext {
  runId: string;
  spec: JobSpec;
  /** Decrypted credential variables; they belong in the child's environment only. */
  credentialEnv: Record<string, string>;
  /** The run's private temporary directory, for the agent's own files (prompt file, MCP config). */
  workDir: string;
  /** The agent's working directory: the repository's checkout, or an empty workspace; defaults to workDir. */
  cwd?: string;
  /** Aborted on cancel or timeout: the agent's process group gets SIGTERM, then SIGKILL after graceMs. */
  signal: AbortSignal;
  graceMs: number;
  /** Aborted when the agent must die now, whatever is left of its grace: its process group gets SIGKILL. */
  killSignal?: AbortSignal;
  /** A follow-up: the parent's agent session id, already restored (agents/sessions.ts), to resume. */
  resumeSessionId?: string;
  /** The run's sandbox (ORCH_SANDBOX); runProcess spawns the agent inside it. */
  sandbox?: RunSandbox;
}

export type AgentOutput = { kind: "log"; stream: LogStream; text: string } | { kind: "event"; event: AgentEvent };

export interface AgentOutcome {
  /** True when the agent completed its task; the runner decides cancelled/timed out from its own abort reason. */
  ok: boolean;
  exitCode?: number;
  /** The signal that ended the process, if any. */
  signal?: string;
  error?: string;
  /** The agent's final answer or summary. */
  result?: string;
  usage?: Usage;
  /** The agent's own session id, when it has sessions: a follow-up resumes it. */
  sessionId?: string;
}

/** One agent CLI behind a common shape: start a run, stream its output, return its outcome. */
export interface Agent {
  readonly name: string;
  /** Where the agent keeps its sessions; absent for an agent without any to resume (shell). */
  readonly sessions?: AgentSessions;
  /** The CLI's version, once the worker checked it at start (versions.ts); "" for shell. */
  readonly version?: string;
  run(ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void>;
}
