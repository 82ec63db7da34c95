import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface DownloadOptions {
  /** The server's base URL (ORCH_SERVER_URL). */
  serverUrl: string;
  /** The worker's own key: the server lets it read only the parent artifacts of a run it holds. */
  apiKey: string;
  id: string;
  /** Lowercase hex SHA-256 the artifact must have (worker.proto FollowUp). */
  sha256: string;
  /** Written with mode 0600; removed again if the download fails. */
  dest: string;
  signal?: AbortSignal;
}

/** A download that failed; its message is the run's error, so it names the artifact and why. */
export class DownloadError extends Error {}

/**
 * Streams one artifact from GET /artifacts/<id> (Authorization: Bearer, never a key in the URL) to
 * a file, hashing it on the way, and refuses it unless its SHA-256 is the one the server announced
 * in the Assign. Node's own TLS settings apply (NODE_EXTRA_CA_CERTS for a private CA), as for the
 * worker's gRPC session.
 */
export async function downloadArtifact(opts: DownloadOptions): Promise<void> {
  const url = new URL(`artifacts/${encodeURIComponent(opts.id)}`, opts.serverUrl.endsWith("/") ? opts.serverUrl : `${opts.serverUrl}/`);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { method: "GET", headers: { authorization: `Bearer ${opts.apiKey}` }, signal: opts.signal }, resolve);
    req.on("error", reject);
    req.end();
  }).catch((err: Error) => {
    throw new DownloadError(`cannot download artifact ${opts.id} from ${url.origin}: ${err.message}`);
  });
  if (res.statusCode !== 200) {
    const said = await readText(res);
    throw new DownloadError(`the server refused artifact ${opts.id} (HTTP ${res.statusCode})${said ? `: ${said}` : ""}`);
  }
  const hash = createHash("sha256");
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(res, tap, createWriteStream(opts.dest, { mode: 0o600 }), { signal: opts.signal });
    const got = hash.digest("hex");
    if (got !== opts.sha256) throw new DownloadError(`artifact ${opts.id} arrived with sha256 ${got}, not the ${opts.sha256} the server announced`);
  } catch (err) {
    await rm(opts.dest, { force: true });
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(`download of artifact ${opts.id} broke off: ${(err as Error).message}`);
  }
}

/** The first 500 characters of a refusal's body (the server's reason). */
async function readText(res: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (text.length < 500) text += chunk.toString("utf8");
  }
  return text.trim().slice(0, 500);
}

/** Fetches one artifact to `dest`, verified: what the runner is given, bound to the worker's server and key. */
export type ArtifactFetcher = (id: string, sha256: string, dest: string, signal?: AbortSignal) => Promise<void>;

export const artifactFetcher =
  (serverUrl: string, apiKey: string): ArtifactFetcher =>
  (id, sha256, dest, signal) =>
    downloadArtifact({ serverUrl, apiKey, id, sha256, dest, signal });
