import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadArtifact } from "../../src/artifacts/download";
import { tempDir } from "../../../testkit/temp-dir";

const body = Buffer.from([0, 1, 2, 3, 255]);
const sha = createHash("sha256").update(body).digest("hex");
let server: Server;
let url = "";
const seen: Array<{ url?: string; auth?: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    if (req.headers.authorization !== "Bearer fc_worker") return void res.writeHead(403).end("a worker key may download only ...");
    if (req.url === "/artifacts/a1") return void res.writeHead(200).end(body);
    res.writeHead(404).end("artifact not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("downloading a parent's artifact", () => {
  it("streams it to a private file with the key in a header, never the URL, and checks its sha256", async () => {
    const dest = join(tempDir("fc-download-"), "a.bin");
    await downloadArtifact({ serverUrl: url, apiKey: "fc_worker", id: "a1", sha256: sha, dest });
    expect(readFileSync(dest)).toEqual(body);
    expect(seen.at(-1)).toEqual({ url: "/artifacts/a1", auth: "Bearer fc_worker" });
  });

  it("refuses bytes whose sha256 is not the announced one, and leaves no file", async () => {
    const dest = join(tempDir("fc-download-"), "a.bin");
    await expect(downloadArtifact({ serverUrl: url, apiKey: "fc_worker", id: "a1", sha256: "0".repeat(64), dest })).rejects.toThrow(
      /arrived with sha256 [0-9a-f]{64}, not the 0{64}/,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it("passes on the server's refusal", async () => {
    const dest = join(tempDir("fc-download-"), "a.bin");
    await expect(downloadArtifact({ serverUrl: url, apiKey: "other", id: "a1", sha256: sha, dest })).rejects.toThrow(
      /refused artifact a1 \(HTTP 403\): a worker key may download only/,
    );
  });
});
