import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const SECRET = "sk-live-0123456789abcdef";
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
let server: TestServer;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "secrets-1" });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

describe("credentials in runs", () => {
  it("reach the agent's environment but never the server unmasked, even split across writes", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { credential } = await creds.createCredential({ name: "openai", env: { OPENAI_API_KEY: SECRET } });
    const half = SECRET.length / 2;
    const prompt = [
      'echo "direct: $OPENAI_API_KEY"',
      `printf '%s' "${SECRET.slice(0, half)}"; sleep 0.2; printf '%s\\n' "${SECRET.slice(half)}"`,
      'echo "api key: [$ORCH_API_KEY]"',
      'echo "length: ${#OPENAI_API_KEY}"',
    ].join("; ");
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt, credentialIds: [credential!.id] } });
    const done = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: run!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "run" },
    );
    expect(done.status).toBe(RunStatus.SUCCEEDED);
    const { items } = await runs.listRunLogs({ runId: run!.id });
    const text = items.map((i) => (i.payload.case === "log" ? i.payload.value.text : "")).join("\n");
    expect(text).toContain("direct: ***");
    expect(text).toContain(`length: ${SECRET.length}`);
    expect(text).toContain("api key: []");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice(0, half) + SECRET.slice(half));
    // Nothing the server stored or returns holds the value.
    const raw = await server.app.sql.all<{ text: string }>("SELECT text FROM job_logs");
    expect(JSON.stringify(raw)).not.toContain(SECRET);
    expect(json(await runs.getRun({ id: run!.id }))).not.toContain(SECRET);
  });

  it("goose gets the provider key from the credential and its events are masked too", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { credential } = await creds.createCredential({ name: "openai-2", env: { OPENAI_API_KEY: SECRET } });
    const { run } = await runs.createRun({
      spec: { agent: "goose", prompt: "lines=1 print_env=OPENAI_API_KEY", provider: "openai", model: "gpt-4o", credentialIds: [credential!.id] },
    });
    await waitFor(async () => (await runs.getRun({ id: run!.id })).run!.finishTime, { what: "run" });
    const { items } = await runs.listRunLogs({ runId: run!.id });
    const all = json(items.map((i) => i.payload));
    expect(all).toContain("***");
    expect(all).not.toContain(SECRET);
  });
});
