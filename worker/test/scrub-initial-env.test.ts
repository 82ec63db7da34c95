import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { valueRanges } from "../src/scrub-initial-env";

const SRC = fileURLToPath(new URL("../src", import.meta.url));
const KEY = "fc_environ_test_SECRET_0123456789abcdef";

const kills: Array<() => void> = [];
afterEach(() => {
  for (const k of kills.splice(0)) k();
});

/**
 * A stand-in worker: loads the config as main.ts does, scrubs, reports what it holds, then stays
 * alive so its /proc/<pid>/environ can be read from outside, as an agent would.
 */
async function scrubbedChild(env: Record<string, string>) {
  const script = `
    const { loadWorkerConfig, SECRET_ENV } = await import(${JSON.stringify(`${SRC}/config.ts`)});
    const { scrubInitialEnv } = await import(${JSON.stringify(`${SRC}/scrub-initial-env.ts`)});
    const config = loadWorkerConfig();
    const scrubbed = scrubInitialEnv(SECRET_ENV);
    console.log(JSON.stringify({ apiKey: config.apiKey, scrubbed, inProcessEnv: process.env.ORCH_API_KEY ?? null }));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  kills.push(() => child.kill("SIGKILL"));
  const [line] = await createInterface({ input: child.stdout! })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value as string]);
  return { pid: child.pid!, report: JSON.parse(line!) as { apiKey: string; scrubbed: string[]; inProcessEnv: string | null } };
}

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`).toString("utf8").split("\0");

describe("scrubbing the API key from the initial environment", () => {
  it.skipIf(process.platform !== "linux")("leaves /proc/<pid>/environ without the key while the config keeps it", async () => {
    // Neighbours on both sides, and a variable whose name ends in the secret's name, must be left alone.
    const { pid, report } = await scrubbedChild({ BEFORE: "kept-1", ORCH_API_KEY: KEY, MY_ORCH_API_KEY: "not-a-secret", AFTER: "kept-2" });
    expect(report).toEqual({ apiKey: KEY, scrubbed: ["ORCH_API_KEY"], inProcessEnv: null });
    const environ = environOf(pid);
    expect(environ.join("\n")).not.toContain(KEY);
    expect(environ).toContain(`ORCH_API_KEY=${"*".repeat(KEY.length)}`);
    expect(environ).toEqual(expect.arrayContaining(["BEFORE=kept-1", "MY_ORCH_API_KEY=not-a-secret", "AFTER=kept-2"]));
  });
});

describe("valueRanges", () => {
  const block = (...entries: string[]) => Buffer.from(`${entries.join("\0")}\0`);

  it("finds a value at the start of an entry only", () => {
    const b = block("A=1", "XORCH_API_KEY=no", "ORCH_API_KEY=secret", "B=ORCH_API_KEY=no");
    expect(valueRanges(b, "ORCH_API_KEY").map(([f, t]) => b.subarray(f, t).toString())).toEqual(["secret"]);
  });

  it("finds the first entry, a last entry without a trailing NUL, and skips empty values", () => {
    const b = Buffer.from("ORCH_API_KEY=first\0ORCH_API_KEY=\0ORCH_API_KEY=last");
    expect(valueRanges(b, "ORCH_API_KEY").map(([f, t]) => b.subarray(f, t).toString())).toEqual(["first", "last"]);
  });
});
