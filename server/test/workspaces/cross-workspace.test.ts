import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMethod, type DescMethodStreaming, type DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "../../src/gen/flightcontrol/v1/schedule_pb";
import { SkillService } from "../../src/gen/flightcontrol/v1/skill_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { WorkerService, WorkerState } from "../../src/gen/flightcontrol/v1/worker_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { bearer, client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { scriptedSignIn, startTestIdentityProvider, type TestIdentityProvider } from "../../../testkit/oidc-provider";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { handWorker, hello } from "../../../testkit/worker-session";
import { snapshotDb, type DbSnapshot } from "../security/support/db";
import { generatedServices } from "../support/generated-services";

/** Every flightcontrol.v1 service: a new RPC must get a case below. */
const services = await generatedServices();
const rpc = (m: DescMethod) => `${m.parent.name}/${m.name}`;

/** Workspace B's objects, which workspace A's admin key asks for. */
interface B {
  workspace: string;
  job: string;
  run: string;
  credential: string;
  schedule: string;
  skill: string;
  worker: string;
  apiKey: string;
  artifact: string;
  /** A person who signed in and is a member of B only. */
  person: string;
}

/**
 * What each RPC is asked, naming B's objects, and how it must answer: "notFound", or a check that
 * the answer shows nothing of B, or (instance-level RPCs, which belong to no workspace: people)
 * "permissionDenied". Null: the RPC names no object and is covered elsewhere (the reason says where).
 */
type Expect =
  | { request: Record<string, unknown>; expect: "notFound" | "permissionDenied" }
  | { request: Record<string, unknown>; expect: (res: unknown[]) => void };
const hasNone = (b: B, res: unknown[]) => {
  const text = JSON.stringify(res, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  for (const [kind, id] of Object.entries(b)) expect(text, `the answer shows B's ${kind}`).not.toContain(id);
};

function cases(b: B): Record<string, Expect | { skip: string }> {
  const nf = (request: Record<string, unknown>): Expect => ({ request, expect: "notFound" });
  const none = (request: Record<string, unknown> = {}): Expect => ({ request, expect: (res) => hasNone(b, res) });
  const denied = (request: Record<string, unknown>): Expect => ({ request, expect: "permissionDenied" });
  const spec = { prompt: "echo x", agent: "shell" };
  return {
    "JobService/CreateJob": nf({ name: "j", spec: { ...spec, credentialIds: [b.credential] } }),
    "JobService/GetJob": nf({ id: b.job }),
    "JobService/ListJobs": none({ pageSize: 100 }),
    "JobService/UpdateJob": nf({ id: b.job, name: "renamed" }),
    "JobService/DeleteJob": nf({ id: b.job }),
    "JobService/TriggerJob": nf({ id: b.job }),
    "JobService/ImportRecipe": { skip: "names no object: it creates a job in the caller's own workspace" },
    "JobService/ExportRecipe": nf({ id: b.job }),
    "SkillService/CreateSkill": { skip: "names no object: it creates a skill in the caller's own workspace" },
    "SkillService/GetSkill": nf({ id: b.skill }),
    "SkillService/ListSkills": none(),
    "SkillService/UpdateSkill": nf({
      id: b.skill,
      files: [{ path: "SKILL.md", content: new TextEncoder().encode("---\nname: s\ndescription: d\n---\n") }],
    }),
    "SkillService/DeleteSkill": nf({ id: b.skill }),
    "RunService/CreateRun": nf({ spec: { ...spec, credentialIds: [b.credential] } }),
    "RunService/GetRun": nf({ id: b.run }),
    "RunService/ListRuns": none({ pageSize: 100 }),
    "RunService/CancelRun": nf({ id: b.run }),
    "RunService/RetryRun": nf({ id: b.run }),
    "RunService/ContinueRun": nf({ id: b.run, prompt: "more" }),
    "RunService/ListRunLogs": nf({ runId: b.run }),
    "RunService/WatchRun": nf({ runId: b.run }),
    "RunService/WatchRuns": { skip: "a separate test below: B's run changes while A watches" },
    "RunService/ListArtifacts": nf({ runId: b.run }),
    "RunService/DownloadArtifact": nf({ id: b.artifact }),
    "CredentialService/CreateCredential": nf({ name: "c", env: { K: "v" }, allowedJobIds: [b.job] }),
    "CredentialService/ListCredentials": none(),
    "CredentialService/UpdateCredential": nf({ id: b.credential, description: "x" }),
    "CredentialService/DeleteCredential": nf({ id: b.credential }),
    "WorkerService/ListWorkers": none({ includeOffline: true }),
    "WorkerService/GetWorker": nf({ id: b.worker }),
    "WorkerService/DrainWorker": nf({ id: b.worker }),
    "WorkerService/WatchWorkers": none(),
    "WorkerService/Connect": { skip: "worker-isolation.test.ts: a worker of A is never offered B's runs" },
    "ScheduleService/CreateSchedule": nf({ jobId: b.job, name: "s", cron: "0 0 1 1 *", paused: true }),
    "ScheduleService/GetSchedule": nf({ id: b.schedule }),
    "ScheduleService/ListSchedules": none(),
    "ScheduleService/UpdateSchedule": nf({ id: b.schedule, cron: "0 0 2 1 *" }),
    "ScheduleService/DeleteSchedule": nf({ id: b.schedule }),
    "ScheduleService/PauseSchedule": nf({ id: b.schedule }),
    "ScheduleService/ResumeSchedule": nf({ id: b.schedule }),
    "ApiKeyService/CreateApiKey": nf({ name: "k", role: Role.VIEWER, workspaceId: b.workspace }),
    "ApiKeyService/ListApiKeys": none({ includeRevoked: true }),
    "ApiKeyService/RevokeApiKey": nf({ id: b.apiKey }),
    "ApiKeyService/WhoAmI": { skip: "names no object: it describes the caller's own key" },
    "SystemService/GetStats": { skip: "a separate test below: B's queued run is not in A's queue depth" },
    "SystemService/GetInfo": { skip: "names no object: version and database kind only" },
    "WorkspaceService/CreateWorkspace": { skip: "names no object (and a bound key may not create workspaces: workspaces.test.ts)" },
    "WorkspaceService/GetWorkspace": nf({ id: b.workspace }),
    "WorkspaceService/ListWorkspaces": none(),
    "WorkspaceService/UpdateWorkspace": nf({ id: b.workspace, name: "taken-over" }),
    "WorkspaceService/DeleteWorkspace": nf({ id: b.workspace, cascade: true }),
    "WorkspaceService/AddMember": nf({ workspaceId: b.workspace, email: "x@example.com", role: Role.VIEWER }),
    "WorkspaceService/ListMembers": nf({ workspaceId: b.workspace }),
    "WorkspaceService/UpdateMember": nf({ workspaceId: b.workspace, email: "member@example.com", role: Role.ADMIN }),
    "WorkspaceService/RemoveMember": nf({ workspaceId: b.workspace, email: "member@example.com" }),
    // People belong to no workspace: a workspace admin (key or person) may neither see nor change them.
    "PersonService/ListPeople": denied({ pageSize: 100 }),
    "PersonService/EndSessions": denied({ personId: b.person }),
    "PersonService/DeletePerson": denied({ id: b.person }),
  };
}

let server: TestServer;
let idp: TestIdentityProvider;
let b: B;
let keyA: string;

/**
 * Who asks, each an admin of workspace A and nothing else: A's admin key, and a person signed in
 * through the identity provider who is A's admin member (cookie and CSRF header, as the dashboard).
 */
const CALLERS = ["a key of workspace A", "a person signed in as workspace A's admin"] as const;
type Caller = (typeof CALLERS)[number];
const transports = {} as Record<Caller, Transport>;

/** Calls a method as `who`; the answer (a stream's first), or the error's code. */
async function call(who: Caller, m: DescMethod, init: Record<string, unknown>): Promise<unknown[] | Code> {
  const transport = transports[who];
  const headers = {};
  try {
    if (m.methodKind === "unary")
      return [(await transport.unary(m as DescMethodUnary, undefined, 10_000, headers, create(m.input, init as never))).message];
    const ac = new AbortController();
    const out: unknown[] = [];
    const res = await transport.stream(
      m as DescMethodStreaming,
      ac.signal,
      10_000,
      headers,
      createAsyncIterable([create(m.input, init as never)]) as never,
    );
    try {
      // A watch stays open; what can show B's objects is its snapshot, which it sends first. A has no
      // worker online, so its WatchWorkers snapshot is a single message (the "none online" marker, or
      // B's workers ahead of it if they leaked): the first message settles it.
      for await (const msg of res.message) {
        out.push(msg);
        break;
      }
    } finally {
      ac.abort();
    }
    return out;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  server = await startTestServer({ oidc: idp.settings, adminEmails: ["root@example.com"] });
  idp.allowRedirect(`${server.url}/auth/callback`);
  idp.addAccount({ email: "ada@example.com" });
  idp.addAccount({ email: "bea@example.com" });
  const url = server.url;
  const ws = client(WorkspaceService, url, ADMIN_KEY);
  const a = (await ws.createWorkspace({ name: "team-a" })).workspace!.id;
  const bId = (await ws.createWorkspace({ name: "team-b" })).workspace!.id;
  const admin = client(ApiKeyService, url, ADMIN_KEY);
  keyA = (await admin.createApiKey({ name: "a admin", role: Role.ADMIN, workspaceId: a })).key;
  const keyB = (await admin.createApiKey({ name: "b admin", role: Role.ADMIN, workspaceId: bId })).key;
  const workerKeyB = (await admin.createApiKey({ name: "b worker", role: Role.WORKER, workspaceId: bId })).key;
  transports["a key of workspace A"] = createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [bearer(keyA)] });
  await ws.addMember({ workspaceId: a, email: "ada@example.com", role: Role.ADMIN });
  const ada = await scriptedSignIn(url, "ada@example.com");
  const asAda: Interceptor = (next) => (req) => {
    req.header.set("cookie", ada.cookie);
    req.header.set("x-csrf-token", ada.csrf);
    return next(req);
  };
  transports["a person signed in as workspace A's admin"] = createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [asAda] });

  // B's objects, made with B's own key (no header needed).
  const { credential } = await client(CredentialService, url, keyB).createCredential({ name: "shared-name", env: { TOKEN: "b-secret" } });
  const { job } = await client(JobService, url, keyB).createJob({ name: "shared-name", spec: { prompt: "echo b", agent: "shell" } });
  const { run } = await client(RunService, url, keyB).createRun({ spec: { prompt: "echo b", agent: "shell", requiredLabels: { pool: "nowhere" } } });
  const { schedule } = await client(ScheduleService, url, keyB).createSchedule({ jobId: job!.id, name: "s", cron: "0 0 1 1 *", paused: true });
  const { skill } = await client(SkillService, url, keyB).createSkill({
    files: [{ path: "SKILL.md", content: new TextEncoder().encode("---\nname: b-skill\ndescription: B's skill\n---\nbody\n") }],
  });
  const { apiKey } = await admin.createApiKey({ name: "b viewer", role: Role.VIEWER, workspaceId: bId });
  await client(WorkspaceService, url, keyB).addMember({ workspaceId: bId, email: "member@example.com", role: Role.VIEWER });
  await client(WorkspaceService, url, keyB).addMember({ workspaceId: bId, email: "bea@example.com", role: Role.ADMIN });
  const bea = await scriptedSignIn(url, "bea@example.com");
  const { person } = await client(ApiKeyService, url).whoAmI({}, { headers: { cookie: bea.cookie, "x-csrf-token": bea.csrf } });
  const w = handWorker(url, { case: "hello", value: hello("b-worker") }, workerKeyB);
  const worker = await w.workerId();
  await w.close();
  await waitFor(async () => (await client(WorkerService, url, keyB).getWorker({ id: worker })).worker?.state === WorkerState.OFFLINE, {
    what: "B's worker offline",
  });
  // An artifact of B's run, with its bytes, as a worker's upload would leave it.
  const artifact = "0190cccc-0000-7000-8000-0000000000b1";
  const tmp = join(mkdtempSync(join(tmpdir(), "fc-ws-artifact-")), "blob");
  writeFileSync(tmp, "b's diff");
  await server.app.blobs.put(artifact, tmp);
  await server.app.artifactStore.insertOnce({
    id: artifact,
    runId: run!.id,
    uploadId: "u1",
    name: "changes.diff",
    sizeBytes: 8,
    sha256: "0".repeat(64),
    contentType: "text/plain",
    kind: "file",
    createdAt: Date.now(),
  });
  b = {
    workspace: bId,
    job: job!.id,
    run: run!.id,
    credential: credential!.id,
    schedule: schedule!.id,
    skill: skill!.id,
    worker,
    apiKey: apiKey!.id,
    artifact,
    person: person!.id,
  };
}, 60_000);
afterAll(async () => {
  await server?.cleanup();
  await idp?.close();
});

