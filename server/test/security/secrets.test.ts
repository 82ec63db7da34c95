/**
 * Secrets stay secret: no credential value (nor an API key) appears in any RPC response, in the
 * server's own log at debug level, in /metrics, in an error message, or in the database in
 * plaintext; and an agent's process never gets a Flight Control API key — not in its environment,
 * and not by reading its parent's. The agent checks run on an unsandboxed worker and on one that
 * sandboxes its runs with bubblewrap (ORCH_SANDBOX), where they also cover the worker's memory
 * (/proc/<pid>/mem, ptrace), its files, and a concurrently running run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { toJsonString, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/app";
import { loadServerConfig } from "../../src/config";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { connectUnary } from "./support/wire";

/** Distinctive values: a provider key, one with JSON and shell metacharacters, a long non-ASCII one. */
const SECRETS = {
  OPENAI_API_KEY: "sk-live-SECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  DB_PASSWORD: `p@ss"w{o}rd'$(whoami)\`SECRET-2\``,
  LONG_TOKEN: `SECRET-3-${"ключ".repeat(300)}`,
};
const ROTATED = "sk-rotated-SECRET-4-ffeeddccbbaa99887766";
const MASTER_KEY = Buffer.alloc(32, 7).toString("base64url");
const ALL = () => [...Object.values(SECRETS), ROTATED, MASTER_KEY, ADMIN_KEY, WORKER_KEY, ...issuedKeys];
const issuedKeys: string[] = [];

let logText = "";
let server: RunningServer;
let dataDir: string;
let worker: WorkerProcess;
/** The worker that sandboxes its runs, with a home and a co-located data dir holding the worker key. */
let sandboxed: WorkerProcess;
let sandboxedHome: string;
const responses: string[] = [];

/** Every response the tests saw, as protobuf JSON, to search at the end. */
function keep<T extends Message>(schema: DescMessage, msg: T): T {
  responses.push(toJsonString(schema, msg));
  return msg;
}

