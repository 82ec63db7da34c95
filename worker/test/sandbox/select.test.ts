/**
 * ORCH_SANDBOX: "auto" uses bubblewrap where it works and says once when it cannot, "bubblewrap"
 * refuses to start without it, "off" never sandboxes; and the arguments every run gets.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadWorkerConfig } from "../../src/config";
import { bubblewrapArgs, SANDBOX_UID } from "../../src/sandbox/bubblewrap";
import { selectSandbox } from "../../src/sandbox/worker-sandbox";
import { tempDir } from "../../../testkit/temp-dir";
import { capturedLogger, requireBubblewrap } from "./helpers";

beforeAll(requireBubblewrap);

const settings = (workDir: string, mode: "auto" | "bubblewrap" | "off", bwrapBin = "bwrap") => ({ mode, bwrapBin, workDir, extraHide: [], show: [] });

describe("ORCH_SANDBOX", () => {
  it("defaults to auto; rejects an unknown mode and relative hidden paths, naming the variable", () => {
    const base = { ORCH_API_KEY: "k" };
    expect(loadWorkerConfig(base).sandbox).toBe("auto");
    expect(loadWorkerConfig({ ...base, ORCH_SANDBOX: "off" }).sandbox).toBe("off");
    expect(() => loadWorkerConfig({ ...base, ORCH_SANDBOX: "docker" })).toThrow(/ORCH_SANDBOX must be one of auto, bubblewrap, off/);
    expect(() => loadWorkerConfig({ ...base, ORCH_SANDBOX_HIDE: "/data,relative/dir" })).toThrow(/ORCH_SANDBOX_HIDE takes absolute paths/);
  });

  it("auto uses bubblewrap where it works", () => {
    const { log, lines } = capturedLogger();
    const sandbox = selectSandbox(settings(tempDir("fc-select-"), "auto"), log);
    expect(sandbox?.kind).toBe("bubblewrap");
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it("auto without bwrap falls back to no sandbox with one warning that says why and what to do", () => {
    const { log, lines } = capturedLogger();
    const sandbox = selectSandbox(settings(tempDir("fc-select-"), "auto", "/nonexistent/bwrap"), log);
    expect(sandbox).toBeUndefined();
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(
      /bubblewrap cannot sandbox runs here: \/nonexistent\/bwrap not found .*agents run unsandboxed.*ORCH_SANDBOX=bubblewrap makes this fatal/,
    );
  });

  it("bubblewrap without bwrap refuses to start, saying why", () => {
    const { log } = capturedLogger();
    expect(() => selectSandbox(settings(tempDir("fc-select-"), "bubblewrap", "/nonexistent/bwrap"), log)).toThrow(
      /ORCH_SANDBOX=bubblewrap but bubblewrap cannot sandbox runs here: \/nonexistent\/bwrap not found \(install bubblewrap, or set ORCH_BWRAP_BIN\)/,
    );
  });

  it("bubblewrap where bwrap cannot build the sandbox (here: a bwrap that always fails) quotes its error", () => {
    const { log } = capturedLogger();
    expect(() => selectSandbox(settings(tempDir("fc-select-"), "bubblewrap", "/bin/false"), log)).toThrow(/\/bin\/false exited with code 1/);
  });

  it("off never sandboxes, even where bwrap works", () => {
    const { log } = capturedLogger();
    expect(selectSandbox(settings(tempDir("fc-select-"), "off"), log)).toBeUndefined();
  });

  it("warns when a program runs need lies in a hidden path, until ORCH_SANDBOX_SHOW lists it", () => {
    const home = tempDir("fc-select-home-");
    const env = { ...process.env, HOME: home };
    const agent = join(home, "bin-agent");
    writeFileSync(agent, "#!/bin/sh\n", { mode: 0o755 });
    const hidden = capturedLogger();
    selectSandbox(settings(tempDir("fc-select-"), "bubblewrap"), hidden.log, [agent], env);
    expect(hidden.lines.find((l) => l.level === 40)?.msg).toMatch(/ORCH_SANDBOX_SHOW/);
    const shown = capturedLogger();
    selectSandbox({ ...settings(tempDir("fc-select-"), "bubblewrap"), show: [home] }, shown.log, [agent], env);
    expect(shown.lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it("counts /tmp as hidden, since each run gets an empty one: a program there warns until shown", () => {
    // In /tmp itself, whatever TMPDIR says.
    const dir = mkdtempSync("/tmp/fc-select-tmp-bin-");
    try {
      const agent = join(dir, "tmp-agent");
      writeFileSync(agent, "#!/bin/sh\n", { mode: 0o755 });
      const env = { ...process.env, HOME: tempDir("fc-select-home-") };
      const hidden = capturedLogger();
      selectSandbox(settings(tempDir("fc-select-"), "bubblewrap"), hidden.log, [agent], env);
      expect(hidden.lines.find((l) => l.level === 40)).toMatchObject({ unreachable: [realpathSync(agent)] });
      const shown = capturedLogger();
      selectSandbox({ ...settings(tempDir("fc-select-"), "bubblewrap"), show: [dir] }, shown.log, [agent], env);
      expect(shown.lines.filter((l) => l.level === 40)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bwrap's arguments", () => {
  const dirs = { runDir: "/w/run-1", homeDir: "/w/run-1/home", tmpDir: "/w/run-1/tmp" };
  const opts = { bin: "bwrap", hide: ["/w/x/y", "/w", "/home/op/.key"], hiddenDirs: new Set(["/w/x/y", "/w"]), show: [] };

  it("new namespaces, a non-root uid, the system read-only, hidden paths parents first, then the run's dir writable", () => {
    const args = bubblewrapArgs(opts, dirs, "full", "/w/run-1/workspace");
    for (const flag of ["--die-with-parent", "--new-session", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts"])
      expect(args).toContain(flag);
    expect(args).not.toContain("--unshare-net");
    expect(args.join(" ")).toContain(`--uid ${SANDBOX_UID} --gid ${SANDBOX_UID}`);
    const text = args.join(" ");
    expect(text).toContain("--ro-bind / / --proc /proc --dev /dev --tmpfs /tmp");
    expect(text.indexOf("--tmpfs /w ")).toBeLessThan(text.indexOf("--tmpfs /w/x/y"));
    expect(text).toContain("--ro-bind /dev/null /home/op/.key");
    expect(text.endsWith("--bind /w/run-1 /w/run-1 --chdir /w/run-1/workspace")).toBe(true);
  });

  it('network "none" unshares the network', () => {
    expect(bubblewrapArgs(opts, dirs, "none", "/w/run-1/workspace")).toContain("--unshare-net");
  });
});
