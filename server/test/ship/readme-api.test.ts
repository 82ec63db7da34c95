import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedServices } from "../../src/app";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { REPO } from "../../../testkit/paths";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const run = promisify(execFile);
let server: TestServer;
let worker: WorkerProcess;

/** The README's command-line examples, each a ```sh block after an `<!-- api-example: … -->` marker. */
function examples(): Array<{ name: string; script: string }> {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  return [...readme.matchAll(/<!-- api-example: (.+?) -->\s*```sh\n([\s\S]*?)```/g)].map((m) => ({ name: m[1], script: m[2] }));
}

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "readme-1" });
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, { what: "worker" });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

describe("README API examples", () => {
  it("run as written against a real server and worker", async () => {
    const blocks = examples();
    expect(blocks.map((b) => b.name)).toEqual([
      "create a credential",
      "create a job and trigger it",
      "follow a run's logs live",
      "list workers",
      "cancel a run",
    ]);
    // One shell session, as a reader would type them: later examples use variables set by earlier ones.
    const script = ["set -euo pipefail", ...blocks.map((b) => `echo "### ${b.name}"\n${b.script}`)].join("\n");
    const { stdout } = await run("bash", ["-c", script], {
      cwd: REPO,
      env: { ...process.env, FC: server.url, KEY: ADMIN_KEY },
      timeout: 120_000,
      maxBuffer: 10 << 20,
    });
    const section = (name: string) => stdout.split(`### ${name}\n`)[1].split("### ")[0];
    expect(section("create a credential")).toContain('"envNames"');
    expect(section("create a credential")).not.toContain("sk-example");
    expect(section("create a job and trigger it").trim()).toBe("RUN_STATUS_QUEUED");
    expect(section("follow a run's logs live")).toMatch(/hello from \S+[\s\S]*hello from \S+/);
    expect(section("list workers")).toContain("readme-1\nreadme-1 WORKER_STATE_ONLINE");
    expect(section("cancel a run").trim().split("\n").pop()).toBe("RUN_STATUS_CANCELLED");
  });

  it("buf curl lists every served service through reflection, with no schema and no key", async () => {
    const { stdout } = await run(join(REPO, "node_modules/.bin/buf"), ["curl", "--http2-prior-knowledge", "--list-services", server.url], {
      cwd: REPO,
    });
    expect(stdout.trim().split("\n").sort()).toEqual(servedServices.map((svc) => svc.typeName).sort());
    expect(servedServices.length).toBeGreaterThanOrEqual(8);
  });
});
