import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { Masker } from "../masking";
import type { AgentSessions, SessionPlace } from "./sessions";

/**
 * An agent session as a tar, the form it travels in as the hidden ARTIFACT_KIND_SESSION artifact.
 * Packed with the system's tar (GNU or bsdtar, spawned without a shell, like git): no npm tar
 * package is installed here, and a hand-written one is not worth the risk.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Credential values out of a session file. A text file (Claude's and Codex's JSONL) goes through
 * the run's masker, as its log lines do (JSON-escaped forms included). A binary one (Goose's SQLite
 * sessions.db) cannot be rewritten at will: each raw value is overwritten in place by as many "*"
 * bytes, which keeps every length SQLite recorded, so the database stays readable.
 */
export function maskSessionFile(bytes: Buffer, mask: Masker, secrets: string[]): Buffer {
  if (isText(bytes)) return Buffer.from(mask(bytes.toString("utf8")), "utf8");
  const out = Buffer.from(bytes);
  for (const secret of secrets) {
    const raw = Buffer.from(secret, "utf8");
    if (raw.length < 3) continue;
    for (let at = out.indexOf(raw); at !== -1; at = out.indexOf(raw, at + raw.length)) out.fill("*", at, at + raw.length);
  }
  return out;
}

function tar(args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", args, { stdio: ["ignore", "pipe", "pipe"], signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`cannot run tar: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new Error(`tar ${args[0]} failed: ${Buffer.concat(err).toString("utf8").trim().split("\n").at(-1) || `exit code ${code}`}`));
    });
  });
}

export interface PackOptions {
  sessions: AgentSessions;
  place: SessionPlace;
  sessionId: string;
  /** A private scratch folder (created, and removed afterwards). */
  scratch: string;
  /** The tar goes here. */
  dest: string;
  mask: Masker;
  secrets: string[];
  signal?: AbortSignal;
}

/**
 * Packs the agent's session files, masked, into `dest`. Returns false when the agent left none.
 * A run-owned session folder (Claude's project folder of the run's cwd) is removed afterwards.
 */
export async function packSession(opts: PackOptions): Promise<boolean> {
  const dir = await opts.sessions.dir(opts.place);
  const files = await opts.sessions.files(opts.place, opts.sessionId);
  try {
    if (!files.length) return false;
    const staged = join(opts.scratch, "files");
    for (const rel of files) {
      const target = join(staged, rel);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, maskSessionFile(await readFile(join(dir, rel)), opts.mask, opts.secrets), { mode: 0o600 });
    }
    const list = join(opts.scratch, "list");
    await writeFile(list, files.map((f) => `${f}\0`).join(""));
    await tar(["-c", "-f", opts.dest, "-C", staged, "--null", "-T", list], opts.signal);
    return true;
  } finally {
    await rm(opts.scratch, { recursive: true, force: true });
    if (opts.sessions.runOwned) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Restores a packed session into the run's session folder. Only regular files and folders at
 * relative paths inside it are accepted: the listing is checked before anything is extracted.
 */
export async function restoreSession(sessions: AgentSessions, place: SessionPlace, archive: string, signal?: AbortSignal): Promise<number> {
  const listing = await tar(["-t", "-v", "-f", archive], signal);
  const names = await tar(["-t", "-f", archive], signal);
  const bad = listing.split("\n").filter((l) => l !== "" && !/^[-d]/.test(l));
  const outside = names.split("\n").filter((n) => n !== "" && (isAbsolute(n) || n.split("/").includes("..")));
  if (bad.length || outside.length) {
    throw new Error(`the parent's session archive holds entries that are not plain files inside it: ${[...bad, ...outside].slice(0, 3).join(", ")}`);
  }
  const dir = await sessions.dir(place);
  await mkdir(dir, { recursive: true });
  await tar(["-x", "-f", archive, "-C", dir, "--no-same-owner", "--no-same-permissions"], signal);
  return names.split("\n").filter((n) => n !== "" && !n.endsWith("/")).length;
}
