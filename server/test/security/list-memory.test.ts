/**
 * Finding 4 of the outside test: a viewer could exhaust the server's heap by listing runs. 120 runs
 * whose specs were just under the 8 MiB message limit (MCP extension env values) made one
 * ListRuns(page_size=120) take 37 s and 3 GB; three at once killed the process.
 *
 * Against the server as its own process with a 512 MB heap (as a small container would give it):
 * specs near the old limit are refused with InvalidArgument naming the limit, and many runs with the
 * largest spec still allowed, listed concurrently by a viewer, keep the server's memory bounded and
 * its answers quick, with the server still up afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunSchema, RunService, RunView } from "../../src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { bearer } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { newKey } from "../foundation/helpers";
import { cloneQueuedRun, rssMiB } from "./support/load";

type SpecInit = MessageInitShape<typeof JobSpecSchema>;

/** The limit the contract states for a whole spec (spec.proto, JobSpec). */
const SPEC_LIMIT = 256 * 1024;
const RUNS = 400;
const CONCURRENT = 8;
const HEAP_MB = 512;

const dataDir = mkdtempSync(join(tmpdir(), "fc-list-memory-"));
let server: ServerProcess;
let viewerKey: string;

const clientFor = <S extends typeof RunService | typeof JobService>(service: S, key: string): Client<S> =>
  createClient(service, createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(key)] }));
const encoded = (s: SpecInit) => toBinary(JobSpecSchema, create(JobSpecSchema, s)).byteLength;
const nowhere = { requiredLabels: { pool: "nowhere" } };

/** MCP servers over stdio with `values` env values of `valueBytes` each, `perExtension` per server. */
function bulkyExtensions(values: number, valueBytes: number, perExtension: number): SpecInit["extensions"] {
  return Array.from({ length: Math.ceil(values / perExtension) }, (_, e) => ({
    name: `mcp-${e}`,
    transport: {
      case: "stdio" as const,
      value: {
        command: "mcp-server",
        env: Object.fromEntries(
          Array.from({ length: Math.min(perExtension, values - e * perExtension) }, (_, i) => [`VALUE_${i}`, "v".repeat(valueBytes)]),
        ),
      },
    },
  }));
}

/** The biggest spec the limit allows, give or take a few hundred bytes: full prompt, instructions and MCP env. */
function largestAllowedSpec(): SpecInit {
  const base: SpecInit = { agent: "shell", prompt: "p".repeat(128 * 1024), systemInstructions: "s".repeat(64 * 1024), ...nowhere };
  // Four env values fill what is left, less a little for their keys and framing.
  const room = SPEC_LIMIT - encoded(base) - 512;
  const spec = { ...base, extensions: bulkyExtensions(4, Math.floor(room / 4), 4) };
  expect(encoded(spec)).toBeLessThanOrEqual(SPEC_LIMIT);
  expect(encoded(spec)).toBeGreaterThan(SPEC_LIMIT - 1024);
  return spec;
}

async function expectInvalid(call: Promise<unknown>, ...mentions: string[]): Promise<void> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err, "the oversized spec was accepted").toBeInstanceOf(ConnectError);
  expect(Code[err!.code], err!.message).toBe("InvalidArgument");
  for (const m of mentions) expect(err!.rawMessage).toContain(m);
}

