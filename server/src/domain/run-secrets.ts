import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { repositoryCredentialIds, type Credentials } from "./credentials";
import { describeSite } from "./mcp/values";
import type { McpSecrets } from "./mcp/secrets";

/** What an Assign carries besides the snapshot's plain fields: the secrets, opened. */
export interface RunSecrets {
  /** The run's credential variables merged, later credentials winning on a clash. */
  env: Record<string, string>;
  /** The snapshot with its MCP literals opened and its credential references filled in. */
  spec: JobSpec;
  /** The variables of the repository's credential, for git alone (never the agent's environment). */
  gitEnv: Record<string, string>;
}

/**
 * Opens a run's secrets for its Assign, the one place they exist in plaintext on the server.
 * Throws a plain Error (the run cannot be delivered) when a credential is gone, no longer allows
 * the run's job, or no longer holds a referenced variable.
 */
export function createRunSecrets(credentials: Pick<Credentials, "open">, mcp: McpSecrets) {
  return async (ws: string, spec: JobSpec, jobId: string | undefined): Promise<RunSecrets> => {
    // Only the run's own workspace's credentials: an id of another workspace is "no longer exists".
    const opened = await credentials.open(ws, spec.credentialIds, jobId);
    const env: Record<string, string> = {};
    for (const c of opened) Object.assign(env, c.env);
    const byName = new Map(opened.map((c) => [c.name, c.env]));
    const resolved = mcp.resolve(spec, (ref, site) => {
      const value = byName.get(ref.credential)?.[ref.variable];
      if (value === undefined) {
        throw new Error(
          `${describeSite(site)} refers to ${ref.variable} of credential "${ref.credential}", which the run does not have; attach the credential or add the variable`,
        );
      }
      return value;
    });
    const [git] = await credentials.open(ws, repositoryCredentialIds(spec), jobId);
    return { env, spec: resolved, gitEnv: git?.env ?? {} };
  };
}

export type OpenRunSecrets = ReturnType<typeof createRunSecrets>;