/** Every secret that occurs in a text (whole, or a 12-character piece of it). */
function found(text: string, except: string[] = []): string[] {
  return ALL()
    .filter((s) => !except.includes(s))
    .filter((s) => text.includes(s) || (s.length >= 24 && text.includes(s.slice(4, 16))));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "fc-secrets-"));
  const sink = new Writable({
    write(chunk, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  server = await startServer(
    {
      ...loadServerConfig({}),
      port: 0,
      host: "127.0.0.1",
      dataDir,
      databaseUrl: `sqlite:${join(dataDir, "fc.db")}`,
      defaultAdminKey: ADMIN_KEY,
      workerKey: WORKER_KEY,
      masterKey: MASTER_KEY,
      uiDir: join(dataDir, "no-ui"),
      logLevel: "debug",
    },
    pino({ level: "debug" }, sink),
  );
  worker = startWorker(server.url, { name: "secrets-env", capacity: 2, labels: { pool: "plain" } });
  // An operator's home with the key in a file, and the server's data dir on the same machine.
  sandboxedHome = mkdtempSync(join(tmpdir(), "fc-secrets-home-"));
  writeFileSync(join(sandboxedHome, "worker.key"), WORKER_KEY, { mode: 0o600 });
  writeFileSync(join(dataDir, "worker.key"), WORKER_KEY, { mode: 0o600 });
  sandboxed = startWorker(server.url, {
    name: "secrets-sandboxed",
    capacity: 2,
    labels: { pool: "sandboxed" },
    env: { ORCH_SANDBOX: "bubblewrap", HOME: sandboxedHome, ORCH_SANDBOX_HIDE: dataDir },
  });
});
afterAll(async () => {
  await sandboxed?.kill();
  if (sandboxedHome) rmSync(sandboxedHome, { recursive: true, force: true });
  await worker?.kill();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("credential values are write-only", () => {
  it("no RPC returns them, however the credential is reached", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { credential } = keep(
      CredentialService.method.createCredential.output,
      await creds.createCredential({ name: "prod-keys", description: "production", env: SECRETS }),
    );
    expect(credential!.envNames.sort()).toEqual(Object.keys(SECRETS).sort());
    keep(CredentialService.method.listCredentials.output, await creds.listCredentials({}));
    keep(CredentialService.method.updateCredential.output, await creds.updateCredential({ id: credential!.id, env: { OPENAI_API_KEY: ROTATED } }));
    const { job } = keep(
      JobService.method.createJob.output,
      await jobs.createJob({
        name: "uses-secrets",
        spec: { agent: "shell", prompt: "echo using secrets", credentialIds: [credential!.id], requiredLabels: { pool: "none" } },
      }),
    );
    keep(JobService.method.getJob.output, await jobs.getJob({ id: job!.id }));
    keep(JobService.method.listJobs.output, await jobs.listJobs({}));
    const { run } = keep(JobService.method.triggerJob.output, await jobs.triggerJob({ id: job!.id }));
    keep(RunService.method.getRun.output, await runs.getRun({ id: run!.id }));
    keep(RunService.method.listRuns.output, await runs.listRuns({}));
    for await (const m of runs.watchRun({ runId: run!.id })) {
      keep(RunService.method.watchRun.output, m);
      break;
    }
    keep(WorkerService.method.listWorkers.output, await client(WorkerService, server.url, ADMIN_KEY).listWorkers({ includeOffline: true }));
    keep(SystemService.method.getStats.output, await client(SystemService, server.url, ADMIN_KEY).getStats({}));
    const keys = client(ApiKeyService, server.url, ADMIN_KEY);
    const created = await keys.createApiKey({ name: "secret-test", role: Role.VIEWER });
    issuedKeys.push(created.key);
    keep(ApiKeyService.method.listApiKeys.output, await keys.listApiKeys({ includeRevoked: true }));
    keep(ApiKeyService.method.whoAmI.output, await client(ApiKeyService, server.url, created.key).whoAmI({}));
    const all = responses.join("\n");
    expect(found(all)).toEqual([]);
  });

  it("error messages do not echo a secret sent in a request that is refused", async () => {
    const s = SECRETS.OPENAI_API_KEY;
    const existing = (await client(CredentialService, server.url, ADMIN_KEY).listCredentials({})).credentials[0];
    const bodies: Array<[string, string, unknown]> = [
      ["value too long", "CreateCredential", { name: "c1", env: { GOOD: s + "x".repeat(65_536) } }],
      ["bad name", "CreateCredential", { name: `${s}!`, env: { GOOD: "v" } }],
      ["bad key, secret value", "CreateCredential", { name: "c2", env: { "1BAD": s } }],
      ["secret pasted as the variable name", "CreateCredential", { name: "c3", env: { [s]: "value" } }],
      ["secret in a too-long description", "CreateCredential", { name: "c4", description: s.repeat(40), env: { GOOD: "v" } }],
      ["wrong type next to a secret", "CreateCredential", { name: 5, env: { GOOD: s } }],
      ["too many pairs", "CreateCredential", { name: "c5", env: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`K${i}`, s])) }],
      ["empty value next to a secret", "CreateCredential", { name: "c6", env: { A: s, B: "" } }],
      ["duplicate name", "CreateCredential", { name: existing.name, env: { GOOD: s } }],
      ["unknown id", "UpdateCredential", { id: "01890000-0000-7000-8000-000000000000", env: { GOOD: s } }],
      ["bad id", "UpdateCredential", { id: "not-a-uuid", env: { GOOD: s } }],
      ["bad update key", "UpdateCredential", { id: existing.id, env: { "bad key": s } }],
    ];
    const leaks: string[] = [];
    for (const [what, method, body] of bodies) {
      const res = await connectUnary(server.url, `/flightcontrol.v1.CredentialService/${method}`, JSON.stringify(body), { key: ADMIN_KEY });
      expect(res.code, what).not.toBe("ok");
      if (found(res.raw).length) leaks.push(`${what}: ${res.raw.slice(0, 300)}`);
    }
    expect(leaks, "error responses that echo the secret").toEqual([]);
  });

  it("the database holds them only encrypted (rows, the SQLite file and its WAL)", async () => {
    const tables = await server.app.sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'");
    let dump = "";
    for (const { name } of tables) dump += JSON.stringify(await server.app.sql.all(`SELECT * FROM "${name}"`));
    expect(found(dump, [MASTER_KEY])).toEqual([]);
    for (const f of readdirSync(dataDir).filter((n) => n.startsWith("fc.db"))) {
      const bytes = readFileSync(join(dataDir, f));
      for (const s of [...Object.values(SECRETS), ROTATED, ADMIN_KEY, WORKER_KEY, ...issuedKeys]) {
        expect(bytes.includes(Buffer.from(s)), `${f} holds a plaintext secret`).toBe(false);
      }
    }
  });
});

async function startShell(pool: string, prompt: string, credentialIds: string[] = []) {
  const { run } = await client(RunService, server.url, ADMIN_KEY).createRun({
    spec: { agent: "shell", prompt, credentialIds, requiredLabels: { pool } },
  });
  return run!.id;
}

