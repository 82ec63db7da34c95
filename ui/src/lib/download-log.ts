import { createClient, type Transport } from "@connectrpc/connect";
import { RunService } from "../gen/flightcontrol/v1/run_pb";
import { entryToText, outputToEntries } from "./run-output";
import { saveBlob } from "./save-file";

/** Reads every stored output page of a run through ListRunLogs and returns it as text. */
export async function fetchRunLogText(
  transport: Transport,
  runId: string,
  signal?: AbortSignal,
  onProgress?: (lines: number) => void,
): Promise<string> {
  const client = createClient(RunService, transport);
  const chunks: string[] = [];
  let after = 0n;
  let lines = 0;
  for (;;) {
    const page = await client.listRunLogs({ runId, afterSeq: after, pageSize: 10_000 }, { signal });
    for (const item of page.items) {
      for (const e of outputToEntries(item)) {
        chunks.push(entryToText(e));
        lines++;
      }
    }
    onProgress?.(lines);
    // Guard against a server that reports no progress, which would otherwise loop forever.
    if (page.end || page.items.length === 0 || page.nextAfterSeq <= after) break;
    after = page.nextAfterSeq;
  }
  return chunks.length ? `${chunks.join("\n")}\n` : "";
}

export function saveText(filename: string, text: string): void {
  saveBlob(filename, new Blob([text], { type: "text/plain;charset=utf-8" }));
}
