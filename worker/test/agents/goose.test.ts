import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { LogStream } from "../../src/gen/flightcontrol/v1/run_pb";
import { buildGooseArgs, createGooseAgent, gooseExtensions } from "../../src/agents/goose";
import { context, dumpedArgs, eventSummary, logs, runAgent, spawnedChild, spec } from "./helpers";
import { FAKE_GOOSE } from "../../../testkit/paths";
import { groupGone, processGone } from "../../../testkit/pids";
import { tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";

/** The session a fresh run stores (agents/sessions.ts), named after the run id helpers.ts gives every run. */
const GOOSE_SESSION = "flightcontrol-00000000-0000-4000-8000-000000000001";

const baseEnv = { ...process.env, ORCH_API_KEY: "worker-secret", ORCH_SERVER_URL: "http://server" };
const goose = createGooseAgent({ bin: FAKE_GOOSE, baseEnv });

describe("goose agent (fake goose)", () => {
  it("invokes goose run with the spec's flags and maps its stream to events and an outcome", async () => {
    const ctx = context(
      spec({
        prompt: "lines=2 tool_call dump_args",
        systemInstructions: "Be brief.",
        maxTurns: 5,
        provider: "openai",
        model: "gpt-4o",
        builtins: ["developer"],
        extensions: [
          {
            name: "fs",
            transport: {
              case: "stdio",
              value: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], env: { TOKEN: "abc" } },
            },
          },
          { name: "remote", timeoutSeconds: 30, transport: { case: "streamableHttp", value: { url: "http://localhost:9/mcp" } } },
        ],
      }),
    );
    const { outputs, outcome } = await runAgent(goose, ctx);
    expect(dumpedArgs(outputs)).toEqual([
      "run",
      "-n",
      GOOSE_SESSION,
      "-q",
      "--output-format",
      "stream-json",
      "-t",
      "lines=2 tool_call dump_args",
      "--system",
      "Be brief.",
      "--max-turns",
      "5",
      "--provider",
      "openai",
      "--model",
      "gpt-4o",
      "--with-builtin",
      "developer",
    ]);
    // The extensions are in the run's goose config, where goose loads enabled extensions from.
    const config = YAML.parse(readFileSync(join(ctx.workDir, ".goose", "config", "config.yaml"), "utf8"), { uniqueKeys: true });
    expect(config).toEqual({
      extensions: {
        fs: {
          enabled: true,
          type: "stdio",
          name: "fs",
          description: "",
          timeout: 300,
          cmd: "npx",
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
          envs: { TOKEN: "abc" },
        },
        remote: { enabled: true, type: "streamable_http", name: "remote", description: "", timeout: 30, uri: "http://localhost:9/mcp", headers: {} },
      },
    });
    expect(eventSummary(outputs)).toEqual([
      ["assistantMessage", { messageId: "msg_line_0", text: "line 0" }],
      ["assistantMessage", { messageId: "msg_line_1", text: "line 1" }],
      ["assistantMessage", { messageId: "msg_tool", text: "Let me run a command." }],
      ["toolCall", { callId: "call_1", name: "developer__shell", argumentsJson: '{"command":"echo hi"}' }],
      ["toolResult", { callId: "call_1", output: "hi", isError: false }],
      ["assistantMessage", { messageId: "msg_final", text: "fake goose finished 2 lines" }],
      ["usage", { inputTokens: 0n, outputTokens: 0n, totalTokens: 102n, costUsd: 0 }],
    ]);
    expect(logs(outputs, LogStream.STDOUT)).toEqual(["line 0", "line 1", "Let me run a command.", "fake goose finished 2 lines"]);
    expect(outcome).toMatchObject({ ok: true, exitCode: 0, result: "fake goose finished 2 lines" });
    expect(outcome.usage?.totalTokens).toBe(102n);
  });

  it("fails a run whose stream ends in an error even though goose exits 0", async () => {
    const { outputs, outcome } = await runAgent(goose, context(spec({ prompt: "error=provider_unavailable" })));
    expect(eventSummary(outputs)).toContainEqual(["error", { message: "provider unavailable" }]);
    expect(outcome).toMatchObject({ ok: false, exitCode: 0, error: "provider unavailable" });
  });

  it("fails a run without a complete event, or with a non-zero exit", async () => {
    const noComplete = await runAgent(goose, context(spec({ prompt: "no_complete" })));
    expect(noComplete.outcome).toMatchObject({ ok: false, exitCode: 0, error: "goose output ended without a complete event" });
    const exit3 = await runAgent(goose, context(spec({ prompt: "exit=3" })));
    expect(exit3.outcome).toMatchObject({ ok: false, exitCode: 3, error: "goose exited with code 3" });
  });

  it("reports a missing binary as a failed outcome", async () => {
    const missing = createGooseAgent({ bin: "goose-not-installed-here", baseEnv });
    const { outcome } = await runAgent(missing, context(spec({ prompt: "hi" })));
    expect(outcome).toEqual({ ok: false, error: 'goose binary not found: set ORCH_GOOSE_BIN (looked for "goose-not-installed-here")' });
  });

  it("gives goose no ORCH_ variables, but the credentials and its own settings", async () => {
    const names = ["ORCH_API_KEY", "ORCH_SERVER_URL", "OPENAI_API_KEY", "GOOSE_MODE", "GOOSE_DISABLE_KEYRING", "GOOSE_PATH_ROOT"];
    const ctx = context(spec({ prompt: names.map((n) => `print_env=${n}`).join(" ") }), { credentialEnv: { OPENAI_API_KEY: "sk-test" } });
    const { outputs, outcome } = await runAgent(goose, ctx);
    expect(outcome.ok).toBe(true);
    expect(logs(outputs, LogStream.STDOUT).slice(0, names.length)).toEqual([
      "ORCH_API_KEY=<unset>",
      "ORCH_SERVER_URL=<unset>",
      "OPENAI_API_KEY=sk-test",
      "GOOSE_MODE=auto",
      "GOOSE_DISABLE_KEYRING=1",
      `GOOSE_PATH_ROOT=${join(ctx.workDir, ".goose")}`,
    ]);
    expect(existsSync(join(ctx.workDir, ".goose"))).toBe(true);
  });

  it("on abort, SIGKILLs a goose that ignores SIGTERM after the grace period, with its whole process group", async () => {
    const ctx = context(spec({ prompt: "ignore_sigterm spawn_child sleep_ms=60000" }), { graceMs: 300 });
    let child: { pid: number; group: number } | undefined;
    const { outputs, outcome } = await runAgent(goose, ctx, (o) => {
      if (o.kind === "log" && o.text.startsWith("spawned child")) ctx.abort.abort();
    });
    child = spawnedChild(outputs);
    expect(child).toBeDefined();
    expect(outcome).toMatchObject({ ok: false, signal: "SIGKILL", error: "goose was killed by SIGKILL" });
    await waitFor(() => groupGone(child!.group), { timeoutMs: 10_000, what: "goose's process group to vanish" });
    expect(processGone(child!.pid)).toBe(true);
  });

  it("on abort, lets a cooperative goose end on SIGTERM; the execution record shows one start and one end", async () => {
    const recordDir = tempDir();
    const agent = createGooseAgent({ bin: FAKE_GOOSE, baseEnv: { ...baseEnv, FAKE_AGENT_RECORD_DIR: recordDir } });
    const ctx = context(spec({ prompt: "lines=1000 sleep_ms=50" }), { credentialEnv: { FAKE_AGENT_RUN_TAG: "run-a" } });
    const { outcome } = await runAgent(agent, ctx, (o) => {
      if (o.kind === "log" && o.text === "line 1") ctx.abort.abort();
    });
    expect(outcome).toMatchObject({ ok: false, signal: "SIGTERM" });
    const records = readFileSync(join(recordDir, "executions.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => [r.event, r.tag, r.agent])).toEqual([
      ["start", "run-a", "goose"],
      ["end", "run-a", "goose"],
    ]);
    expect(records[1]).toMatchObject({ signal: "SIGTERM", pid: records[0].pid, prompt: "lines=1000 sleep_ms=50" });
  });

  // Issue #15, defect 3: this test used to expect `-i <file>`, with which goose drops --system.
  it("passes a prompt too long for the command line on stdin (`-i -`), which keeps the system prompt", async () => {
    const prompt = `dump_args print_system lines=1 ${"y".repeat(150_000)}`;
    const ctx = context(spec({ prompt, systemInstructions: "Be brief." }));
    const { outputs, outcome } = await runAgent(goose, ctx);
    const argv = dumpedArgs(outputs);
    expect(argv.slice(0, 8)).toEqual(["run", "-n", GOOSE_SESSION, "-q", "--output-format", "stream-json", "-i", "-"]);
    expect(logs(outputs, LogStream.STDOUT)[0]).toBe("system=Be brief.");
    expect(outcome).toMatchObject({ ok: true, result: "fake goose finished 1 lines" });
  });

  it("passes a prompt that starts with a dash so goose cannot take it for an option", async () => {
    const { outputs, outcome } = await runAgent(goose, context(spec({ prompt: "-x dump_args", systemInstructions: "--be-terse" })));
    expect(dumpedArgs(outputs)).toEqual([
      "run",
      "-n",
      GOOSE_SESSION,
      "-q",
      "--output-format",
      "stream-json",
      "--text=-x dump_args",
      "--system=--be-terse",
    ]);
    expect(outcome.ok).toBe(true);
  });

  it("carries very long event lines", async () => {
    const { outputs, outcome } = await runAgent(goose, context(spec({ prompt: "lines=3 bytes=300000" })));
    const texts = eventSummary(outputs)
      .filter(([k]) => k === "assistantMessage")
      .map(([, v]) => v.text as string);
    expect(texts.slice(0, 3).map((t) => t.slice(0, 7))).toEqual(["line 0 ", "line 1 ", "line 2 "]);
    expect(texts[0]!.length).toBeGreaterThan(299_000);
    expect(outcome.ok).toBe(true);
  });
});