async function finishedShell(id: string, owner: () => WorkerProcess) {
  const runs = client(RunService, server.url, ADMIN_KEY);
  const done = await waitFor(
    async () => {
      const r = (await runs.getRun({ id })).run!;
      return r.finishTime ? r : undefined;
    },
    { what: "shell run", timeoutMs: 30_000 },
  );
  expect(done.status, `${done.error}\n${owner().output()}`).toBe(RunStatus.SUCCEEDED);
  const { items } = await runs.listRunLogs({ runId: id });
  return items.map((i) => (i.payload.case === "log" ? i.payload.value.text : "")).join("\n");
}

const decodeLines = (text: string) =>
  text
    .split("\n")
    .map((l) => Buffer.from(l.trim(), "base64").toString("utf8"))
    .join("\n");

describe.each([
  { kind: "unsandboxed", pool: "plain", sandbox: "off", owner: () => worker },
  { kind: "sandboxed (bubblewrap)", pool: "sandboxed", sandbox: "bubblewrap", owner: () => sandboxed },
])("an agent's process, $kind", ({ pool, sandbox, owner }) => {
  async function runShell(prompt: string, credentialIds: string[] = []) {
    const text = await finishedShell(await startShell(pool, prompt, credentialIds), owner);
    // The case is about what it says: the run was (or was not) sandboxed.
    if (sandbox === "bubblewrap") expect(text).toContain("sandbox: bubblewrap");
    else expect(text).not.toContain("sandbox: bubblewrap");
    return text;
  }

  it("has no Flight Control key or setting in its environment; credentials arrive masked in the log", async () => {
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
      name: `env-check-${pool}`,
      env: { AGENT_TOKEN: SECRETS.OPENAI_API_KEY },
    });
    const text = await runShell("env; echo END-OF-ENV", [credential!.id]);
    expect(text).toContain("END-OF-ENV");
    expect(text).toContain("AGENT_TOKEN=***");
    const orch = text.split("\n").filter((l) => /^[A-Za-z_]*ORCH_/i.test(l));
    expect(orch, "ORCH_* variables in the agent's environment").toEqual([]);
    expect(found(text)).toEqual([]);
  });

  // The agent runs as the worker's user, so /proc/<worker pid>/environ is readable to it: the worker
  // overwrites the key's bytes in its own initial environment block at start (worker/src/scrub-initial-env.ts).
  // The worker's parent here is the test runner, whose environment never held the key.
  it("cannot read the worker's API key from its parent's environment (/proc/$PPID/environ)", async () => {
    // The agent runs as the worker's user; whatever the worker holds in its initial environment,
    // the agent can read from /proc. A worker key there lets a job author become a worker and receive
    // other jobs' decrypted credentials.
    const text = await runShell(
      "for p in $PPID $(ps -o ppid= -p $PPID 2>/dev/null); do tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -a '^ORCH_API_KEY=' | base64 | tr -d '\\n'; echo; done; echo done",
    );
    expect(decodeLines(text).includes(WORKER_KEY), "the agent read ORCH_API_KEY from the worker's /proc/<pid>/environ").toBe(false);
  });

  it("a worker given its key in ORCH_API_KEY_FILE (as the container entrypoint does) connects and deletes the file first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fc-keyfile-"));
    const file = join(dir, "api-key");
    writeFileSync(file, `${WORKER_KEY}\n`, { mode: 0o600 });
    const name = `key-file-worker-${pool}`;
    const fromFile = startWorker(server.url, { name, capacity: 1, env: { ORCH_API_KEY: "", ORCH_API_KEY_FILE: file, ORCH_SANDBOX: sandbox } });
    try {
      const workers = client(WorkerService, server.url, ADMIN_KEY);
      await waitFor(async () => (await workers.listWorkers({})).workers.some((w) => w.name === name), {
        what: "the key-file worker to connect",
      });
      expect(existsSync(file), fromFile.output()).toBe(false);
    } finally {
      await fromFile.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** ptrace(2)'s syscall number, for perl's syscall(): the agent tries PTRACE_ATTACH with no compiler at hand. */
const PTRACE_SYSCALL = process.arch === "arm64" ? 117 : 101;

describe("a sandboxed agent's process and the worker", () => {
  const runSandboxed = async (prompt: string, credentialIds: string[] = []) => {
    const text = await finishedShell(await startShell("sandboxed", prompt, credentialIds), () => sandboxed);
    expect(text).toContain("sandbox: bubblewrap");
    return text;
  };

  it("cannot reach the worker's memory: its pid does not exist there (/proc/<pid>/environ, /proc/<pid>/mem, ptrace)", async () => {
    const pid = sandboxed.pid;
    const text = await runSandboxed(
      [
        `ls -d /proc/${pid} 2>&1`,
        `dd if=/proc/${pid}/mem bs=1 count=64 skip=4096 2>&1 | base64 | tr -d '\\n'; echo`,
        `tr '\\0' '\\n' < /proc/${pid}/environ 2>&1 | base64 | tr -d '\\n'; echo`,
        `perl -e '$r = syscall(${PTRACE_SYSCALL}, 16, ${pid}, 0, 0); print "PTRACE ", ($r == -1 ? "ERRNO " . ($!+0) : "ATTACHED"), "\\n"'`,
        // Every process it can see, and what each holds in its environment: none is the worker.
        "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; tr '\\0' '\\n' < $p/environ 2>/dev/null | base64 | tr -d '\\n'; echo; done",
        "echo PROBE-DONE",
      ].join("; "),
    );
    expect(text).toContain("PROBE-DONE");
    expect(text).toContain(`ls: cannot access '/proc/${pid}': No such file or directory`);
    expect(text).toMatch(/PTRACE ERRNO 3\b/); // ESRCH: no such process
    expect(text).not.toContain("worker/src/main.ts");
    expect(decodeLines(text).includes(WORKER_KEY), "the agent read the worker key from a process's environment or memory").toBe(false);
    expect(found(text)).toEqual([]);
  });

  it("cannot read the worker's files: its key in the operator's home, a co-located data dir, the work dir", async () => {
    const text = await runSandboxed(
      [
        `cat ${sandboxedHome}/worker.key ${dataDir}/worker.key 2>&1`,
        `ls -A ${sandboxed.workDir} 2>&1`,
        `find ${sandboxed.workDir} ${sandboxedHome} ${dataDir} -type f -exec cat {} + 2>&1`,
        "echo PROBE-DONE",
      ].join("; "),
    );
    expect(text).toContain("PROBE-DONE");
    expect(text).toContain("No such file or directory");
    expect(found(text)).toEqual([]);
  });

  it("cannot read a concurrently running run's environment or workspace", async () => {
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
      name: "concurrent-run",
      env: { OTHER_TOKEN: SECRETS.LONG_TOKEN },
    });
    const other = await startShell(
      "sandboxed",
      `echo ${SECRETS.OPENAI_API_KEY} > secret.txt; echo READY; while [ ! -e $TMPDIR/../workspace/release ]; do sleep 0.05; done`,
      [credential!.id],
    );
    const runs = client(RunService, server.url, ADMIN_KEY);
    await waitFor(
      async () => (await runs.listRunLogs({ runId: other })).items.some((i) => i.payload.case === "log" && i.payload.value.text === "READY"),
      {
        what: "the other run to start",
        timeoutMs: 30_000,
      },
    );
    const runDirs = () => readdirSync(sandboxed.workDir).filter((n) => n.startsWith("run-"));
    expect(runDirs()).toHaveLength(1);
    const otherDir = join(sandboxed.workDir, runDirs()[0]);
    try {
      const text = await runSandboxed(
        [
          "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null | base64 | tr -d '\\n'; echo; done",
          `cat ${otherDir}/workspace/secret.txt 2>&1`,
          "echo PROBE-DONE",
        ].join("; "),
      );
      expect(text).toContain("PROBE-DONE");
      expect(decodeLines(text).includes(SECRETS.LONG_TOKEN), "read the other run's credential from /proc").toBe(false);
      expect(found(text)).toEqual([]);
    } finally {
      writeFileSync(join(otherDir, "workspace", "release"), "");
    }
    await finishedShell(other, () => sandboxed);
  });
});

