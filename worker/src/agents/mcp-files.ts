import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";

/**
 * MCP env and header values arrive in the Assign already resolved (credential references filled
 * in, literals decrypted): they are secrets. They reach the agent through its environment or a
 * file only its user can read, never its command line, which every local user can read in
 * /proc/<pid>/cmdline.
 */

/** Writes a file only the worker's user can read; the run's directory is removed after the run. */
export async function writePrivateFile(path: string, content: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

/**
 * Every MCP env and header value of the spec, to be masked in the run's output like credential
 * values. A header such as "Bearer <token>" is masked whole and word by word, so the token alone
 * is masked too (short words like "Bearer" are not: they would shred ordinary output).
 */
export function mcpSecretValues(spec: JobSpec): string[] {
  const values: string[] = [];
  for (const ext of spec.extensions) {
    const t = ext.transport;
    const map = t.case === "stdio" ? t.value.env : t.case === "streamableHttp" ? t.value.headers : {};
    for (const value of Object.values(map)) {
      values.push(value);
      for (const word of value.split(/\s+/)) if (word.length >= 8 && word !== value) values.push(word);
    }
  }
  return values;
}
