import { describe, expect, it } from "vitest";
import { LogStream } from "../../src/gen/flightcontrol/v1/run_pb";
import { codexFatalError, createCodexAgent } from "../../src/agents/codex";
import { context, dumpedArgs, eventSummary, logs, runAgent, spec } from "./helpers";
import { FAKE_CODEX } from "../../../testkit/paths";

const baseEnv = { ...process.env, ORCH_API_KEY: "worker-secret" };
const codex = createCodexAgent({ bin: FAKE_CODEX, baseEnv });

describe("codex agent (fake codex)", () => {
  it("invokes codex exec --json unattended and maps its thread events", async () => {
    const ctx = context(
      spec({
        agent: "codex",
        prompt: "lines=1 tool_call dump_args",
        systemInstructions: 'Be "brief".\nReally.',
        provider: "openai",
        model: "gpt-5-codex",
        extensions: [
          { name: "fs.local", timeoutSeconds: 20, transport: { case: "stdio", value: { command: "npx", args: ["-y", "srv"], env: { K: "v" } } } },
          { name: "remote", transport: { case: "streamableHttp", value: { url: "http://localhost:9/mcp", headers: { "X-Key": "k" } } } },
        ],
      }),
    );
    const { outputs, outcome } = await runAgent(codex, ctx);
    expect(dumpedArgs(outputs)).toEqual([
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--sandbox",
      "workspace-write",
      "--model",
      "gpt-5-codex",
      "-c",
      'model_provider="openai"',
      "-c",
      'developer_instructions="Be \\"brief\\".\\nReally."',
      "-c",
      'mcp_servers.fs_local.command="npx"',
      "-c",
      'mcp_servers.fs_local.args=["-y", "srv"]',
      "-c",
      'mcp_servers.fs_local.env_vars=["K"]',
      "-c",
      "mcp_servers.fs_local.tool_timeout_sec=20",
      "-c",
      "mcp_servers.fs_local.required=true",
      "-c",
      'mcp_servers.fs_local.default_tools_approval_mode="approve"',
      "-c",
      'mcp_servers.remote.url="http://localhost:9/mcp"',
      "-c",
      'mcp_servers.remote.env_http_headers={ "X-Key" = "FLIGHTCONTROL_MCP_1_HEADER_0" }',
      "-c",
      "mcp_servers.remote.required=true",
      "-c",
      'mcp_servers.remote.default_tools_approval_mode="approve"',
      // Issue #15, defects 2 and 8: every server `required`; the prompt on stdin, not as an argument.
      "-",
    ]);
    expect(eventSummary(outputs)).toEqual([
      ["notification", { source: "codex", message: "thread 0199a213-81c0-7800-8aa1-bbab2a035a53 started" }],
      ["assistantMessage", { messageId: "item_0", text: "line 0" }],
      ["toolCall", { callId: "item_1", name: "command_execution", argumentsJson: `{"command":"/usr/bin/bash -lc 'echo hi'"}` }],
      ["toolResult", { callId: "item_1", output: "hi\n", isError: false }],
      ["assistantMessage", { messageId: "item_2", text: "fake codex finished 1 lines" }],
      ["usage", { inputTokens: 50n, outputTokens: 6n, totalTokens: 56n, costUsd: 0 }],
    ]);
    expect(outcome).toMatchObject({ ok: true, exitCode: 0, result: "fake codex finished 1 lines" });
  });

  it("fails on turn.failed, and on a stream without turn.completed", async () => {
    const failed = await runAgent(codex, context(spec({ prompt: "error=quota_exceeded" })));
    expect(failed.outcome).toMatchObject({ ok: false, exitCode: 1, error: "quota exceeded" });
    const cut = await runAgent(codex, context(spec({ prompt: "no_complete" })));
    expect(cut.outcome).toMatchObject({ ok: false, exitCode: 0, error: "codex output ended without a turn.completed event" });
  });

  it("sends long or dash-led prompts through stdin", async () => {
    const long = await runAgent(codex, context(spec({ prompt: `dump_args ${"z".repeat(120_000)}` })));
    expect(dumpedArgs(long.outputs).at(-1)).toBe("-");
    expect(long.outcome.ok).toBe(true);
    const dash = await runAgent(codex, context(spec({ prompt: "-v dump_args" })));
    expect(dumpedArgs(dash.outputs).at(-1)).toBe("-");
    expect(dash.outcome.ok).toBe(true);
  });

  it("gives a prompt that names a subcommand (review, resume, help) to the agent as a prompt (issue #15, defect 8)", async () => {
    for (const prompt of ["review", "resume", "help"]) {
      const { outcome } = await runAgent(codex, context(spec({ prompt })));
      expect(outcome, prompt).toMatchObject({ ok: true, result: "fake codex finished 0 lines" });
    }
  });

  it("authenticates codex with a job's OPENAI_API_KEY, which codex exec does not read (issue #15, defect 6)", async () => {
    const ctx = context(spec({ prompt: "require_auth print_env=CODEX_API_KEY" }), { credentialEnv: { OPENAI_API_KEY: "sk-o" } });
    const agent = createCodexAgent({ bin: FAKE_CODEX, baseEnv: { ...baseEnv, CODEX_HOME: ctx.workDir } });
    const { outputs, outcome } = await runAgent(agent, ctx);
    expect(logs(outputs, LogStream.STDOUT)[0]).toBe("CODEX_API_KEY=sk-o");
    expect(outcome).toMatchObject({ ok: true });
    // A CODEX_API_KEY the job sets itself wins.
    const own = context(spec({ prompt: "print_env=CODEX_API_KEY" }), { credentialEnv: { OPENAI_API_KEY: "sk-o", CODEX_API_KEY: "sk-c" } });
    expect(logs((await runAgent(agent, own)).outputs, LogStream.STDOUT)[0]).toBe("CODEX_API_KEY=sk-c");
  });

  it("reports a retried stream error as a notification of a run that succeeded (issue #15, defect 9)", async () => {
    const { outputs, outcome } = await runAgent(codex, context(spec({ prompt: "retry_error" })));
    expect(eventSummary(outputs).filter(([k]) => k === "error")).toEqual([]);
    expect(eventSummary(outputs)).toContainEqual([
      "notification",
      { source: "codex", message: expect.stringContaining("retried after a transient error: Reconnecting... 1/5") },
    ]);
    expect(outcome).toMatchObject({ ok: true });
  });

  it("says in the run's log that it cannot honour max turns (issue #15, defect 5)", async () => {
    const { outputs, outcome } = await runAgent(codex, context(spec({ prompt: "turns=5", maxTurns: 2 })));
    expect(logs(outputs, LogStream.SYSTEM)).toEqual([expect.stringContaining("codex has no turn limit: this job's max_turns (2) is not enforced")]);
    expect(outcome.ok).toBe(true);
  });

  it("loads two stdio extensions launched by one command under their own names; one that does not start fails the run, named", async () => {
    const stdio = (name: string, command: string) => ({
      name,
      transport: { case: "stdio" as const, value: { command, args: ["-y", `${name}-mcp`] } },
    });
    const both = await runAgent(codex, context(spec({ prompt: "mcp_list", extensions: [stdio("github", "npx"), stdio("linear", "npx")] })));
    expect(logs(both.outputs).filter((l) => l.startsWith("mcp loaded"))).toEqual(["mcp loaded github", "mcp loaded linear"]);
    expect(both.outcome.ok).toBe(true);
    const broken = await runAgent(
      codex,
      context(spec({ prompt: "mcp_list", extensions: [stdio("github", "npx"), stdio("broken", "no-such-mcp-server-here")] })),
    );
    expect(broken.outcome).toMatchObject({
      ok: false,
      exitCode: 1,
      error: expect.stringContaining("required MCP servers failed to initialize: broken: No such file"),
    });
    // Named as the job names it (codex's key has no dots), from the line that says why, not the backtrace after it.
    const dotted = await runAgent(codex, context(spec({ prompt: "mcp_list", extensions: [stdio("docs.local", "no-such-mcp-server-here")] })));
    expect(dotted.outcome.error).toMatch(
      /^extension docs\.local did not start in codex; check its command, arguments and environment \(codex said: required MCP servers failed to initialize: docs_local: No such file or directory \(os error 2\)\)$/,
    );
  });

  it("gives codex the credentials but no ORCH_ variables, and honours a chosen sandbox", async () => {
    const agent = createCodexAgent({ bin: FAKE_CODEX, baseEnv, sandbox: "danger-full-access" });
    const ctx = context(spec({ prompt: "dump_args print_env=ORCH_API_KEY print_env=OPENAI_API_KEY" }), { credentialEnv: { OPENAI_API_KEY: "sk-o" } });
    const { outputs } = await runAgent(agent, ctx);
    expect(logs(outputs, LogStream.STDOUT).slice(0, 2)).toEqual(["ORCH_API_KEY=<unset>", "OPENAI_API_KEY=sk-o"]);
    expect(dumpedArgs(outputs).slice(3, 5)).toEqual(["--sandbox", "danger-full-access"]);
  });

  // Codex 0.171 (server/test/real-cli): "Error: <message>" on stderr, then a backtrace.
  it("makes codex's fatal error line, not the backtrace after it, the run's error", () => {
    expect(codexFatalError("Error: Model provider `scripted` not found")).toBe("codex failed: Model provider `scripted` not found");
    expect(codexFatalError("   7: <unknown>")).toBeUndefined();
    expect(codexFatalError("2026-12-07T06:43:00.032829Z ERROR codex_core::session: Failed to create session")).toBeUndefined();
  });
});
