import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/gen/grpc/health/v1/health_pb";
import { client } from "../../../testkit/clients";
import { startTestServer, type TestServer } from "../../../testkit/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.cleanup());

describe("grpc.health.v1", () => {
  it("is SERVING with no key while the database and scheduler work, and NOT_SERVING when the scheduler stops", async () => {
    const health = client(Health, server.url, undefined, "grpc");
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await health.check({ service: "flightcontrol.v1.RunService" })).status).toBe(Status.SERVING);
    await expect(health.check({ service: "no.such.Service" })).rejects.toThrow(/unknown service/);
    await server.app.scheduler.stop();
    expect((await health.check({})).status).toBe(Status.NOT_SERVING);
    server.app.scheduler.start();
    expect((await health.check({})).status).toBe(Status.SERVING);
  });

  it("serves /healthz and /readyz over plain HTTP", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: "ready" });
  });
});
