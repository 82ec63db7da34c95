/**
 * JobSpec.network: "full" or "none" (empty means "full"); anything else is refused at the API with a
 * message naming the field, and a job keeps the value it was given (the worker's sandbox reads it).
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { rejection } from "../../../testkit/rejection";
import { startTestServer, type TestServer } from "../../../testkit/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

// No worker has this label: runs stay queued, so only the contract is under test here.
const spec = (network: string) => ({ agent: "shell", prompt: "true", network, requiredLabels: { pool: "nowhere" } });

describe("JobSpec.network", () => {
  it('accepts "", "full" and "none", and keeps them', async () => {
    const jobs = client(JobService, server.url, ADMIN_KEY);
    for (const network of ["", "full", "none"]) {
      const { job } = await jobs.createJob({ name: `net-${network || "default"}`, spec: spec(network) });
      expect((await jobs.getJob({ id: job!.id })).job!.spec!.network).toBe(network);
    }
  });

  it("refuses any other value, naming the field", async () => {
    const err = await rejection(client(RunService, server.url, ADMIN_KEY).createRun({ spec: spec("offline") }));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.message).toContain("network");
  });
});
