import { join } from "node:path";
import type { ArtifactFetcher } from "./artifacts/download";
import type { ArtifactSource } from "./artifacts/collect";
import { ArtifactKind } from "./gen/flightcontrol/v1/artifact_pb";
import type { FollowUp } from "./gen/flightcontrol/v1/worker_pb";
import type { Agent } from "./agents/types";
import type { SessionPlace } from "./agents/sessions";
import { packSession, restoreSession } from "./agents/session-archive";
import type { Masker } from "./masking";

/** The name the agent's session is kept under: a hidden artifact (ListArtifacts does not show it). */
export const SESSION_ARTIFACT_NAME = "agent-session.tar";

export interface RestoreOptions {
  agent: Agent;
  followUp?: FollowUp;
  place: SessionPlace;
  fetchArtifact?: ArtifactFetcher;
  signal?: AbortSignal;
  say: (text: string) => void;
}

/**
 * Before a follow-up's agent starts: the parent's session, downloaded and restored where the agent
 * looks for it in this run. Returns the session id to resume, or undefined when there is none to
 * resume (the agent has no sessions, or the parent kept none): the agent then starts afresh.
 */
export async function restoreParentSession(opts: RestoreOptions): Promise<string | undefined> {
  const f = opts.followUp;
  const sessions = opts.agent.sessions;
  if (!f?.agentSessionId || !sessions) return undefined;
  if (!f.sessionArtifactId) {
    opts.say(`session: run ${f.parentRunId} kept no agent session; the agent starts a new one`);
    return undefined;
  }
  if (!opts.fetchArtifact) throw new Error("this worker cannot fetch a parent run's agent session");
  const archive = join(opts.place.workDir, "parent-session.tar");
  await opts.fetchArtifact(f.sessionArtifactId, f.sessionSha256, archive, opts.signal);
  const files = await restoreSession(sessions, opts.place, archive, opts.signal);
  opts.say(`session: restored ${files} file${files === 1 ? "" : "s"} of session ${f.agentSessionId} from run ${f.parentRunId}; the agent resumes it`);
  return f.agentSessionId;
}

export interface KeepOptions {
  agent: Agent;
  sessionId?: string;
  place: SessionPlace;
  mask: Masker;
  secrets: string[];
  signal?: AbortSignal;
  say: (text: string) => void;
}

/**
 * After the agent: its session packed, credential values masked, as the run's session artifact
 * (staged in the run's dir, which the collector copies before the dir goes). Undefined when there is
 * nothing to keep; a failure is logged and costs only the follow-up's memory, not the run.
 */
export async function keepAgentSession(opts: KeepOptions): Promise<ArtifactSource | undefined> {
  const sessions = opts.agent.sessions;
  if (!opts.sessionId || !sessions) return undefined;
  const dest = join(opts.place.workDir, SESSION_ARTIFACT_NAME);
  try {
    const packed = await packSession({
      sessions,
      place: opts.place,
      sessionId: opts.sessionId,
      scratch: join(opts.place.workDir, "session-pack"),
      dest,
      mask: opts.mask,
      secrets: opts.secrets,
      signal: opts.signal,
    });
    if (!packed) {
      opts.say(`session: the agent left no files for session ${opts.sessionId}; a follow-up starts a new one`);
      return undefined;
    }
    return { path: dest, name: SESSION_ARTIFACT_NAME, kind: ArtifactKind.SESSION };
  } catch (err) {
    opts.say(`session: could not keep session ${opts.sessionId}: ${(err as Error).message}`);
    return undefined;
  }
}
