import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { ViolationsSchema, type FieldPathElement } from "../../src/gen/buf/validate/validate_pb";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import type { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { REPO } from "../../../testkit/paths";
import type { TestServer } from "../../../testkit/test-server";

export const BUF = `${REPO}/node_modules/.bin/buf`;

export const PROTOCOLS = ["grpc", "connect"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** A valid job spec; no worker is connected in these tests, so runs stay queued. */
export function spec(overrides: MessageInitShape<typeof JobSpecSchema> = {}): MessageInitShape<typeof JobSpecSchema> {
  return { agent: "shell", prompt: "echo hello", requiredLabels: { pool: "nowhere" }, ...overrides };
}

/** A fresh API key of the given role, created with the admin key; returns the plaintext and its id. */
export async function newKey(url: string, role: Role, name = `${Role[role].toLowerCase()}-key`): Promise<{ key: string; id: string }> {
  const res = await client(ApiKeyService, url, ADMIN_KEY).createApiKey({ name, role });
  return { key: res.key, id: res.apiKey!.id };
}

/** Awaits a call that must fail, and returns its ConnectError after checking the code. */
export async function refused(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  const err = await call.then(
    (res) => {
      throw new Error(`expected ${Code[code]}, got a response: ${JSON.stringify(res, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
    },
    (e: unknown) => ConnectError.from(e),
  );
  expect(Code[err.code], err.message).toBe(Code[code]);
  return err;
}

/** The field paths (`spec.prompt`, `spec.extensions[0].transport`, `env["KEY"]`) of the protovalidate violations in an InvalidArgument error. */
export function violationPaths(err: ConnectError): string[] {
  const element = (e: FieldPathElement) => {
    const sub = e.subscript;
    if (sub.case === undefined) return e.fieldName;
    return `${e.fieldName}[${sub.case === "stringKey" ? JSON.stringify(sub.value) : String(sub.value)}]`;
  };
  return err.findDetails(ViolationsSchema).flatMap((v) => v.violations.map((violation) => (violation.field?.elements ?? []).map(element).join(".")));
}

/**
 * Every row of every table, for "nothing changed" checks. api_keys.last_used_at is left out: it
 * records that a key was used, which refused requests legitimately do.
 */
export async function dbSnapshot(server: TestServer): Promise<Record<string, string[]>> {
  const ds = server.app.db.dataSource;
  const snapshot: Record<string, string[]> = {};
  for (const meta of ds.entityMetadatas) {
    const rows: Record<string, unknown>[] = await ds.query(`SELECT * FROM "${meta.tableName}"`);
    snapshot[meta.tableName] = rows
      .map((r) => {
        const { last_used_at: _ignored, ...rest } = r;
        return JSON.stringify(rest);
      })
      .sort();
  }
  return snapshot;
}

/** Awaits a call that must fail with `code` and checks that the database is exactly as it was before. */
export async function refusedUnchanged(server: TestServer, call: () => Promise<unknown>, code: Code): Promise<ConnectError> {
  const before = await dbSnapshot(server);
  const err = await refused(call(), code);
  expect(await dbSnapshot(server), `the refused call changed the database (${err.message})`).toEqual(before);
  return err;
}
