import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

/** The fields these tests read from a Connect JSON body: a response message's, or an error's (code, message). */
interface JsonBody {
  job: { id: string; createTime: string };
  run: { id: string; spec: { timeoutSeconds: number } };
  runs: Array<{ id: string }>;
  code: string;
  message: string;
}

/** What `curl -H 'content-type: application/json' -d '{…}' $URL/pkg.Service/Method` does. */
async function post(path: string, body: unknown, key: string | null = ADMIN_KEY) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${server.url}/${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), json: JSON.parse(text) as JsonBody };
}

describe("plain HTTP/1.1 JSON (Connect protocol, curl style)", () => {
  it("creates, reads and triggers a job", async () => {
    const created = await post("flightcontrol.v1.JobService/CreateJob", {
      name: "curl job",
      spec: { prompt: "from curl", agent: "shell", requiredLabels: { pool: "nowhere" }, timeoutSeconds: 30 },
    });
    expect(created.status).toBe(200);
    expect(created.type).toMatch(/^application\/json/);
    const job = created.json.job;
    expect(job).toMatchObject({ name: "curl job", spec: { prompt: "from curl", agent: "shell", timeoutSeconds: 30 } });
    expect(job.createTime).toMatch(/^\d{4}-\d\d-\d\dT/);

    const got = await post("flightcontrol.v1.JobService/GetJob", { id: job.id });
    expect(got.json.job).toEqual(job);

    const triggered = await post("flightcontrol.v1.JobService/TriggerJob", { id: job.id, labels: { via: "curl" } });
    expect(triggered.json.run).toMatchObject({ jobId: job.id, status: "RUN_STATUS_QUEUED", trigger: "TRIGGER_KIND_MANUAL", labels: { via: "curl" } });

    const listed = await post("flightcontrol.v1.RunService/ListRuns", { jobId: job.id, statuses: ["RUN_STATUS_QUEUED"] });
    expect(listed.json.runs.map((r: { id: string }) => r.id)).toEqual([triggered.json.run.id]);
  });

  it("accepts the proto field names as well as the JSON names", async () => {
    const created = await post("flightcontrol.v1.RunService/CreateRun", { spec: { prompt: "snake", agent: "shell", timeout_seconds: 9 } });
    expect(created.status).toBe(200);
    expect(created.json.run.spec.timeoutSeconds).toBe(9);
  });

  it("reports errors as Connect JSON with the right HTTP status", async () => {
    const anonymous = await post("flightcontrol.v1.ApiKeyService/WhoAmI", {}, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.code).toBe("unauthenticated");

    const invalid = await post("flightcontrol.v1.JobService/CreateJob", { name: "bad", spec: { prompt: "", agent: "shell" } });
    expect(invalid.status).toBe(400);
    expect(invalid.json.code).toBe("invalid_argument");
    expect(invalid.json.message).toContain("spec.prompt");
    expect(JSON.stringify(invalid.json)).not.toMatch(/\bat .+\.ts:\d+/); // no stack trace

    const missing = await post("flightcontrol.v1.JobService/GetJob", { id: "01890000-0000-7000-8000-000000000000" });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe("not_found");

    const malformed = await fetch(`${server.url}/flightcontrol.v1.JobService/ListJobs`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { code: string }).code).toBe("invalid_argument");
  });
});
