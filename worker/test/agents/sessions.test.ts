import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { maskSessionFile, packSession, restoreSession } from "../../src/agents/session-archive";
import {
  claudeProjectDirName,
  claudeSessionIdOf,
  claudeSessions,
  codexSessionIdOf,
  codexSessions,
  gooseSessions,
  withCodexResume,
  withGooseSession,
} from "../../src/agents/sessions";
import { createMasker } from "../../src/masking";
import { tempDir } from "../../../testkit/temp-dir";

const SECRET = "sk-session-9f8e7d6c5b4a";
const ID = "3fa4f93f-7db6-430f-aad5-3b7863041e43";

describe("where agents keep sessions", () => {
  it("names Claude Code's project folder after the canonical cwd, cutting long paths with a hash", () => {
    expect(claudeProjectDirName("/tmp/fc/run-0190_ab.c/workspace")).toBe("-tmp-fc-run-0190-ab-c-workspace");
    const long = `/w/${"x".repeat(300)}`;
    const name = claudeProjectDirName(long);
    expect(name.slice(0, 201)).toBe(`${long.replace(/[^a-zA-Z0-9]/g, "-").slice(0, 200)}-`);
    expect(name).toMatch(/^[-x w]{200}-[0-9a-z]+$/);
    expect(claudeProjectDirName(`${long}y`)).not.toBe(name);
  });

  it("finds Claude's session under the cwd's project folder, through a symlinked work dir", async () => {
    const root = tempDir("fc-claude-sessions-");
    mkdirSync(join(root, "real", "workspace"), { recursive: true });
    symlinkSync(join(root, "real"), join(root, "link"));
    const place = { cwd: join(root, "link", "workspace"), workDir: root, env: { CLAUDE_CONFIG_DIR: join(root, "cfg") } };
    const dir = await claudeSessions.dir(place);
    expect(dir).toBe(join(root, "cfg", "projects", claudeProjectDirName(realpathSync(join(root, "real", "workspace")))));
    mkdirSync(join(dir, ID, "subagents"), { recursive: true });
    writeFileSync(join(dir, `${ID}.jsonl`), "{}\n");
    writeFileSync(join(dir, ID, "subagents", "a.jsonl"), "{}\n");
    writeFileSync(join(dir, "other.jsonl"), "{}\n");
    expect((await claudeSessions.files(place, ID)).sort()).toEqual([`${ID}.jsonl`, join(ID, "subagents", "a.jsonl")]);
  });

  it("finds a codex rollout by thread id anywhere under CODEX_HOME/sessions", async () => {
    const home = tempDir("fc-codex-home-");
    mkdirSync(join(home, "sessions", "2025", "05", "07"), { recursive: true });
    writeFileSync(join(home, "sessions", "2025", "05", "07", `rollout-2025-05-07T17-24-21-${ID}.jsonl`), "{}\n");
    writeFileSync(join(home, "sessions", "2025", "05", "07", "rollout-2025-05-07T17-24-21-other.jsonl"), "{}\n");
    const place = { cwd: home, workDir: home, env: { CODEX_HOME: home } };
    expect(await codexSessions.files(place, ID)).toEqual([join("sessions", "2025", "05", "07", `rollout-2025-05-07T17-24-21-${ID}.jsonl`)]);
    expect(await codexSessions.files(place, "missing")).toEqual([]);
  });

  it("puts each CLI's resume form where the CLI takes it", () => {
    expect(withCodexResume(["exec", "--json", "-c", "a=1", "do it"], ID)).toEqual(["exec", "--json", "-c", "a=1", "resume", ID, "do it"]);
    expect(withCodexResume(["exec", "--json", "do it"], undefined)).toEqual(["exec", "--json", "do it"]);
    expect(withGooseSession(["run", "--no-session", "-q", "-t", "p"], "s1", true)).toEqual(["run", "-n", "s1", "--resume", "-q", "-t", "p"]);
    expect(withGooseSession(["run", "--no-session", "-t", "p"], "s1", false)).toEqual(["run", "-n", "s1", "-t", "p"]);
  });

  it("reads session ids from the CLIs' own events only", () => {
    expect(claudeSessionIdOf(JSON.stringify({ type: "system", subtype: "init", session_id: ID }))).toBe(ID);
    expect(claudeSessionIdOf(JSON.stringify({ type: "result", session_id: ID }))).toBe(ID);
    expect(claudeSessionIdOf(JSON.stringify({ type: "assistant", message: { content: 'a "session_id"' }, session_id: "x" }))).toBeUndefined();
    expect(claudeSessionIdOf('{"session_id": broken')).toBeUndefined();
    expect(codexSessionIdOf(JSON.stringify({ type: "thread.started", thread_id: ID }))).toBe(ID);
    expect(codexSessionIdOf(JSON.stringify({ type: "item.completed", item: { text: "thread.started" } }))).toBeUndefined();
  });
});

