/**
 * Connect unary calls with JSON over fetch, for test setup and checks the UI should not do; an
 * instance-admin key acts in the workspace `workspaceId` names (default without it).
 */
export async function rpc<T = Record<string, unknown>>(
  url: string,
  key: string,
  method: string,
  body: unknown = {},
  workspaceId?: string,
): Promise<T> {
  const res = await fetch(`${url}/flightcontrol.v1.${method}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...(workspaceId ? { "x-workspace-id": workspaceId } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T & { code?: string; message?: string };
  if (!res.ok) throw new Error(`${method}: ${json.code} ${json.message}`);
  return json;
}

export interface RunJson {
  id: string;
  status: string;
  lastSeq?: string;
  workerName?: string;
}

export async function createShellRun(url: string, key: string, command: string, extra: Record<string, unknown> = {}): Promise<RunJson> {
  const { run } = await rpc<{ run: RunJson }>(url, key, "RunService/CreateRun", { spec: { agent: "shell", prompt: command, ...extra } });
  return run;
}

/** What seedWorkspace made: the workspace, its job, and a run of that job (queued: no worker serves it). */
export interface SeededWorkspace {
  id: string;
  name: string;
  jobId: string;
  runId: string;
}

/** A workspace with one job (`<name>-job`, a shell echo) and one run of it, made with an instance-admin key. */
export async function seedWorkspace(url: string, adminKey: string, name: string): Promise<SeededWorkspace> {
  const { workspace } = await rpc<{ workspace: { id: string } }>(url, adminKey, "WorkspaceService/CreateWorkspace", { name });
  const { job } = await rpc<{ job: { id: string } }>(
    url,
    adminKey,
    "JobService/CreateJob",
    { name: `${name}-job`, spec: { agent: "shell", prompt: `echo ${name}` } },
    workspace.id,
  );
  const { run } = await rpc<{ run: { id: string } }>(url, adminKey, "JobService/TriggerJob", { id: job.id }, workspace.id);
  return { id: workspace.id, name, jobId: job.id, runId: run.id };
}