beforeAll(async () => {
  const port = await freePort();
  const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=${HEAP_MB}`.trim() };
  server = await startServerProcess(dataDir, port, env);
  viewerKey = (await newKey(server.url, Role.VIEWER, "curious viewer")).key;
  // One run through the API with the largest spec allowed, copied straight into the stopped
  // server's database: hundreds of runs in a second instead of hundreds of 256 KiB requests.
  const { run } = await clientFor(RunService, ADMIN_KEY).createRun({ spec: largestAllowedSpec() });
  await server.kill("SIGTERM");
  await cloneQueuedRun(join(dataDir, "flightcontrol.db"), run!.id, RUNS - 1);
  server = await startServerProcess(dataDir, port, env);
}, 120_000);
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("specs near the 8 MiB message limit", () => {
  it("are refused with InvalidArgument that names the limit, on every path that stores a spec", async () => {
    const runs = clientFor(RunService, ADMIN_KEY);
    const jobs = clientFor(JobService, ADMIN_KEY);
    // Valid field by field (16 extensions of 32 env values of 16 KB each) but 8 MB in all.
    const wholeTooBig: SpecInit = { agent: "shell", prompt: "p", extensions: bulkyExtensions(500, 16_000, 32), ...nowhere };
    expect(encoded(wholeTooBig)).toBeGreaterThan(30 * SPEC_LIMIT);
    // The shape of the original attack: env values just under the old 64 KiB per-value bound.
    const valuesTooBig: SpecInit = { agent: "shell", prompt: "p", extensions: bulkyExtensions(120, 65_000, 16), ...nowhere };
    const before = (await runs.listRuns({ pageSize: 500 })).runs.length;

    await expectInvalid(runs.createRun({ spec: wholeTooBig }), "spec", "262,144 bytes", "spec.extensions");
    await expectInvalid(runs.createRun({ spec: valuesTooBig }), "16384");
    await expectInvalid(jobs.createJob({ name: "too big", spec: wholeTooBig }), "spec", "262,144 bytes");
    const { job } = await jobs.createJob({ name: "small", spec: { agent: "shell", prompt: "p", ...nowhere } });
    await expectInvalid(jobs.updateJob({ id: job!.id, spec: wholeTooBig }), "spec", "262,144 bytes");
    // A prompt and instructions past their own bounds name those bounds.
    await expectInvalid(runs.createRun({ spec: { agent: "shell", prompt: "p".repeat(200_000) } }), "prompt", "131072");
    await expectInvalid(
      runs.createRun({ spec: { agent: "shell", prompt: "p", systemInstructions: "s".repeat(100_000) } }),
      "system_instructions",
      "65536",
    );

    expect((await runs.listRuns({ pageSize: 500 })).runs.length).toBe(before);
    expect((await jobs.getJob({ id: job!.id })).job!.spec!.prompt).toBe("p");
  });
});

describe(`${RUNS} runs with the largest spec allowed`, () => {
  it(`listed ${CONCURRENT} at a time by a viewer: memory bounded, answers quick, server up`, async () => {
    const runs = clientFor(RunService, viewerKey);
    const pid = server.child.pid!;
    // Warm up (first query plans, code paths), then the baseline.
    await runs.listRuns({ pageSize: 10 });
    const baseline = rssMiB(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      // A process that died (the failure this test guards against) has no VmRSS left to read.
      try {
        peak = Math.max(peak, rssMiB(pid));
      } catch {
        clearInterval(sampler);
      }
    }, 10);
    const latencies: number[] = [];
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const out = await call();
      latencies.push(performance.now() - t0);
      return out;
    };
    let listed: Array<{ runs: unknown[]; bytes: number }> = [];
    try {
      for (let round = 0; round < 3; round++) {
        listed = await Promise.all(
          Array.from({ length: CONCURRENT }, () =>
            timed(async () => {
              const page = await runs.listRuns({ pageSize: RUNS });
              return { runs: page.runs, bytes: page.runs.reduce((n, r) => n + toBinary(RunSchema, r).byteLength, 0) };
            }),
          ),
        );
      }
      // The full view is bounded by the page's byte limit, not by page_size.
      const full = await timed(() => runs.listRuns({ pageSize: RUNS, view: RunView.FULL }));
      expect(full.runs.length).toBeGreaterThan(0);
      expect(full.runs.length).toBeLessThan(RUNS);
      expect(full.nextPageToken).not.toBe("");
      expect(full.runs[0].spec!.prompt).toHaveLength(128 * 1024);
    } finally {
      clearInterval(sampler);
    }
    const report =
      `${CONCURRENT}×3 ListRuns(page_size=${RUNS}) of runs with ${(encoded(largestAllowedSpec()) / 1024).toFixed(0)} KiB specs: ` +
      `RSS ${baseline.toFixed(0)} -> peak ${peak.toFixed(0)} MiB; calls ${latencies.map((l) => l.toFixed(0)).join(", ")} ms; ` +
      `page of ${listed[0]?.runs.length} runs, ${((listed[0]?.bytes ?? 0) / 1024).toFixed(0)} KiB`;
    console.info(report);

    expect(server.child.exitCode, `${report}\n${server.output()}`).toBeNull();
    expect((await fetch(`${server.url}/readyz`)).ok, report).toBe(true);
    // Basic pages carry every run (summaries are small), each about 1 KiB.
    for (const page of listed) {
      expect(page.runs.length, report).toBe(RUNS);
      expect(page.bytes / RUNS, report).toBeLessThan(2048);
    }
    expect(peak - baseline, report).toBeLessThan(150);
    expect(Math.max(...latencies), report).toBeLessThan(5_000);
  });
});