describe("goose extensions", () => {
  it("carries what --with-extension could not (whitespace, empty args, headers) in the config file, off the command line", () => {
    const ext = gooseExtensions(
      spec({
        prompt: "p",
        extensions: [
          { name: "x", transport: { case: "stdio", value: { command: "my server", args: ["a b", ""], env: { K: "two words" } } } },
          { name: "h", transport: { case: "streamableHttp", value: { url: "http://x", headers: { Authorization: "Bearer t" } } } },
        ],
      }),
    );
    expect(ext).toEqual({
      entries: {
        x: expect.objectContaining({ type: "stdio", cmd: "my server", args: ["a b", ""], envs: { K: "two words" } }),
        h: expect.objectContaining({ type: "streamable_http", uri: "http://x", headers: { Authorization: "Bearer t" } }),
      },
    });
    expect(
      buildGooseArgs(spec({ prompt: "p", extensions: [{ name: "x", transport: { case: "stdio", value: { command: "srv", env: { K: "v" } } } }] })),
    ).toEqual(["run", "--no-session", "-q", "--output-format", "stream-json", "-t", "p"]);
  });

  it("fails the run before starting goose when two extensions share goose's case-insensitive key", async () => {
    const ctx = context(
      spec({
        prompt: "p",
        extensions: ["Docs", "docs"].map((name) => ({ name, transport: { case: "stdio" as const, value: { command: "srv" } } })),
      }),
    );
    const { outputs, outcome } = await runAgent(goose, ctx);
    expect(outputs).toEqual([]);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain("extension docs");
  });
});

