import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
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
 * Everything a real-CLI test needs: the server, the scripted model, a git daemon, and two workers
 * running the real Claude Code and Codex.
 *
 * The first worker runs without a sandbox (ORCH_SANDBOX=off), as an unprivileged user (setpriv to
 * nobody when the tests run as root, as they do here): Claude Code refuses to skip permission
 * prompts for root. The second (sandboxWorker) runs as root with ORCH_SANDBOX=bubblewrap, where each
 * agent runs as an unprivileged user inside. Their HOME holds the operator's codex config: a model
 * provider whose base_url is the scripted model (Codex documents no environment variable for that
 * in 0.171; OPENAI_BASE_URL is ignored). HOME is under /var/tmp because codex refuses to set up its
 * sandbox helpers under a CODEX_HOME in /tmp.
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
  /**
   * A second worker, as root with ORCH_SANDBOX=bubblewrap (so each agent runs as SANDBOX_UID in its
   * own namespaces), started on first use; a spec reaches it with `requiredLabels: ON_SANDBOX`.
   * Every other spec must require OFF_SANDBOX, the first worker's label.
   */
  sandboxWorker(): Promise<WorkerProcess>;
  /** The run's agent events in order. */
  agentEvents(runId: string): Promise<AgentEvent[]>;
  /** The run's output (log lines and events) as text, for failure messages. */
  output(runId: string): Promise<string>;
  stop(): Promise<void>;
}

/** requiredLabels of a spec for the worker without a sandbox / the bubblewrap one. */
export const OFF_SANDBOX = { sandbox: "off" };
export const ON_SANDBOX = { sandbox: "bubblewrap" };

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
    labels: OFF_SANDBOX,
    workDir,
    launcher: unprivileged ? AS_UNPRIVILEGED : undefined,
    env: env as Record<string, string>,
  });
  const runs = () => client(RunService, server.url, ADMIN_KEY);
  const connected = (workerName: string) =>
    waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.some((w) => w.name === workerName), {
      what: `worker ${workerName} to connect`,
      timeoutMs: 30_000,
    });
  await connected(`real-cli-${name}`);
  let sandboxed: Promise<WorkerProcess> | undefined;
  /** The sandboxed worker's process as soon as it is started: stop() must not wait for it to connect. */
  let sandboxProcess: WorkerProcess | undefined;
  const sandboxWorker = () =>
    (sandboxed ??= (async () => {
      const sandboxWorkDir = join(base, "work-sandbox");
      mkdirSync(sandboxWorkDir);
      // Inside the sandbox's user namespace the worker's root has no say over files of an unmapped
      // user (nobody's), so bwrap must be able to traverse `base` to cover the worker's HOME.
      chmodSync(base, 0o711);
      const w = startWorker(server.url, {
        name: `real-cli-${name}-sandboxed`,
        capacity: 1,
        agents: "claude-code,codex",
        labels: ON_SANDBOX,
        workDir: sandboxWorkDir,
        // As root (no launcher): bubblewrap maps the worker's uid to SANDBOX_UID inside, which is what
        // keeps Claude Code's root refusal from firing. Its HOME (the operator's config) is hidden from runs.
        env: { ...(env as Record<string, string>), ORCH_SANDBOX: "bubblewrap" },
      });
      const exited = w.exited.then((code) => {
        throw new Error(`the sandboxed worker exited (${code})`);
      });
      sandboxProcess = w;
      await Promise.race([connected(`real-cli-${name}-sandboxed`), exited]).catch(async (err) => {
        await w.stop("SIGTERM", 5_000);
        throw new Error(`${(err as Error).message}; the sandboxed worker said:\n${w.output()}`);
      });
      exited.catch(() => {});
      return w;
    })());
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
    sandboxWorker,
    async agentEvents(runId) {
      const { items } = await runs().listRunLogs({ runId });
      return items.flatMap((i) => (i.payload.case === "event" ? [i.payload.value] : []));
    },
    output,
    async stop() {
      await worker.stop("SIGTERM", 5_000);
      await sandboxProcess?.stop("SIGTERM", 5_000);
      await sandboxed?.catch(() => undefined);
      await daemon.stop();
      await server.cleanup();
      await model.close();
      removeDir(root);
      removeDir(base);
    },
  };
}
