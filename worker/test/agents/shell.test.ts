import { describe, expect, it } from "vitest";
import { LogStream } from "../../src/gen/flightcontrol/v1/run_pb";
import { createShellAgent } from "../../src/agents/shell";
import { context, events, logs, runAgent, spec } from "./helpers";

const shell = createShellAgent({ baseEnv: { ...process.env, ORCH_API_KEY: "worker-secret" } });

describe("shell agent", () => {
  it("runs the prompt through /bin/sh and logs both streams", async () => {
    const ctx = context(spec({ agent: "shell", prompt: "echo hello; echo oops >&2; printf 'a\\nlast'; pwd" }));
    const { outputs, outcome } = await runAgent(shell, ctx);
    expect(logs(outputs, LogStream.STDOUT)).toEqual(["hello", "a", `last${ctx.workDir}`]);
    expect(logs(outputs, LogStream.STDERR)).toEqual(["oops"]);
    expect(events(outputs)).toEqual([]);
    expect(outcome).toEqual({ ok: true, exitCode: 0, signal: undefined, result: `last${ctx.workDir}`, usage: undefined });
  });

  it("fails on a non-zero exit, naming the last stderr line", async () => {
    const { outcome } = await runAgent(shell, context(spec({ prompt: "echo broken >&2; exit 3" })));
    expect(outcome).toMatchObject({ ok: false, exitCode: 3, error: "shell exited with code 3: broken" });
  });

  it("sees the credentials but no ORCH_ variables", async () => {
    const ctx = context(spec({ prompt: 'echo "[$ORCH_API_KEY][$TOKEN]"' }), { credentialEnv: { TOKEN: "t0k" } });
    const { outputs } = await runAgent(shell, ctx);
    expect(logs(outputs)).toEqual(["[][t0k]"]);
  });

  it("is terminated on abort", async () => {
    const ctx = context(spec({ prompt: "echo started; sleep 30" }));
    const { outcome } = await runAgent(shell, ctx, (o) => {
      if (o.kind === "log" && o.text === "started") ctx.abort.abort();
    });
    expect(outcome).toMatchObject({ ok: false, signal: "SIGTERM", error: "shell was killed by SIGTERM" });
  });
});
