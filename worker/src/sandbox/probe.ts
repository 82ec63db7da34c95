import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bubblewrapArgs, type BubblewrapOptions } from "./bubblewrap";

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Whether bwrap can build a run's sandbox here: the same arguments a run gets (network "none", the
 * most it asks of the kernel) around `true`, in a throwaway run dir. Returns undefined when it works,
 * else why not, in bwrap's words (no user namespaces, a seccomp or AppArmor profile refusing them,
 * a /proc that cannot be mounted, a missing binary).
 */
export function probeBubblewrap(opts: BubblewrapOptions): string | undefined {
  const runDir = mkdtempSync(join(tmpdir(), "flightcontrol-sandbox-probe-"));
  try {
    const args = [...bubblewrapArgs(opts, { runDir, homeDir: runDir, tmpDir: runDir }, "none", runDir), "--", "true"];
    const r = spawnSync(opts.bin, args, { encoding: "utf8", timeout: PROBE_TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      return code === "ENOENT"
        ? `${opts.bin} not found (install bubblewrap, or set ORCH_BWRAP_BIN)`
        : `${opts.bin} could not run: ${r.error.message}`;
    }
    if (r.status === 0) return undefined;
    const said = r.stderr.trim().split("\n").slice(-3).join("; ");
    return `${opts.bin} exited with ${r.signal ?? `code ${r.status}`}${said ? `: ${said}` : ""}`;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}