describe("goose as the real CLI behaves (issue #15)", () => {
  const stdio = (name: string, command: string, args: string[] = []) => ({ name, transport: { case: "stdio" as const, value: { command, args } } });

  it("runs with the worker operator's goose configuration (provider, settings, extensions), run state still per run", async () => {
    const xdg = tempDir();
    mkdirSync(join(xdg, "goose"));
    writeFileSync(
      join(xdg, "goose", "config.yaml"),
      [
        "GOOSE_PROVIDER: openai",
        "GOOSE_MODEL: gpt-4o",
        "extensions:",
        "  developer:",
        "    enabled: true",
        "    type: builtin",
        "    name: developer",
        "    description: ''",
        "  docs:",
        "    enabled: true",
        "    type: stdio",
        "    name: docs",
        "    description: operator's own docs server",
        "    cmd: operator-docs-server-not-installed",
        "    args: []",
        "",
      ].join("\n"),
    );
    const agent = createGooseAgent({ bin: FAKE_GOOSE, baseEnv: { ...baseEnv, XDG_CONFIG_HOME: xdg } });
    const ctx = context(
      spec({
        prompt: "require_provider mcp_list",
        extensions: [stdio("docs", "npx", ["-y", "docs-mcp"]), stdio("search", "npx", ["-y", "search-mcp"])],
      }),
    );
    const { outputs, outcome } = await runAgent(agent, ctx);
    expect(outcome).toMatchObject({ ok: true });
    // The job's "docs" replaces the operator's; the operator's developer builtin stays.
    expect(logs(outputs, LogStream.STDOUT).filter((l) => l.startsWith("mcp loaded"))).toEqual([
      "mcp loaded developer",
      "mcp loaded docs",
      "mcp loaded search",
    ]);
    // The operator's file is untouched; the run's copy lives under the run's own GOOSE_PATH_ROOT.
    expect(readFileSync(join(xdg, "goose", "config.yaml"), "utf8")).toContain("operator-docs-server-not-installed");
    expect(existsSync(join(ctx.workDir, ".goose", "config", "config.yaml"))).toBe(true);
  });

  it("without any provider, fails as goose does (exit 101), naming the cause", async () => {
    const agent = createGooseAgent({ bin: FAKE_GOOSE, baseEnv: { ...baseEnv, XDG_CONFIG_HOME: tempDir() } });
    const { outcome } = await runAgent(agent, context(spec({ prompt: "require_provider" })));
    expect(outcome).toMatchObject({ ok: false, exitCode: 101, error: expect.stringContaining("No provider configured") });
  });

  it("loads two stdio extensions launched by the same command under their own names", async () => {
    const ctx = context(
      spec({ prompt: "mcp_list", extensions: [stdio("github", "npx", ["-y", "gh-mcp"]), stdio("linear", "npx", ["-y", "linear-mcp"])] }),
    );
    const { outputs, outcome } = await runAgent(goose, ctx);
    expect(outcome.ok).toBe(true);
    expect(logs(outputs, LogStream.STDOUT).filter((l) => l.startsWith("mcp loaded"))).toEqual(["mcp loaded github", "mcp loaded linear"]);
  });

  it("refuses, before starting goose, two extensions (or an extension and a builtin) goose would load under one name", async () => {
    const dotted = await runAgent(goose, context(spec({ prompt: "mcp_list", extensions: [stdio("docs.v1", "npx"), stdio("docs_v1", "npx")] })));
    expect(dotted.outputs).toEqual([]);
    expect(dotted.outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining("extension docs_v1: goose would load it and extension docs.v1 under one name (docs_v1)"),
    });
    const builtin = await runAgent(goose, context(spec({ prompt: "p", builtins: ["developer"], extensions: [stdio("Developer", "npx")] })));
    expect(builtin.outcome).toMatchObject({ ok: false, error: expect.stringContaining("builtin developer") });
  });

  it("fails a run whose extension does not start, naming it, though goose carries on and exits 0", async () => {
    const ctx = context(spec({ prompt: "mcp_list", extensions: [stdio("ok", "npx"), stdio("broken", "no-such-mcp-server-here")] }));
    const { outputs, outcome } = await runAgent(goose, ctx);
    expect(logs(outputs, LogStream.STDERR).join("\n")).toContain("Failed to start extension 'broken'");
    expect(outcome).toMatchObject({
      ok: false,
      exitCode: 0,
      error: expect.stringMatching(/^extension broken did not start in goose: .*No such file/),
    });
  });

  it("fails a run that used up its max turns, which goose ends like a finished one", async () => {
    const { outputs, outcome } = await runAgent(goose, context(spec({ prompt: "turns=5", maxTurns: 2 })));
    expect(eventSummary(outputs).filter(([k]) => k === "toolCall")).toHaveLength(2);
    expect(outcome).toMatchObject({ ok: false, exitCode: 0, error: expect.stringContaining("used all 2 turns the job allows (max_turns)") });
    const enough = await runAgent(goose, context(spec({ prompt: "turns=2", maxTurns: 2 })));
    expect(enough.outcome).toMatchObject({ ok: true, result: "fake goose finished 0 lines" });
  });

  it("makes one message of an answer streamed without ids, and never the result of a message hidden from the user", async () => {
    const { outputs, outcome } = await runAgent(goose, context(spec({ prompt: "no_ids hidden" })));
    expect(eventSummary(outputs).filter(([k]) => k === "assistantMessage")).toEqual([
      ["assistantMessage", { messageId: "", text: "fake goose finished 0 lines" }],
    ]);
    expect(logs(outputs, LogStream.STDOUT)).toEqual(["fake goose finished 0 lines"]);
    expect(outcome).toMatchObject({ ok: true, result: "fake goose finished 0 lines" });
  });
});
