import { afterEach, describe, expect, it, vi } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ArtifactKind, ArtifactSchema } from "../src/gen/flightcontrol/v1/artifact_pb";
import { ArtifactFetchError, fetchArtifact } from "../src/lib/artifact-fetch";
import { changesArtifact, downloadName, listedArtifacts, previewKind, previewUnavailable, TEXT_PREVIEW_LIMIT } from "../src/lib/artifact-preview";
import { getApiKey, setApiKey } from "../src/lib/auth-store";
import { bytes } from "../src/lib/format";

const artifact = (name: string, contentType: string, sizeBytes = 100n, kind = ArtifactKind.FILE) =>
  create(ArtifactSchema, { id: `id-${name}`, name, contentType, sizeBytes, kind });

describe("previewKind", () => {
  it("previews Markdown, images and text, by content type then extension", () => {
    expect(previewKind(artifact("report.md", "text/markdown; charset=utf-8"))).toBe("markdown");
    expect(previewKind(artifact("NOTES.MARKDOWN", "application/octet-stream"))).toBe("markdown");
    expect(previewKind(artifact("out/chart.png", "image/png"))).toBe("image");
    expect(previewKind(artifact("logo.svg", "image/svg+xml"))).toBe("image");
    expect(previewKind(artifact("changes.diff", "text/x-diff; charset=utf-8"))).toBe("text");
    expect(previewKind(artifact("data.json", "application/json"))).toBe("text");
    // The worker marks content it sniffed as UTF-8 text, whatever the extension.
    expect(previewKind(artifact("Procfile", "text/plain; charset=utf-8"))).toBe("text");
    expect(previewKind(artifact("build.tar.gz", "application/gzip"))).toBe("none");
  });

  it("says why a file is not previewed", () => {
    expect(previewUnavailable(artifact("report.md", "text/markdown"))).toBeUndefined();
    expect(previewUnavailable(artifact("big.log", "text/plain", BigInt(TEXT_PREVIEW_LIMIT) + 1n))).toBe(
      "Too large to preview (512 KiB, the limit is 512 KiB); download it instead.",
    );
    expect(previewUnavailable(artifact("a.zip", "application/zip"))).toBe("No preview for application/zip; download it to open it.");
  });
});

describe("listedArtifacts", () => {
  it("hides the agent's session state and lists the diff first", () => {
    const all = [
      artifact("z.png", "image/png"),
      artifact("session.jsonl", "application/octet-stream", 1n, ArtifactKind.SESSION),
      artifact("changes.diff", "text/x-diff", 1n, ArtifactKind.CHANGES),
      artifact("a.md", "text/markdown"),
    ];
    expect(listedArtifacts(all).map((a) => a.name)).toEqual(["changes.diff", "a.md", "z.png"]);
    expect(changesArtifact(all)?.name).toBe("changes.diff");
    expect(changesArtifact(all.slice(0, 2))).toBeUndefined();
    expect(downloadName(artifact("out/img/chart.png", "image/png"))).toBe("chart.png");
  });
});

describe("bytes", () => {
  it("reads sizes in binary units", () => {
    expect(bytes(0)).toBe("0 B");
    expect(bytes(1023)).toBe("1,023 B");
    expect(bytes(1536)).toBe("1.5 KiB");
    expect(bytes(300n * 1024n * 1024n)).toBe("300 MiB");
  });
});

describe("fetchArtifact", () => {
  afterEach(() => setApiKey(null));

  it("sends the key in the Authorization header, never in the URL", async () => {
    setApiKey("fc_secret");
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response("hello", { status: 200 }));
    const blob = await fetchArtifact("0198-id", { baseUrl: "http://fc.test", fetch: fetch as typeof globalThis.fetch });
    await expect(blob.text()).resolves.toBe("hello");
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("http://fc.test/artifacts/0198-id");
    expect(String(url)).not.toContain("fc_secret");
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer fc_secret");
  });

  it("fails with the server's own sentence, and a revoked key ends the session", async () => {
    setApiKey("fc_revoked");
    const refuse = (status: number, body: string) => (async () => new Response(body, { status })) as unknown as typeof globalThis.fetch;
    const forbidden = fetchArtifact("x", { baseUrl: "http://fc.test", fetch: refuse(403, "the worker role may not download artifacts\n") });
    await expect(forbidden).rejects.toThrow("the worker role may not download artifacts");
    await expect(forbidden).rejects.toBeInstanceOf(ArtifactFetchError);
    expect(getApiKey()).toBe("fc_revoked");
    await expect(fetchArtifact("x", { baseUrl: "http://fc.test", fetch: refuse(401, "API key is unknown or revoked") })).rejects.toThrow(
      "API key is unknown or revoked",
    );
    expect(getApiKey()).toBeNull();
  });
});
