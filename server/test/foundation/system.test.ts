import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, spec } from "./helpers";

const version: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

let server: TestServer;
let before: number;
beforeAll(async () => {
  before = Date.now();
  server = await startTestServer();
  const runs = client(RunService, server.url, ADMIN_KEY);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await runs.createRun({ spec: spec() })).run!.id);
  await runs.cancelRun({ id: ids[0] });
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("SystemService over connect-node (%s)", (protocol) => {
  const system = () => client(SystemService, server.url, ADMIN_KEY, protocol);

  it("GetInfo reports the version, the database and the start time", async () => {
    const info = await system().getInfo({});
    expect(info.version).toBe(version);
    expect(info.database).toBe("sqlite");
    const started = Number(info.startTime!.seconds) * 1000;
    expect(started).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(started).toBeLessThanOrEqual(Date.now());
  });

  it("GetStats counts runs by status, the queue and the (empty) fleet", async () => {
    const stats = await system().getStats({});
    expect(stats.queueDepth).toBe(2n);
    const byStatus = Object.fromEntries(stats.runsByStatus.map((r) => [RunStatus[r.status], r.count]));
    expect(byStatus).toEqual({ QUEUED: 2n, CANCELLED: 1n });
    expect(stats.workersOnline).toBe(0);
    expect(stats.workersDraining).toBe(0);
    expect(stats.slotsTotal).toBe(0);
    expect(stats.slotsUsed).toBe(0);
    expect(stats.lastHour).toMatchObject({ created: 3n, cancelled: 1n, succeeded: 0n, failed: 0n });
    expect(stats.lastDay).toMatchObject({ created: 3n, cancelled: 1n });
    expect(stats.throughputPerMinute).toBeCloseTo(1 / 5);
  });
});
