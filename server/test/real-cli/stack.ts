import { chownSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { RunService, type AgentEvent, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import type { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { AS_UNPRIVILEGED, requireAgentClis, UNPRIVILEGED_UID, type AgentClis } from "../../../testkit/agent-clis";
import { client } from "../../../testkit/clients";
import { gitRoot, startGitDaemon, type GitDaemon } from "../../../testkit/git-server";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startModelServer, type ModelServer } from "../../../testkit/model-server";
import { removeDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

export type Spec = MessageInitShape<typeof JobSpecSchema>;

/** The codex model provider the worker's operator config defines (a job selects it with `provider`). */
export const CODEX_PROVIDER = "scripted";
/** A model codex's catalog knows, so it does not warn about missing model metadata. */
export const CODEX_MODEL = "gpt-5.5";

/**
 * Everything a real-CLI test needs: the server, the scripted model, a git daemon, and one worker
 * running the real Claude Code and Codex.
 *
 * The worker runs as an unprivileged user (setpriv to nobody when the tests run as root, as they do
 * here): Claude Code refuses to skip permission prompts for root, and the worker's sandbox
 * (ORCH_SANDBOX=bubblewrap, which runs agents unprivileged) is not on this branch. Its HOME holds the
 * operator's codex config: a model provider whose base_url is the scripted model (Codex documents
 * no environment variable for that in 0.171; OPENAI_BASE_URL is ignored). HOME is under /var/tmp
 * because codex refuses to set up its sandbox helpers under a CODEX_HOME in /tmp.
 *
 * The scripted model server is also every CLI's HTTP(S) proxy: anything not for 127.0.0.1 is
 * refused there and recorded in `model.outside`, so no test reaches the network.
 */
export interface RealCliStack {
  clis: AgentClis;
  server: TestServer;
  model: ModelServer;
  worker: WorkerProcess;
  daemon: GitDaemon;
  gitRoot: string;
  /** The worker's HOME (codex sessions live in its .codex, claude's in its .claude). */
  home: string;
  /** The test's own directory (under /var/tmp), owned by the unprivileged user. */
  base: string;
  /** The environment the worker gives its agents (HOME, the proxy, the CLIs' settings). */
  agentEnv: Record<string, string>;
  /** Credential ids: the Anthropic key and base URL; the OpenAI key codex's provider reads. */
  anthropicCredential: string;
  openaiCredential: string;
  runs(): ReturnType<typeof client<typeof RunService>>;
  /** Creates a run and waits for it to end. */
  runToEnd(spec: Spec): Promise<Run>;
  /** Follows a finished run up (RunService.ContinueRun) and waits for the follow-up to end. */
  continueToEnd(parentId: string, prompt: string): Promise<Run>;
  /** Waits for a run to end. */
  finished(runId: string): Promise<Run>;
  /** The run's agent events in order. */
  agentEvents(runId: string): Promise<AgentEvent[]>;
  /** The run's output (log lines and events) as text, for failure messages. */
  output(runId: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startRealCliStack(name: string): Promise<RealCliStack> {
  const clis = requireAgentClis();
  const model = await startModelServer();
  const server = await startTestServer();
  const root = gitRoot();
  const daemon = await startGitDaemon(root);
  const unprivileged = process.getuid?.() === 0;
  const base = mkdtempSync(`/var/tmp/fc-real-cli-${name}-`);
  const home = join(base, "home");
  const workDir = join(base, "work");
  mkdirSync(join(home, ".codex"), { recursive: true });
  mkdirSync(workDir);
  writeFileSync(
    join(home, ".codex", "config.toml"),
    [
      `[model_providers.${CODEX_PROVIDER}]`,
      'name = "Scripted model"',
      `base_url = "${model.openaiBaseUrl}"`,
      'env_key = "OPENAI_API_KEY"',
      'wire_api = "responses"',
      // Few, quick retries: the failure tests end in seconds rather than after codex's default backoff.
      "request_max_retries = 1",
      "stream_max_retries = 1",
      "stream_idle_timeout_ms = 20000",
      "",
    ].join("\n"),
  );
  if (unprivileged)
    for (const p of [base, home, join(home, ".codex"), join(home, ".codex", "config.toml"), workDir])
      chownSync(p, UNPRIVILEGED_UID, UNPRIVILEGED_UID);

  const agentEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    HTTPS_PROXY: model.proxyUrl,
    HTTP_PROXY: model.proxyUrl,
    https_proxy: model.proxyUrl,
    http_proxy: model.proxyUrl,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    // Claude Code's documented switch for telemetry, error reports and update checks.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    // Claude Code retries 10 times by default, with back-off: enough to show a retry, short enough for a test.
    CLAUDE_CODE_MAX_RETRIES: "2",
  };
  const env: Record<string, string | undefined> = {
    ...agentEnv,
    ORCH_CLAUDE_BIN: clis.claude,
    ORCH_CODEX_BIN: clis.codex,
    // The suites' IS_SANDBOX=1 (for the fake claude as root) must not reach the real one.
    IS_SANDBOX: undefined,
    // startWorker points these at the fakes' homes in the work dir; the real CLIs use the worker's
    // HOME as an operator's would (~/.codex holds the provider config, and codex refuses a
    // CODEX_HOME that does not exist).
    CODEX_HOME: undefined,
    CLAUDE_CONFIG_DIR: undefined,
  };
  const worker = startWorker(server.url, {
    name: `real-cli-${name}`,
    capacity: 2,
    agents: "claude-code,codex,shell",
    workDir,
    launcher: unprivileged ? AS_UNPRIVILEGED : undefined,
    env: env as Record<string, string>,
  });
  const runs = () => client(RunService, server.url, ADMIN_KEY);
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, {
    what: "the real-CLI worker to connect",
    timeoutMs: 30_000,
  });
  const credentials = client(CredentialService, server.url, ADMIN_KEY);
  const anthropic = await credentials.createCredential({
    name: "anthropic-scripted",
    env: { ANTHROPIC_API_KEY: "sk-ant-test-5c1e2a9b7d3f", ANTHROPIC_BASE_URL: model.anthropicBaseUrl },
  });
  const openai = await credentials.createCredential({ name: "openai-scripted", env: { OPENAI_API_KEY: "sk-test-8e4b1f6a2c9d" } });

  const finished = (runId: string) =>
    waitFor(
      async () => {
        const r = (await runs().getRun({ id: runId })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: `run ${runId} to finish`, timeoutMs: 45_000 },
    );
  const output = async (runId: string) => {
    const { items } = await runs().listRunLogs({ runId });
    return items
      .map((i) =>
        i.payload.case === "log" ? i.payload.value.text : JSON.stringify(i.payload.value, (_, v) => (typeof v === "bigint" ? String(v) : v)),
      )
      .join("\n");
  };
  return {
    clis,
    server,
    model,
    worker,
    daemon,
    gitRoot: root,
    home,
    base,
    agentEnv,
    anthropicCredential: anthropic.credential!.id,
    openaiCredential: openai.credential!.id,
    runs,
    runToEnd: async (spec) => finished((await runs().createRun({ spec })).run!.id),
    continueToEnd: async (parentId, prompt) => finished((await runs().continueRun({ id: parentId, prompt })).run!.id),
    finished,
    async agentEvents(runId) {
      const { items } = await runs().listRunLogs({ runId });
      return items.flatMap((i) => (i.payload.case === "event" ? [i.payload.value] : []));
    },
    output,
    async stop() {
      await worker.stop("SIGTERM", 5_000);
      await daemon.stop();
      await server.cleanup();
      await model.close();
      removeDir(root);
      removeDir(base);
    },
  };
}