describe("session archives", () => {
  it("pack only the session's files, masked, remove a run-owned folder, and restore them under another cwd", async () => {
    const root = tempDir("fc-session-pack-");
    const env = { CLAUDE_CONFIG_DIR: join(root, "cfg") };
    const first = { cwd: join(root, "run-1"), workDir: join(root, "run-1"), env };
    mkdirSync(first.cwd, { recursive: true });
    const dir = await claudeSessions.dir(first);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${ID}.jsonl`), `${JSON.stringify({ type: "assistant", text: `token is ${SECRET}` })}\n`);
    writeFileSync(join(dir, "unrelated.jsonl"), "not ours\n");
    const archive = join(root, "session.tar");
    const mask = createMasker([SECRET]);
    expect(
      await packSession({
        sessions: claudeSessions,
        place: first,
        sessionId: ID,
        scratch: join(root, "scratch"),
        dest: archive,
        mask,
        secrets: [SECRET],
      }),
    ).toBe(true);
    expect(readFileSync(archive).includes(Buffer.from(SECRET))).toBe(false);
    expect(() => readFileSync(join(dir, `${ID}.jsonl`))).toThrow();

    const second = { cwd: join(root, "run-2"), workDir: join(root, "run-2"), env };
    mkdirSync(second.cwd, { recursive: true });
    expect(await restoreSession(claudeSessions, second, archive)).toBe(1);
    const restored = readFileSync(join(await claudeSessions.dir(second), `${ID}.jsonl`), "utf8");
    expect(restored).toContain("token is ***");
    expect(
      await packSession({
        sessions: gooseSessions,
        place: first,
        sessionId: "none",
        scratch: join(root, "s2"),
        dest: join(root, "g.tar"),
        mask,
        secrets: [],
      }),
    ).toBe(false);
  });

  it("mask binary session stores in place, keeping their length", () => {
    const db = Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(`x${SECRET}y`), Buffer.from([0])]);
    const masked = maskSessionFile(db, createMasker([SECRET]), [SECRET]);
    expect(masked.length).toBe(db.length);
    expect(masked.includes(Buffer.from(SECRET))).toBe(false);
    expect(masked.toString("latin1")).toContain(`x${"*".repeat(SECRET.length)}y`);
  });

  it("refuse an archive with a path out of the session folder", async () => {
    const root = tempDir("fc-session-evil-");
    mkdirSync(join(root, "src", "a"), { recursive: true });
    writeFileSync(join(root, "src", "x"), "x");
    const { execFileSync } = await import("node:child_process");
    // -P keeps the "../" GNU tar would otherwise strip.
    execFileSync("tar", ["-c", "-P", "-f", join(root, "evil.tar"), "-C", join(root, "src", "a"), "../x"]);
    symlinkSync("/etc", join(root, "src", "link"));
    execFileSync("tar", ["-c", "-f", join(root, "link.tar"), "-C", join(root, "src"), "link"]);
    const place = { cwd: root, workDir: join(root, "run"), env: {} };
    await expect(restoreSession(gooseSessions, place, join(root, "evil.tar"))).rejects.toThrow(/not plain files inside it: \.\.\/x/);
    await expect(restoreSession(gooseSessions, place, join(root, "link.tar"))).rejects.toThrow(/not plain files inside it/);
  });
});
