import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "ok";
  } catch (err) {
    return Code[ConnectError.from(err).code];
  }
};
/** Calls with the x-workspace-id header naming `id`. */
const inWorkspace = (id: string) => ({ headers: { "x-workspace-id": id } });

describe("WorkspaceService", () => {
  it("an instance-admin key creates, lists, renames and deletes workspaces; default cannot be deleted", async () => {
    const ws = client(WorkspaceService, server.url, ADMIN_KEY);
    const { workspace } = await ws.createWorkspace({ name: "ops" });
    expect(workspace?.name).toBe("ops");
    expect(await codeOf(ws.createWorkspace({ name: "ops" }))).toBe("AlreadyExists");
    expect((await ws.listWorkspaces({})).workspaces.map((w) => w.name)).toEqual(expect.arrayContaining(["default", "ops"]));
    expect((await ws.updateWorkspace({ id: workspace!.id, name: "operations" })).workspace?.name).toBe("operations");
    expect((await ws.getWorkspace({ id: workspace!.id })).workspace?.name).toBe("operations");
    await ws.deleteWorkspace({ id: workspace!.id });
    expect(await codeOf(ws.getWorkspace({ id: workspace!.id }))).toBe("NotFound");
    expect(await codeOf(ws.deleteWorkspace({ id: DEFAULT_WORKSPACE_ID, cascade: true }))).toBe("FailedPrecondition");
  });

  it("a workspace-bound admin key sees its own workspace only and may not create or delete workspaces", async () => {
    const ws = client(WorkspaceService, server.url, ADMIN_KEY);
    const own = (await ws.createWorkspace({ name: "bound-own" })).workspace!;
    const { key } = await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({ name: "bound admin", role: Role.ADMIN, workspaceId: own.id });
    const bound = client(WorkspaceService, server.url, key);
    expect((await bound.listWorkspaces({})).workspaces.map((w) => w.id)).toEqual([own.id]);
    expect(await codeOf(bound.createWorkspace({ name: "mine-too" }))).toBe("PermissionDenied");
    expect(await codeOf(bound.deleteWorkspace({ id: own.id }))).toBe("PermissionDenied");
    expect(await codeOf(bound.getWorkspace({ id: DEFAULT_WORKSPACE_ID }))).toBe("NotFound");
    // A bound key needs no header; naming its own is fine, another one is NotFound.
    const jobs = client(JobService, server.url, key);
    await jobs.listJobs({}, inWorkspace(own.id));
    expect(await codeOf(jobs.listJobs({}, inWorkspace(DEFAULT_WORKSPACE_ID)))).toBe("NotFound");
  });

  it("an instance-admin key acts in the workspace its header names, in default without one", async () => {
    const ws = client(WorkspaceService, server.url, ADMIN_KEY);
    const other = (await ws.createWorkspace({ name: "header-target" })).workspace!;
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const { job } = await jobs.createJob({ name: "in-other", spec: { prompt: "p", agent: "shell" } }, inWorkspace(other.id));
    expect(await codeOf(jobs.getJob({ id: job!.id }))).toBe("NotFound");
    expect((await jobs.getJob({ id: job!.id }, inWorkspace(other.id))).job?.name).toBe("in-other");
    expect(await codeOf(jobs.listJobs({}, inWorkspace("0190cccc-0000-7000-8000-00000000dead")))).toBe("NotFound");
    // A key made in that workspace acts there without the header.
    const { key } = await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey(
      { name: "other viewer", role: Role.VIEWER },
      inWorkspace(other.id),
    );
    expect((await client(JobService, server.url, key).getJob({ id: job!.id })).job?.name).toBe("in-other");
  });

  it("refuses to delete a workspace that holds anything unless cascade, which removes it all and revokes its keys", async () => {
    const ws = client(WorkspaceService, server.url, ADMIN_KEY);
    const doomed = (await ws.createWorkspace({ name: "doomed" })).workspace!;
    const { key } = await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({
      name: "doomed op",
      role: Role.OPERATOR,
      workspaceId: doomed.id,
    });
    await client(JobService, server.url, key).createJob({ name: "j", spec: { prompt: "p", agent: "shell" } });
    const { run } = await client(RunService, server.url, key).createRun({ spec: { prompt: "p", agent: "shell", requiredLabels: { pool: "none" } } });
    const refused = await ws.deleteWorkspace({ id: doomed.id }).catch((e: unknown) => ConnectError.from(e));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((refused as ConnectError).rawMessage).toMatch(/1 jobs, 1 runs, 1 active api keys.*cascade/);
    await ws.deleteWorkspace({ id: doomed.id, cascade: true });
    expect(await server.app.runs.get(run!.id)).toBeNull();
    expect(await server.app.db.dataSource.query("SELECT COUNT(*) AS n FROM job_definitions WHERE workspace_id = ?", [doomed.id])).toEqual([{ n: 0 }]);
    expect(await codeOf(client(JobService, server.url, key).listJobs({}))).toBe("Unauthenticated");
  });

  it("members: add, list, change role, remove; only admin, operator and viewer roles", async () => {
    const ws = client(WorkspaceService, server.url, ADMIN_KEY);
    const team = (await ws.createWorkspace({ name: "with-members" })).workspace!;
    await ws.addMember({ workspaceId: team.id, email: "Ada@Example.com", role: Role.OPERATOR });
    expect(await codeOf(ws.addMember({ workspaceId: team.id, email: "ada@example.com", role: Role.VIEWER }))).toBe("AlreadyExists");
    expect(await codeOf(ws.addMember({ workspaceId: team.id, email: "bob@example.com", role: Role.WORKER }))).toBe("InvalidArgument");
    await ws.updateMember({ workspaceId: team.id, email: "ada@example.com", role: Role.ADMIN });
    const { members } = await ws.listMembers({ workspaceId: team.id });
    expect(members.map((m) => [m.email, Role[m.role]])).toEqual([["ada@example.com", "ADMIN"]]);
    await ws.removeMember({ workspaceId: team.id, email: "ada@example.com" });
    expect((await ws.listMembers({ workspaceId: team.id })).members).toEqual([]);
    expect(await codeOf(ws.removeMember({ workspaceId: team.id, email: "ada@example.com" }))).toBe("NotFound");
  });
});
