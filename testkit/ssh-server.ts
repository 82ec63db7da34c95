import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { startChild } from "./child-process";
import { freePort, portOpen } from "./free-port";
import { pollUntil } from "./poll-until";
import { tempDir } from "./temp-dir";

const SSHD = "/usr/sbin/sshd";
/** Debian's openssh-server; the SSH tests are skipped without it. */
export const haveSshd = existsSync(SSHD);

export interface SshGitServer {
  /** ssh://<user>@127.0.0.1:<port>/<root>/<name>.git */
  url(name: string): string;
  /** The client's private key (OpenSSH format), authorised for the server's user. */
  privateKey: string;
  /** The server's host key as a known_hosts line for 127.0.0.1:<port>. */
  knownHosts: string;
  stop(): Promise<void>;
}

/**
 * sshd on 127.0.0.1 serving the bare repositories under `root` to one client key: throwaway host
 * and client keys, authorized_keys and config in a temp dir; only public-key login as the current
 * user (git runs git-upload-pack / git-receive-pack through the user's shell).
 */
export async function startSshGitServer(root: string): Promise<SshGitServer> {
  const dir = tempDir("fc-sshd-");
  const port = await freePort();
  const user = userInfo().username;
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "fc-test-host", "-f", join(dir, "host_key")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "fc-test-client", "-f", join(dir, "client_key")]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")), { mode: 0o600 });
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_key")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      // The temp dir is not the user's home: its modes are not the ones sshd insists on there.
      "StrictModes no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "UsePAM no",
      `AllowUsers ${user}`,
      "",
    ].join("\n"),
  );
  // Privilege separation wants this directory when sshd starts as root (Debian creates it at boot).
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const child = startChild(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { name: "sshd" });
  await pollUntil(
    async () => {
      if (!child.running) throw new Error(`sshd exited: ${child.output()}`);
      return portOpen(port);
    },
    { what: "sshd to listen" },
  );
  const hostKey = readFileSync(join(dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
  return {
    url: (name) => `ssh://${user}@127.0.0.1:${port}${join(root, `${name}.git`)}`,
    privateKey: readFileSync(join(dir, "client_key"), "utf8"),
    knownHosts: `[127.0.0.1]:${port} ${hostKey}`,
    stop: async () => void (await child.stop("SIGTERM", 2000)),
  };
}
