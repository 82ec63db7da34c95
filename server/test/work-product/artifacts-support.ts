import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { waitFor } from "../../../testkit/wait-for";

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Waits for a run to end and returns it. */
export async function finished(url: string, id: string, timeoutMs?: number): Promise<Run> {
  const runs = client(RunService, url, ADMIN_KEY);
  return waitFor(
    async () => {
      const r = (await runs.getRun({ id })).run!;
      return r.finishTime ? r : undefined;
    },
    { what: `run ${id} to finish`, timeoutMs },
  );
}

export const succeeded = (r: Run) => r.status === RunStatus.SUCCEEDED;

/** The run's log lines as one text. */
export async function logText(url: string, runId: string): Promise<string> {
  const { items } = await client(RunService, url, ADMIN_KEY).listRunLogs({ runId });
  return items.map((i) => (i.payload.case === "log" ? i.payload.value.text : "")).join("\n");
}

/** Blob files the filesystem store holds under <data dir>/artifacts (not uploads in progress). */
export function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, "artifacts");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d !== "incoming")
    .flatMap((d) => readdirSync(join(root, d)));
}

/** Uploads in progress (temp files) on the server. */
export function incomingFiles(dataDir: string): string[] {
  const dir = join(dataDir, "artifacts", "incoming");
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Reads a whole server stream of DownloadArtifact chunks. */
export async function collectChunks(stream: AsyncIterable<{ chunk: Uint8Array }>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const m of stream) parts.push(Buffer.from(m.chunk));
  return Buffer.concat(parts);
}