describe.each(CALLERS)("%s asking for workspace B's objects", (who) => {
  it("has a case for every RPC of every flightcontrol.v1 service", () => {
    const table = cases({} as B);
    const missing = services
      .flatMap((s) => s.methods)
      .map(rpc)
      .filter((p) => !(p in table));
    expect(missing, "add these RPCs to the cross-workspace table").toEqual([]);
  });

  for (const service of services) {
    for (const m of service.methods) {
      it(`${rpc(m)}: NotFound, or nothing of B (PermissionDenied if instance-level), and the database unchanged`, async (ctx) => {
        const c = cases(b)[rpc(m)];
        if (!c || "skip" in c) return ctx.skip(c && "skip" in c ? c.skip : "no case");
        const before: DbSnapshot = await snapshotDb(server.app.sql);
        const outcome = await call(who, m, c.request);
        if (c.expect === "notFound") expect(typeof outcome === "number" ? Code[outcome] : "answered").toBe("NotFound");
        else if (c.expect === "permissionDenied") expect(typeof outcome === "number" ? Code[outcome] : "answered").toBe("PermissionDenied");
        else {
          expect(Array.isArray(outcome), `${rpc(m)} failed with ${Code[outcome as Code]}`).toBe(true);
          c.expect(outcome as unknown[]);
        }
        expect(await snapshotDb(server.app.sql)).toEqual(before);
      });
    }
  }

  it("SystemService/GetStats counts A's runs only", async () => {
    const stats = await createClient(SystemService, transports[who]).getStats({});
    // A's own queued runs (an earlier caller's test may have queued one), and B's queued run not among them.
    const { runs } = await createClient(RunService, transports[who]).listRuns({ pageSize: 100 });
    expect(stats.queueDepth).toBe(BigInt(runs.filter((r) => r.status === RunStatus.QUEUED).length));
  });

  it("RunService/WatchRuns does not show B's run changing", async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    let opened = false;
    const stream = createClient(RunService, transports[who]).watchRuns({}, { signal: ac.signal });
    const reading = (async () => {
      try {
        for await (const msg of stream) {
          // The first message, without a run, says the stream is open.
          opened = true;
          if (msg.run) seen.push(msg.run.id);
        }
      } catch {
        // aborted
      }
    })();
    await waitFor(async () => opened, { what: "A's WatchRuns to open" });
    // A change A can see after B's: once it arrives, B's (sent first) would have too.
    server.app.events.emit("runChanged", b.run, "queued");
    const { run: own } = await createClient(RunService, transports[who]).createRun({
      spec: { prompt: "echo a", agent: "shell", requiredLabels: { pool: "nowhere" } },
    });
    await waitFor(async () => seen.includes(own!.id), { what: "A's own run in its watch" });
    ac.abort();
    await reading;
    expect(seen).not.toContain(b.run);
  });
});

describe("names", () => {
  it("names are unique per workspace: A may use the names B uses", async () => {
    await client(CredentialService, server.url, keyA).createCredential({ name: "shared-name", env: { TOKEN: "a" } });
    await client(JobService, server.url, keyA).createJob({ name: "shared-name", spec: { prompt: "echo a", agent: "shell" } });
  });
});
