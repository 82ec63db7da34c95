/**
 * MCP extension env and header values (finding 6): a job's values are credential references or
 * literals; no agent's command line holds one while it runs, no RPC returns one to a viewer, the
 * database holds literals only encrypted, and the agent still receives every resolved value.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import type { McpExtension } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import { FAKE_MCP_SERVER } from "../../../testkit/paths";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const TOKEN = "ghp_mcpref_SECRET_0123456789abcdef";
const LITERAL_ENV = "db-literal-SECRET-5566778899";
const LITERAL_HEADER = "hdr-literal-SECRET-aabbccddeeff";
const SECRETS = [TOKEN, LITERAL_ENV, LITERAL_HEADER];
const sha = (v: string) => createHash("sha256").update(v).digest("hex");
const AGENTS = ["goose", "claude-code", "codex"];

let server: TestServer;
let worker: WorkerProcess;
let viewerKey: string;
let credentialId: string;

const extensions = (): Array<Partial<McpExtension>> => [
  {
    name: "db",
    transport: {
      case: "stdio",
      value: { command: FAKE_MCP_SERVER, args: ["--ro"], env: { GITHUB_TOKEN: "${credential:github/GITHUB_TOKEN}", DB_PASSWORD: LITERAL_ENV } },
    } as never,
  },
  {
    name: "remote",
    transport: {
      case: "streamableHttp",
      value: { url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer ${credential:github/GITHUB_TOKEN}", "X-Api-Key": LITERAL_HEADER } },
    } as never,
  },
];
const expectedDigests = [
  `mcp db env DB_PASSWORD sha256=${sha(LITERAL_ENV)}`,
  `mcp db env GITHUB_TOKEN sha256=${sha(TOKEN)}`,
  `mcp remote header Authorization sha256=${sha(`Bearer ${TOKEN}`)}`,
  `mcp remote header X-Api-Key sha256=${sha(LITERAL_HEADER)}`,
];

/** Every process's command line on this machine, as `ps` would show it. */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // The process ended while we listed them.
    }
  }
  return lines;
}

async function finished(runId: string) {
  const runs = client(RunService, server.url, ADMIN_KEY);
  return waitFor(
    async () => {
      const r = (await runs.getRun({ id: runId })).run!;
      return r.finishTime ? r : undefined;
    },
    { what: `run ${runId} to finish`, timeoutMs: 30_000 },
  );
}

async function logText(runId: string) {
  const { items } = await client(RunService, server.url, ADMIN_KEY).listRunLogs({ runId });
  return items.map((i) => (i.payload.case === "log" ? i.payload.value.text : "")).join("\n");
}

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "mcp-secrets", capacity: 3 });
  const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({ name: "github", env: { GITHUB_TOKEN: TOKEN } });
  credentialId = credential!.id;
  viewerKey = (await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({ name: "viewer", role: Role.VIEWER })).key;
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

