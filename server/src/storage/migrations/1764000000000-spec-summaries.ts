import type { MigrationInterface, QueryRunner } from "typeorm";

const TABLES = ["job_definitions", "job_runs"];

/**
 * Adds `spec_summary` to jobs and runs, so lists can show a row without reading its spec (which may
 * be hundreds of KiB), and fills it in for the rows already there. The summary's shape is
 * JobSpecSummary's protobuf JSON; the 200-character prompt cut is written out here, not imported,
 * so this migration keeps doing what it did when later code changes. Both dialects count
 * characters, not bytes, in substr/left and length, as the domain's summarizeSpec does.
 */
export class SpecSummaries1764000000000 implements MigrationInterface {
  name = "SpecSummaries1764000000000";

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === "postgres";
    const field = (name: string) => (pg ? `coalesce(spec::json->>'${name}', '')` : `coalesce(json_extract(spec, '$.${name}'), '')`);
    const summary = pg
      ? `json_build_object('agent', ${field("agent")}, 'provider', ${field("provider")}, 'model', ${field("model")}, ` +
        `'prompt', left(${field("prompt")}, 200), 'promptTruncated', length(${field("prompt")}) > 200)::text`
      : `json_object('agent', ${field("agent")}, 'provider', ${field("provider")}, 'model', ${field("model")}, ` +
        `'prompt', substr(${field("prompt")}, 1, 200), 'promptTruncated', json(CASE WHEN length(${field("prompt")}) > 200 THEN 'true' ELSE 'false' END))`;
    for (const table of TABLES) {
      // ADD COLUMN with a default on both dialects: no table rebuild (which on SQLite would drop and
      // recreate job_definitions, cascading to its schedules).
      await q.query(`ALTER TABLE ${table} ADD COLUMN spec_summary text NOT NULL DEFAULT ''`);
      await q.query(`UPDATE ${table} SET spec_summary = ${summary}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} DROP COLUMN spec_summary`);
  }
}
