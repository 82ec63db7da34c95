import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collectArtifacts, type ArtifactSource } from "../../src/artifacts/collect";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { createMasker } from "../../src/masking";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A workspace with these files (content by relative path), collected with `patterns`. */
async function collect(
  files: Record<string, string | Buffer>,
  patterns: string[],
  opts: { maxFileBytes?: number; maxRunBytes?: number; secrets?: string[]; extra?: ArtifactSource[]; setup?(ws: string): void } = {},
) {
  const workspace = temp("fc-ws-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(workspace, name, ".."), { recursive: true });
    writeFileSync(join(workspace, name), content);
  }
  opts.setup?.(workspace);
  const notes: string[] = [];
  const staged = await collectArtifacts({
    workspace,
    patterns,
    extra: opts.extra ?? [],
    stageDir: join(temp("fc-stage-"), "run"),
    limits: { maxFileBytes: opts.maxFileBytes ?? 1 << 20, maxRunBytes: opts.maxRunBytes ?? 1 << 22 },
    mask: createMasker(opts.secrets ?? []),
    note: (t) => notes.push(t),
  });
  return { staged, notes, workspace };
}

describe("collecting artifacts", () => {
  it("keeps the files the globs match, named relative to the workspace, dotfiles included", async () => {
    const { staged, notes } = await collect({ "out/a.txt": "a", "out/deep/b.json": "{}", "out/.hidden": "h", "other.txt": "no" }, ["out/**"]);
    expect(staged.map((s) => s.name)).toEqual(["out/.hidden", "out/a.txt", "out/deep/b.json"]);
    expect(staged.find((s) => s.name === "out/deep/b.json")!.contentType).toBe("application/json; charset=utf-8");
    expect(notes).toEqual([]);
  });

  it("masks credential values in text and copies binary byte for byte, with size and sha256 of what is staged", async () => {
    const bin = Buffer.concat([Buffer.from([0, 1, 2, 255]), randomBytes(10_000), Buffer.from("tok-123456789")]);
    const { staged } = await collect({ "r.txt": "key=tok-123456789\n", "b.bin": bin }, ["*"], { secrets: ["tok-123456789"] });
    const text = staged.find((s) => s.name === "r.txt")!;
    expect(readFileSync(text.path, "utf8")).toBe("key=***\n");
    expect(text.sizeBytes).toBe("key=***\n".length);
    expect(text.sha256).toBe(sha(Buffer.from("key=***\n")));
    const binary = staged.find((s) => s.name === "b.bin")!;
    expect(sha(readFileSync(binary.path))).toBe(sha(bin));
    expect(binary.sha256).toBe(sha(bin));
    expect(binary.contentType).toBe("application/octet-stream");
  });

  it("treats invalid UTF-8 without NULs as binary: not masked", async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, ...Buffer.from("tok-123456789")]);
    const { staged } = await collect({ "l.txt": latin1 }, ["l.txt"], { secrets: ["tok-123456789"] });
    expect(readFileSync(staged[0].path)).toEqual(latin1);
  });

  it("never follows a symlink out of the workspace, by name or through a linked folder, and says so", async () => {
    const outside = temp("fc-outside-");
    writeFileSync(join(outside, "secret.txt"), "host secret");
    const { staged, notes } = await collect({ "out/ok.txt": "ok" }, ["out/**", "linked/secret.txt"], {
      setup(ws) {
        symlinkSync(join(outside, "secret.txt"), join(ws, "out/escape.txt"));
        symlinkSync(outside, join(ws, "linked"));
        symlinkSync("ok.txt", join(ws, "out/alias.txt"));
      },
    });
    expect(staged.map((s) => s.name)).toEqual(["out/alias.txt", "out/ok.txt"]);
    expect(notes).toEqual([
      "Artifact linked/secret.txt skipped: it is a symlink to a path outside the workspace",
      "Artifact out/escape.txt skipped: it is a symlink to a path outside the workspace",
    ]);
  });

  it("refuses patterns that leave the workspace", async () => {
    const { staged, notes } = await collect({ "a.txt": "a" }, ["../*", "/etc/hostname", "a.txt"]);
    expect(staged.map((s) => s.name)).toEqual(["a.txt"]);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('Artifact pattern "../*" ignored');
  });

  it("skips a file over the per-file limit and files past the per-run total, naming each and the limit", async () => {
    const { staged, notes } = await collect({ "a.txt": "x".repeat(60), "b.txt": "y".repeat(101), "c.txt": "z".repeat(60) }, ["*.txt"], {
      maxFileBytes: 100,
      maxRunBytes: 100,
    });
    expect(staged.map((s) => s.name)).toEqual(["a.txt"]);
    expect(notes).toEqual([
      "Artifact b.txt skipped: 101 bytes is over the per-file limit of 100 bytes (ORCH_ARTIFACT_MAX_FILE_BYTES)",
      "Artifact c.txt skipped: the run's artifacts would exceed the per-run limit of 100 bytes (ORCH_ARTIFACT_MAX_RUN_BYTES)",
    ]);
  });

  it("adds extra files such as the run's diff with their kind, masked like any text", async () => {
    const diffDir = temp("fc-diff-");
    writeFileSync(join(diffDir, "d"), "+token tok-123456789\n");
    const { staged } = await collect({}, [], {
      secrets: ["tok-123456789"],
      extra: [
        { path: join(diffDir, "d"), name: "changes.diff", kind: ArtifactKind.CHANGES },
        { path: join(diffDir, "missing"), name: "x", kind: ArtifactKind.CHANGES },
      ],
    });
    expect(staged).toHaveLength(1);
    expect(staged[0]).toMatchObject({ name: "changes.diff", kind: ArtifactKind.CHANGES, contentType: "text/x-diff; charset=utf-8" });
    expect(readFileSync(staged[0].path, "utf8")).toBe("+token ***\n");
  });
});