describe("MCP secrets in a job", () => {
  const jobIds = new Map<string, string>();
  const runIds = new Map<string, string>();

  it("reach each agent resolved, while no process's command line holds one", async () => {
    const jobs = client(JobService, server.url, ADMIN_KEY);
    for (const agent of AGENTS) {
      const { job } = await jobs.createJob({
        name: `mcp-${agent}`,
        spec: {
          agent,
          prompt: `mcp_digest sleep_ms=1500 marker-${agent}`,
          // On each command line (the prompt is not: claude and codex read it from stdin).
          systemInstructions: `marker-${agent}`,
          credentialIds: [credentialId],
          extensions: extensions() as McpExtension[],
        },
      });
      jobIds.set(agent, job!.id);
      runIds.set(agent, (await jobs.triggerJob({ id: job!.id })).run!.id);
    }
    // While the three fakes sleep, read every command line on the machine, as `ps -ef` would.
    const seen = await waitFor(
      () => {
        const lines = allCommandLines();
        return AGENTS.every((a) => lines.some((l) => l.includes(`marker-${a}`))) ? lines : undefined;
      },
      { what: "the three agents to be running", timeoutMs: 20_000 },
    );
    const agentLines = seen.filter((l) => l.includes("marker-"));
    expect(agentLines.join("\n")).toContain("--mcp-config");
    for (const line of seen) for (const s of SECRETS) expect(line, "a command line holds an MCP secret").not.toContain(s);
    for (const agent of AGENTS) {
      const run = await finished(runIds.get(agent)!);
      const text = await logText(run.id);
      expect(run.status, `${agent}: ${run.error}\n${text}`).toBe(RunStatus.SUCCEEDED);
      expect(
        text
          .split("\n")
          .filter((l) => l.startsWith("mcp "))
          .sort(),
        agent,
      ).toEqual(expectedDigests);
      for (const s of SECRETS) expect(text).not.toContain(s);
    }
  });

  it("are never returned to a viewer: references as written, literals as ***", async () => {
    const jobs = client(JobService, server.url, viewerKey);
    const runs = client(RunService, server.url, viewerKey);
    const seen: string[] = [];
    for (const agent of AGENTS) {
      const { job } = await jobs.getJob({ id: jobIds.get(agent)! });
      seen.push(toJsonString(JobService.method.getJob.output, { $typeName: "flightcontrol.v1.GetJobResponse", job } as never));
      const [db, remote] = job!.spec!.extensions;
      expect(db.transport.case === "stdio" && db.transport.value.env).toEqual({
        GITHUB_TOKEN: "${credential:github/GITHUB_TOKEN}",
        DB_PASSWORD: "***",
      });
      expect(remote.transport.case === "streamableHttp" && remote.transport.value.headers).toEqual({
        Authorization: "Bearer ${credential:github/GITHUB_TOKEN}",
        "X-Api-Key": "***",
      });
      const got = await runs.getRun({ id: runIds.get(agent)! });
      seen.push(toJsonString(RunService.method.getRun.output, got));
      for await (const m of runs.watchRun({ runId: runIds.get(agent)! })) {
        seen.push(toJsonString(RunService.method.watchRun.output, m));
        break;
      }
    }
    seen.push(toJsonString(JobService.method.listJobs.output, await jobs.listJobs({})));
    seen.push(toJsonString(RunService.method.listRuns.output, await runs.listRuns({})));
    const all = seen.join("\n");
    expect(all).toContain("***");
    for (const s of SECRETS) expect(all).not.toContain(s);
  });

  it("are stored only encrypted (read straight from the database)", async () => {
    const rows = [
      ...(await server.app.sql.all<{ spec: string }>("SELECT spec FROM job_definitions")),
      ...(await server.app.sql.all<{ spec: string }>("SELECT spec FROM job_runs")),
    ];
    const dump = JSON.stringify(rows);
    expect(dump).toContain("${sealed:");
    for (const s of SECRETS) expect(dump).not.toContain(s);
  });

  it("keep their stored value when a client sends back the *** it was shown", async () => {
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const { job } = await jobs.getJob({ id: jobIds.get("goose")! });
    const spec = job!.spec!;
    spec.prompt = "mcp_digest";
    await jobs.updateJob({ id: job!.id, spec });
    const run = await finished((await jobs.triggerJob({ id: job!.id })).run!.id);
    expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
    expect(
      (await logText(run.id))
        .split("\n")
        .filter((l) => l.startsWith("mcp "))
        .sort(),
    ).toEqual(expectedDigests);
  });

  it("refuses a *** with nothing to keep, and a reference to a credential the spec does not attach", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const bad = async (env: Record<string, string>, credentialIds: string[] = []) => {
      const err = await runs
        .createRun({
          spec: {
            agent: "goose",
            prompt: "p",
            credentialIds,
            extensions: [{ name: "x", transport: { case: "stdio", value: { command: "c", args: [], env } } }],
          },
        })
        .catch((e: unknown) => ConnectError.from(e));
      expect(err).toBeInstanceOf(ConnectError);
      return err as ConnectError;
    };
    const hidden = await bad({ K: "***" });
    expect(hidden.code).toBe(Code.InvalidArgument);
    expect(hidden.rawMessage).toContain('extension x env K is "***"');
    const unattached = await bad({ K: "${credential:github/GITHUB_TOKEN}" });
    expect(unattached.code).toBe(Code.InvalidArgument);
    expect(unattached.rawMessage).toContain('refers to credential "github", which the spec does not attach');
    const noVar = await bad({ K: "${credential:github/NOPE}" }, [credentialId]);
    expect(noVar.code).toBe(Code.FailedPrecondition);
    expect(noVar.rawMessage).toContain('NOPE of credential "github"');
    const typo = await bad({ K: "${credential:github}" }, [credentialId]);
    expect(typo.code).toBe(Code.InvalidArgument);
  });
});
