import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Environment for git processes that authenticates them, and what to remove afterwards. */
export interface GitAuth {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

const NONE: GitAuth = { env: {}, dispose: async () => {} };

/** Quoted for GIT_SSH_COMMAND, which git runs through the shell. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Makes the repository credential's variables (Assign.git_env) usable by git without putting them
 * in argv, a URL, .git/config or the agent's environment:
 * - HTTPS: GIT_ASKPASS names a script in a private 0700 directory that prints the username or the
 *   token from variables only git's environment has (GIT_USERNAME defaults to x-access-token).
 * - SSH: GIT_SSH_KEY goes to a 0600 file used by GIT_SSH_COMMAND with IdentitiesOnly; with
 *   GIT_SSH_KNOWN_HOSTS, host keys are checked against those lines, otherwise accepted on first use.
 * The directory lives outside the run's workspace and is removed when the git step ends.
 */
export async function createGitAuth(gitEnv: Record<string, string>): Promise<GitAuth> {
  const token = gitEnv.GIT_TOKEN;
  const key = gitEnv.GIT_SSH_KEY;
  if (!token && !key) return NONE;
  const dir = await mkdtemp(join(tmpdir(), "fc-git-auth-"));
  await chmod(dir, 0o700);
  const env: Record<string, string> = {};
  try {
    if (token) {
      const askpass = join(dir, "askpass.sh");
      // Git asks "Username for ..." then "Password for ...": answer each from the environment.
      await writeFile(
        askpass,
        '#!/bin/sh\ncase "$1" in\n  Username*) printf \'%s\\n\' "$FC_GIT_USERNAME" ;;\n  *) printf \'%s\\n\' "$FC_GIT_TOKEN" ;;\nesac\n',
        { mode: 0o700 },
      );
      Object.assign(env, { GIT_ASKPASS: askpass, FC_GIT_TOKEN: token, FC_GIT_USERNAME: gitEnv.GIT_USERNAME || "x-access-token" });
    }
    if (key) {
      const keyFile = join(dir, "id");
      await writeFile(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
      const ssh = ["ssh", "-i", shellQuote(keyFile), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"];
      if (gitEnv.GIT_SSH_KNOWN_HOSTS) {
        const known = join(dir, "known_hosts");
        await writeFile(known, `${gitEnv.GIT_SSH_KNOWN_HOSTS.trim()}\n`, { mode: 0o600 });
        ssh.push("-o", `UserKnownHostsFile=${shellQuote(known)}`, "-o", "StrictHostKeyChecking=yes");
      } else {
        ssh.push("-o", "StrictHostKeyChecking=accept-new");
      }
      env.GIT_SSH_COMMAND = ssh.join(" ");
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { env, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `fn` with git authentication in place, removing its files afterwards whatever happens. */
export async function withGitAuth<T>(gitEnv: Record<string, string>, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const auth = await createGitAuth(gitEnv);
  try {
    return await fn(auth.env);
  } finally {
    await auth.dispose();
  }
}
