import { selfSignedCert } from "../../../testkit/self-signed-cert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { bearer } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const dir = mkdtempSync(join(tmpdir(), "fc-tls-"));
const { cert, key } = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
let server: TestServer;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  selfSignedCert(dir);
  server = await startTestServer({ tlsCert: cert, tlsKey: key });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const ca = () => readFileSync(cert);

describe("TLS", () => {
  it("serves https on the one port: gRPC over HTTP/2 and Connect over HTTP/1.1, trusting only the given certificate", async () => {
    expect(server.url.startsWith("https://")).toBe(true);
    const grpc = createClient(
      SystemService,
      createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(ADMIN_KEY)], nodeOptions: { ca: ca() } }),
    );
    expect((await grpc.getInfo({})).database).toBe("sqlite");
    const h1 = createClient(
      SystemService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(ADMIN_KEY)], nodeOptions: { ca: ca() } }),
    );
    expect((await h1.getInfo({})).database).toBe("sqlite");
    // Without the certificate the client refuses the server, so the connection really is TLS.
    const untrusted = createClient(
      SystemService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(ADMIN_KEY)] }),
    );
    await expect(untrusted.getInfo({})).rejects.toThrow(/certificate/i);
  });

  it("answers the probes over https", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${server.url}/healthz`, { ca: ca() }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on("error", reject);
    });
    expect(status).toBe(200);
  });

  it("a worker connects over TLS and runs a job", async () => {
    worker = startWorker(server.url, { name: "tls-worker", capacity: 1, env: { NODE_EXTRA_CA_CERTS: cert } });
    const runs = createClient(RunService, createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(ADMIN_KEY)], nodeOptions: { ca: ca() } }));
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "echo over-tls" } });
    const done = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: run!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "the run over TLS to finish" },
    );
    expect(done.status, worker.output()).toBe(RunStatus.SUCCEEDED);
  });
});
