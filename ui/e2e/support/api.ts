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
