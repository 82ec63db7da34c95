import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedServices } from "../../src/app";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { REPO } from "../../../testkit/paths";
import { BUF } from "./helpers";

const exec = promisify(execFile);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

/** `buf curl …` from the repository root; resolves with stdout, or rejects with the exit code and stderr. */
async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await exec(BUF, ["curl", ...args], { cwd: REPO, timeout: 30_000, maxBuffer: 8 << 20 });
  return stdout;
}
const auth = (key = ADMIN_KEY) => ["-H", `Authorization: Bearer ${key}`];
const url = (method: string) => `${server.url}/flightcontrol.v1.${method}`;
const H2 = ["--protocol", "grpc", "--http2-prior-knowledge"];

/** buf curl prints one JSON document per response message. */
const documents = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .split(/\n(?=\{)/)
    .filter((s) => s.trim())
    .map((s) => JSON.parse(s));

describe("buf curl with --schema proto", () => {
  it("speaks the Connect protocol over HTTP/1.1", async () => {
    const out = await bufCurl([
      "--schema",
      "proto",
      ...auth(),
      "-d",
      JSON.stringify({ name: "buf curl job", spec: { prompt: "hi", agent: "shell" } }),
      url("JobService/CreateJob"),
    ]);
    const { job } = JSON.parse(out);
    expect(job).toMatchObject({ name: "buf curl job", spec: { prompt: "hi", agent: "shell" } });
    const got = JSON.parse(await bufCurl(["--schema", "proto", ...auth(), "-d", JSON.stringify({ id: job.id }), url("JobService/GetJob")]));
    expect(got.job.id).toBe(job.id);
  });

  it("speaks gRPC over h2c, unary and server streaming", async () => {
    const { run } = JSON.parse(
      await bufCurl([
        "--schema",
        "proto",
        ...H2,
        ...auth(),
        "-d",
        JSON.stringify({ spec: { prompt: "stream me", agent: "shell", requiredLabels: { pool: "nowhere" } } }),
        url("RunService/CreateRun"),
      ]),
    );
    expect(run.status).toBe("RUN_STATUS_QUEUED");
    await bufCurl(["--schema", "proto", ...H2, ...auth(), "-d", JSON.stringify({ id: run.id }), url("RunService/CancelRun")]);
    // WatchRun on an ended run sends its state and closes the stream.
    const messages = documents(
      await bufCurl(["--schema", "proto", ...H2, ...auth(), "-d", JSON.stringify({ runId: run.id }), url("RunService/WatchRun")]),
    );
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages[0].run).toMatchObject({ id: run.id, status: "RUN_STATUS_CANCELLED" });
  });

  it("shows the status code of a refused call and exits non-zero", async () => {
    const err = await bufCurl(["--schema", "proto", ...H2, "-d", "{}", url("ApiKeyService/WhoAmI")]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(typeof err).toBe("object");
    const { code, stderr } = err as { code: number; stderr: string };
    expect(code).not.toBe(0);
    expect(stderr).toContain("unauthenticated");
  });
});

describe("buf curl through server reflection (no schema)", () => {
  it("--list-services lists every service the server serves", async () => {
    for (const protocol of [H2, ["--protocol", "connect"]]) {
      const listed = (await bufCurl([...protocol, "--list-services", server.url])).trim().split("\n").sort();
      expect(listed).toEqual(servedServices.map((s) => s.typeName).sort());
    }
    expect(servedServices.map((s) => s.typeName)).toEqual(
      expect.arrayContaining([
        "flightcontrol.v1.JobService",
        "flightcontrol.v1.RunService",
        "flightcontrol.v1.CredentialService",
        "flightcontrol.v1.WorkerService",
        "flightcontrol.v1.ApiKeyService",
        "flightcontrol.v1.SystemService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
      ]),
    );
  });

  it("--list-methods lists every method of every served service", async () => {
    const methods = (await bufCurl([...H2, "--list-methods", server.url])).trim().split("\n").sort();
    expect(methods).toEqual(servedServices.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)).sort());
    expect(methods).toContain("flightcontrol.v1.WorkerService/Connect");
  });

  it("makes a reflected gRPC call", async () => {
    const out = await bufCurl(["--http2-prior-knowledge", "--protocol", "grpc", ...auth(), "-d", "{}", url("ApiKeyService/WhoAmI")]);
    expect(JSON.parse(out).apiKey).toMatchObject({ name: "bootstrap admin", role: "ROLE_ADMIN" });
  });

  // Reflection itself needs HTTP/2, so buf curl uses h2c here; the call speaks the Connect protocol.
  it("makes a reflected Connect-protocol call", async () => {
    const out = await bufCurl([...auth(), "-d", JSON.stringify({ query: "buf curl" }), url("JobService/ListJobs")]);
    expect(JSON.parse(out).jobs.map((j: { name: string }) => j.name)).toContain("buf curl job");
  });
});
