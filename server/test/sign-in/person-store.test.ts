/**
 * The person store's queries for people administration, on both dialects: the raw COUNT comes back
 * as a string on Postgres, and the cascade from people to sessions is the database's.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/storage/data-source";
import type { PersonRow } from "../../src/storage/entities";
import { createPersonStore, type PersonStore } from "../../src/storage/person-store";
import { havePostgres, TempCluster } from "../../../testkit/postgres";
import { removeDir, tempDir } from "../../../testkit/temp-dir";

const NOW = 1_800_000_000_000;
const id = (n: number) => `0190cccc-0000-7000-8000-${String(n).padStart(12, "0")}`;
const person = (n: number, email: string): PersonRow => ({
  id: id(n),
  email,
  issuer: "https://idp.example",
  subject: `subject-${n}`,
  name: email.split("@")[0],
  instanceAdmin: false,
  createdAt: NOW,
  lastSignInAt: NOW,
});

function storeTests(open: () => Promise<Database>) {
  let db: Database;
  let store: PersonStore;
  beforeAll(async () => {
    db = await open();
    store = createPersonStore(db);
    for (const [n, email] of [
      [1, "carol@example.com"],
      [2, "ann@example.com"],
      [3, "bob@example.com"],
    ] as const) {
      await store.signIn(person(n, email), false);
    }
    const session = (hash: string, n: number, expiresAt: number) =>
      store.insertSession({ tokenHash: hash.repeat(64), personId: id(n), createdAt: NOW, expiresAt });
    await session("a", 1, NOW + 60_000);
    await session("b", 1, NOW + 60_000);
    await session("c", 1, NOW - 1);
    await session("d", 2, NOW + 60_000);
  }, 60_000);
  afterAll(async () => {
    await db?.dataSource.destroy();
  });

  it("pages people in email order", async () => {
    expect((await store.listPage(undefined, 2)).map((p) => p.email)).toEqual(["ann@example.com", "bob@example.com"]);
    expect((await store.listPage("bob@example.com", 2)).map((p) => p.email)).toEqual(["carol@example.com"]);
  });

  it("counts live sessions per person in one query, leaving out expired ones and people without any", async () => {
    const counts = await store.liveSessionCounts([id(1), id(2), id(3)], NOW);
    expect(Object.fromEntries(counts)).toEqual({ [id(1)]: 2, [id(2)]: 1 });
    expect((await store.liveSessionCounts([], NOW)).size).toBe(0);
  });

  it("deletes a person's sessions, expired ones too, and returns them", async () => {
    const deleted = await store.deleteSessionsOf(id(1));
    expect(deleted.map((s) => s.tokenHash[0]).sort()).toEqual(["a", "b", "c"]);
    expect((await store.liveSessionCounts([id(1), id(2)], NOW)).get(id(1))).toBeUndefined();
    expect(await store.deleteSessionsOf(id(1))).toEqual([]);
    // Another person's session is untouched.
    expect(await store.session("d".repeat(64))).not.toBeNull();
  });

  it("deletes a person with their sessions, and says when there is no such person", async () => {
    const deleted = await store.deletePerson(id(2));
    expect(deleted?.map((s) => s.tokenHash)).toEqual(["d".repeat(64)]);
    expect(await store.session("d".repeat(64))).toBeNull();
    expect(await store.get(id(2))).toBeNull();
    expect(await store.deletePerson(id(2))).toBeNull();
    // The email is free: another identity may sign in with it.
    const again = await store.signIn({ ...person(4, "ann@example.com"), subject: "recreated" }, false);
    expect("person" in again && again.person.id).toBe(id(4));
  });
}

describe("SQLite", () => {
  const dir = tempDir("fc-person-store-");
  afterAll(() => removeDir(dir));
  storeTests(() => openDatabase(`sqlite:${join(dir, "fc.db")}`));
});

describe.skipIf(!havePostgres)("Postgres", () => {
  let cluster: TempCluster | undefined;
  afterAll(async () => {
    await cluster?.destroy();
  });
  storeTests(async () => {
    cluster = new TempCluster();
    await cluster.start();
    await cluster.createDatabase("fc_people");
    return openDatabase(cluster.url("fc_people"));
  });
});
