/**
 * The API key cache must not become a way around revocation or a memory sink: a key revoked through
 * one server is refused by every server sharing the database (replicas may share one Postgres
 * database), and unknown keys — which any anonymous client can invent by the million — are not
 * remembered without bound.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { heapMiB } from "./support/heap";

const dir = mkdtempSync(join(tmpdir(), "fc-keys-"));
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  // Two servers on one database, as two replicas would be.
  a = await startTestServer({}, dir);
  b = await startTestServer({}, dir);
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("API keys across servers sharing a database", () => {
  it("a key revoked through one server is refused by the other", async () => {
    const { key, apiKey } = await client(ApiKeyService, a.url, ADMIN_KEY).createApiKey({ name: "to-revoke", role: Role.OPERATOR });
    // Both servers have seen (and may have cached) the key.
    expect((await client(ApiKeyService, a.url, key).whoAmI({})).apiKey?.id).toBe(apiKey!.id);
    expect((await client(ApiKeyService, b.url, key).whoAmI({})).apiKey?.id).toBe(apiKey!.id);
    await client(ApiKeyService, a.url, ADMIN_KEY).revokeApiKey({ id: apiKey!.id });
    await expect(client(ApiKeyService, a.url, key).whoAmI({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    const refusedByB = await waitFor(
      async () => {
        const err = await client(ApiKeyService, b.url, key)
          .whoAmI({})
          .then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          );
        return err?.code === Code.Unauthenticated;
      },
      { timeoutMs: 5_000, what: "the other server to refuse the revoked key" },
    ).catch(() => false);
    expect(refusedByB, "a revoked key still works on another server sharing the database").toBe(true);
  });

  it("a key created through one server works on the other at once", async () => {
    const { key } = await client(ApiKeyService, a.url, ADMIN_KEY).createApiKey({ name: "fresh", role: Role.VIEWER });
    expect((await client(ApiKeyService, b.url, key).whoAmI({})).apiKey?.name).toBe("fresh");
  });
});

describe("unknown keys", () => {
  it("are not remembered without bound (20,000 invented keys cost the server almost nothing)", async () => {
    const invent = () => `fc_${randomBytes(32).toString("base64url")}`;
    for (let i = 0; i < 500; i++) await a.app.keys.lookup(invent());
    const before = heapMiB();
    const N = 20_000;
    for (let i = 0; i < N; i++) expect(await a.app.keys.lookup(invent())).toBeUndefined();
    const grown = heapMiB() - before;
    expect(grown, `${N} unknown keys left ${grown.toFixed(2)} MiB behind (${((grown * 1048576) / N).toFixed(0)} B each)`).toBeLessThan(0.75);
  });
});
