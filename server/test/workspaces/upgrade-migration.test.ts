import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/storage/data-source";
import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { migrations } from "../../src/storage/migrations";
import { Workspaces1767000000000 } from "../../src/storage/migrations/1767000000000-workspaces";
import { havePostgres, TempCluster } from "../../../testkit/postgres";

const dir = mkdtempSync(join(tmpdir(), "fc-migrate-ws-"));
let cluster: TempCluster | undefined;

beforeAll(async () => {
  if (!havePostgres) return;
  cluster = new TempCluster();
  await cluster.start();
  await cluster.createDatabase("fc_ws_upgrade");
}, 120_000);
afterAll(async () => {
  await cluster?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The release before workspaces: every migration up to theirs. */
const previous = migrations.filter((m) => m !== Workspaces1767000000000);

/** Writes one of everything with the previous release's schema, as that release would have. */
async function writeOldDatabase(url: string): Promise<void> {
  const pg = url.startsWith("postgres");
  const old = pg
    ? new DataSource({ type: "postgres", url, migrations: previous })
    : new DataSource({ type: "better-sqlite3", database: url.slice("sqlite:".length), migrations: previous });
  await old.initialize();
  await old.runMigrations({ transaction: "each" });
  const q = async (sql: string, params: unknown[] = []) => {
    let i = 0;
    await old.query(pg ? sql.replace(/\?/g, () => `$${++i}`) : sql, params);
  };
  try {
    await q("INSERT INTO job_definitions (id, name, description, spec, created_at, updated_at) VALUES ('j1', 'nightly', '', '{}', 1, 1)");
    for (const id of ["r1", "r2"]) {
      await q(
        "INSERT INTO job_runs (id, job_id, job_name, spec, agent, required_labels, labels, priority, status, trigger, attempt, max_attempts, " +
          "created_at, available_at, timeout_seconds, error, result, usage, last_seq, cancel_requested, updated_at) " +
          "VALUES (?, 'j1', 'nightly', '{\"prompt\":\"p\"}', 'shell', '{}', '{}', 0, 'succeeded', 'manual', 1, 1, 1, 1, 60, '', '', '{}', 2, false, 1)",
        [id],
      );
      for (const seq of [1, 2])
        await q("INSERT INTO job_logs (run_id, seq, time, stream, text) VALUES (?, ?, 1, 1, ?)", [id, seq, `${id} line ${seq}`]);
    }
    await q("INSERT INTO run_events (run_id, seq, time, kind, payload) VALUES ('r1', 3, 1, 'message', '{}')");
    await q(
      "INSERT INTO schedules (id, job_id, name, cron, time_zone, paused, misfire_policy, overlap_policy, created_at, updated_at) " +
        "VALUES ('s1', 'j1', 'every night', '0 0 * * *', 'UTC', false, 'skip', 'allow', 1, 1)",
    );
    await q(
      "INSERT INTO credentials (id, name, description, env_names, ciphertext, created_at, updated_at) VALUES ('c1', 'gh', '', '[]', 'x', 1, 1)",
    );
    await q("INSERT INTO skills (id, name, latest_version, created_at, updated_at) VALUES ('k1', 'lint', 1, 1, 1)");
    await q(
      "INSERT INTO skill_versions (skill_id, version, description, front_matter, file_count, size_bytes, created_at) VALUES ('k1', 1, 'd', '{}', 1, 3, 1)",
    );
    await q(
      "INSERT INTO skill_files (skill_id, version, path, sha256, size_bytes, executable, content) VALUES ('k1', 1, 'SKILL.md', 'h', 3, false, 'YWJj')",
    );
    for (const [id, role] of [
      ["a1", "admin"],
      ["v1", "viewer"],
      ["w1", "worker"],
    ]) {
      await q("INSERT INTO api_keys (id, name, role, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, 'fc_', 1)", [id, id, role, `hash-${id}`]);
    }
    await q(
      "INSERT INTO workers (id, name, hostname, labels, capacity, agents, version, state, instance_id, connected_at, last_heartbeat_at) " +
        "VALUES ('wk1', 'box', 'h', '{}', 1, '[]', 'v', 'offline', 'i', 1, 1)",
    );
  } finally {
    await old.destroy();
  }
}

async function checkUpgrade(url: string): Promise<void> {
  await writeOldDatabase(url);
  const db = await openDatabase(url);
  try {
    const rows = (sql: string) => db.dataSource.query(sql);
    expect(await rows("SELECT id, name FROM workspaces")).toEqual([{ id: DEFAULT_WORKSPACE_ID, name: "default" }]);
    expect(await rows("SELECT id, workspace_id FROM job_definitions")).toEqual([{ id: "j1", workspace_id: DEFAULT_WORKSPACE_ID }]);
    expect(await rows("SELECT id, workspace_id FROM job_runs ORDER BY id")).toEqual([
      { id: "r1", workspace_id: DEFAULT_WORKSPACE_ID },
      { id: "r2", workspace_id: DEFAULT_WORKSPACE_ID },
    ]);
    expect((await rows("SELECT text FROM job_logs ORDER BY run_id, seq")).map((r: { text: string }) => r.text)).toEqual([
      "r1 line 1",
      "r1 line 2",
      "r2 line 1",
      "r2 line 2",
    ]);
    expect(await rows("SELECT run_id, seq FROM run_events")).toEqual([{ run_id: "r1", seq: expect.anything() }]);
    // The job's table was rebuilt on SQLite: its schedule, and the skill's version and file, survive it.
    expect(await rows("SELECT id, job_id, workspace_id FROM schedules")).toEqual([{ id: "s1", job_id: "j1", workspace_id: DEFAULT_WORKSPACE_ID }]);
    expect(await rows("SELECT workspace_id FROM credentials")).toEqual([{ workspace_id: DEFAULT_WORKSPACE_ID }]);
    expect(await rows("SELECT workspace_id FROM skills")).toEqual([{ workspace_id: DEFAULT_WORKSPACE_ID }]);
    expect(await rows("SELECT skill_id, version FROM skill_versions")).toEqual([{ skill_id: "k1", version: 1 }]);
    expect(await rows("SELECT path, content FROM skill_files")).toEqual([{ path: "SKILL.md", content: "YWJj" }]);
    expect(await rows("SELECT workspace_id FROM workers")).toEqual([{ workspace_id: DEFAULT_WORKSPACE_ID }]);
    // Admin keys stay instance-admin (no workspace); the others act in default.
    expect(await rows("SELECT id, workspace_id FROM api_keys ORDER BY id")).toEqual([
      { id: "a1", workspace_id: null },
      { id: "v1", workspace_id: DEFAULT_WORKSPACE_ID },
      { id: "w1", workspace_id: DEFAULT_WORKSPACE_ID },
    ]);
    // The foreign keys still hold after the rebuild: deleting the job still deletes its schedule.
    await db.dataSource.query("DELETE FROM job_definitions WHERE id = 'j1'");
    expect(await rows("SELECT id FROM schedules")).toEqual([]);
    // Names are unique per workspace now, not across the install.
    await db.dataSource.query(
      "INSERT INTO workspaces (id, name, created_at, updated_at) VALUES ('00000000-0000-7000-8000-0000000000aa', 'other', 1, 1)",
    );
    await db.dataSource.query(
      "INSERT INTO credentials (id, name, description, env_names, ciphertext, created_at, updated_at, workspace_id) " +
        "VALUES ('c2', 'gh', '', '[]', 'x', 1, 1, '00000000-0000-7000-8000-0000000000aa')",
    );
    await expect(
      db.dataSource.query(
        "INSERT INTO credentials (id, name, description, env_names, ciphertext, created_at, updated_at, workspace_id) " +
          "VALUES ('c3', 'gh', '', '[]', 'x', 1, 1, '00000000-0000-7000-8000-0000000000aa')",
      ),
    ).rejects.toThrow();
    // Nothing left for the schema builder: the migrated schema is the entities'.
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((x) => x.query)).toEqual([]);
  } finally {
    await db.dataSource.destroy();
  }
}

describe("the workspaces migration", () => {
  it("keeps every job, run, log, schedule, skill, credential, worker and key of an SQLite database, now in default", async () => {
    await checkUpgrade(`sqlite:${join(dir, "old.db")}`);
  });

  it.skipIf(!havePostgres)("does the same on Postgres", async () => {
    await checkUpgrade(cluster!.url("fc_ws_upgrade"));
  });
});