describe("the server's own outputs", () => {
  it("its debug log never holds a secret or a key", async () => {
    // Something went through the log at debug level, or this test proves nothing.
    await waitFor(() => logText.includes('"msg":"rpc"'), { what: "debug log lines" });
    const leaked = found(logText);
    expect(
      leaked.map(
        (s) => `${s.slice(0, 12)}… at ${logText.indexOf(s)}: ${logText.slice(Math.max(0, logText.indexOf(s) - 200), logText.indexOf(s) + 50)}`,
      ),
    ).toEqual([]);
  });

  it("/metrics holds no secret or key", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain("flightcontrol_rpc_requests_total");
    expect(found(text)).toEqual([]);
  });

  it("the worker process does not print them either", () => {
    expect(found(worker.output(), [WORKER_KEY])).toEqual([]);
  });

  it("a refused request's error does not reflect its Authorization header", async () => {
    const wrong = `fc_wrong_${"z".repeat(30)}`;
    const res = await connectUnary(server.url, "/flightcontrol.v1.ApiKeyService/WhoAmI", "{}", { key: wrong });
    expect(res.code).toBe("unauthenticated");
    expect(res.raw).not.toContain(wrong);
    const err = await client(JobService, server.url, wrong, "grpc")
      .listJobs({})
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect((err as ConnectError).message).not.toContain(wrong);
    expect(logText).not.toContain(wrong);
  });
});
