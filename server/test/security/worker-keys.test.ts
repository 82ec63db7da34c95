/**
 * Finding 7 of the outside test: an admin key could open WorkerService.Connect and receive
 * decrypted credentials, and any worker key could claim any labels (and so attract runs meant for
 * other machines). Only worker keys may open a worker session, and a worker key bound to labels
 * (CreateApiKeyRequest.worker_labels) may present only those labels.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { assignOf, handWorker, hello, type HandWorker } from "../../../testkit/worker-session";
import { refused } from "../foundation/helpers";

let server: TestServer;
const open: HandWorker[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

const admin = () => client(ApiKeyService, server.url, ADMIN_KEY);
const runs = () => client(RunService, server.url, ADMIN_KEY);
const session = (key: string, name: string, labels: Record<string, string>) => {
  const w = handWorker(server.url, { case: "hello", value: hello(name, { labels }) }, key);
  open.push(w);
  return w;
};

describe("only worker keys open a worker session", () => {
  it("an admin key is refused with PermissionDenied before its Hello is read, and receives no Assign or credential", async () => {
    const cred = (
      await client(CredentialService, server.url, ADMIN_KEY).createCredential({ name: "admin-probe", env: { TOKEN: "s3cret-admin-probe" } })
    ).credential!;
    const run = (await runs().createRun({ spec: { agent: "shell", prompt: "echo", credentialIds: [cred.id], requiredLabels: { pool: "adm" } } }))
      .run!;
    const w = session(ADMIN_KEY, "admin-as-worker", { pool: "adm" });
    const err = await w.ended;
    expect(Code[err!.code], err!.message).toBe("PermissionDenied");
    expect(err!.rawMessage).toMatch(/admin role may not call flightcontrol\.v1\.WorkerService\/Connect/);
    expect(w.received).toEqual([]);
    expect((await runs().getRun({ id: run.id })).run?.workerName).toBe("");
  });
});

describe("a worker key bound to labels", () => {
  it("is created with its labels, shown on the key; only worker keys may have them", async () => {
    const { apiKey } = await admin().createApiKey({ name: "gpu box", role: Role.WORKER, workerLabels: { pool: "gpu", zone: "eu" } });
    expect(apiKey?.workerLabels).toEqual({ pool: "gpu", zone: "eu" });
    const listed = (await admin().listApiKeys({})).apiKeys.find((k) => k.id === apiKey!.id);
    expect(listed?.workerLabels).toEqual({ pool: "gpu", zone: "eu" });
    const err = await refused(admin().createApiKey({ name: "bound admin", role: Role.ADMIN, workerLabels: { pool: "gpu" } }), Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/worker_labels.*worker key/);
    await refused(admin().createApiKey({ name: "bad label", role: Role.WORKER, workerLabels: { "bad key!": "x" } }), Code.InvalidArgument);
  });

  it("refuses a Hello with a label outside its binding, or another value, with PermissionDenied naming the label", async () => {
    const { key } = await admin().createApiKey({ name: "cpu box", role: Role.WORKER, workerLabels: { pool: "cpu" } });
    // A run meant for another machine: a leaked cpu key must not attract it.
    const gpuRun = (await runs().createRun({ spec: { agent: "shell", prompt: "gpu only", requiredLabels: { pool: "gpu" } } })).run!;

    const otherValue = session(key, "cpu-claims-gpu", { pool: "gpu" });
    const e1 = await otherValue.ended;
    expect(Code[e1!.code], e1!.message).toBe("PermissionDenied");
    expect(e1!.rawMessage).toContain('"pool=gpu"');
    expect(e1!.rawMessage).toContain("pool=cpu");

    const extra = session(key, "cpu-claims-more", { pool: "cpu", tier: "prod" });
    const e2 = await extra.ended;
    expect(Code[e2!.code], e2!.message).toBe("PermissionDenied");
    expect(e2!.rawMessage).toContain('"tier"');
    for (const w of [otherValue, extra]) expect(w.received).toEqual([]);
    expect((await runs().getRun({ id: gpuRun.id })).run?.workerName).toBe("");
  });

  it("accepts its labels, or fewer, and gets the runs they match", async () => {
    const { key } = await admin().createApiKey({ name: "arm box", role: Role.WORKER, workerLabels: { pool: "arm", zone: "us" } });
    const exact = session(key, "arm-exact", { pool: "arm", zone: "us" });
    await exact.workerId();
    const fewer = session(key, "arm-fewer", { zone: "us" });
    await fewer.workerId();
    const run = (await runs().createRun({ spec: { agent: "shell", prompt: "arm", requiredLabels: { pool: "arm" } } })).run!;
    await assignOf(exact, run.id);
  });

  it("an unbound worker key still presents any labels", async () => {
    const { key } = await admin().createApiKey({ name: "unbound", role: Role.WORKER });
    await session(key, "unbound-any", { pool: "anything", zone: "x" }).workerId();
  });
});
