import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { PersonService } from "../../src/gen/flightcontrol/v1/person_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { scriptedSignIn, startTestIdentityProvider, type TestIdentityProvider } from "../../../testkit/oidc-provider";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { codeOf, signedInClient, type SignedIn } from "../support/signed-in";

/**
 * People administration (PersonService) with a real identity provider: one server and one
 * provider for the file. Each test signs in people of its own, so their session counts are its own.
 */
let idp: TestIdentityProvider;
let server: TestServer;
let alpha = "";
/** An admin key bound to workspace alpha: an admin there, and nothing at the instance level. */
let alphaAdminKey = "";

/** A client that sends what the dashboard sends after signing in (to this file's server unless `baseUrl`). */
const asPerson = <S extends DescService>(service: S, signIn: SignedIn, workspace?: string, baseUrl = server.url) =>
  signedInClient(service, baseUrl, signIn, { workspace });

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const personOf = async (s: SignedIn) => (await asPerson(ApiKeyService, s).whoAmI({})).person!;
const signIn = (login: string) => scriptedSignIn(server.url, login);

/** Opens a WatchRuns stream as `s`; `ended` resolves with how it ends (the error's code, or "ended cleanly"). */
async function openWatch(s: SignedIn, workspace: string, baseUrl = server.url): Promise<{ ended: Promise<string> }> {
  const it = asPerson(RunService, s, workspace, baseUrl).watchRuns({})[Symbol.asyncIterator]();
  // The first message says the stream is open (and registered under its session).
  expect((await it.next()).done).toBe(false);
  const ended = (async () => {
    try {
      while (!(await it.next()).done);
      return "ended cleanly";
    } catch (err) {
      return Code[ConnectError.from(err).code];
    }
  })();
  return { ended };
}

async function allPeople(
  list: (req: { pageSize: number; pageToken: string }) => Promise<{ people: Array<{ email: string }>; nextPageToken: string }>,
) {
  const emails: string[] = [];
  let pageToken = "";
  do {
    const page = await list({ pageSize: 2, pageToken });
    emails.push(...page.people.map((p) => p.email));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return emails;
}

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  server = await startTestServer({ oidc: idp.settings, adminEmails: ["root@example.com"] });
  idp.allowRedirect(`${server.url}/auth/callback`);
  for (const email of [
    "root@example.com",
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "frank@example.com",
    "gina@example.com",
  ]) {
    idp.addAccount({ email, name: email.split("@")[0] });
  }
  // Dave's provider account, deleted and made again: a new subject with the same email.
  idp.addAccount({ login: "dave-recreated", email: "dave@example.com", name: "dave again" });

  const admin = client(WorkspaceService, server.url, ADMIN_KEY);
  alpha = (await admin.createWorkspace({ name: "alpha" })).workspace!.id;
  for (const [email, role] of [
    ["alice@example.com", Role.ADMIN],
    ["dave@example.com", Role.VIEWER],
    ["frank@example.com", Role.OPERATOR],
    ["gina@example.com", Role.OPERATOR],
  ] as const) {
    await admin.addMember({ workspaceId: alpha, email, role });
  }
  alphaAdminKey = (await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({ name: "alpha admin", role: Role.ADMIN, workspaceId: alpha }))
    .key;
}, 60_000);
afterAll(async () => {
  await server?.cleanup();
  await idp?.close();
});

describe("PersonService", () => {
  it("ListPeople shows an instance admin everyone who has signed in, by email, with their live sessions", async () => {
    const root = await signIn("root@example.com");
    await signIn("carol@example.com");
    const carol = await signIn("carol@example.com");
    const carolId = (await personOf(carol)).id;

    const { people, nextPageToken } = await asPerson(PersonService, root).listPeople({});
    expect(nextPageToken).toBe("");
    const emails = people.map((p) => p.email);
    expect(emails).toEqual([...emails].sort());
    const byEmail = new Map(people.map((p) => [p.email, p]));
    expect(byEmail.get("carol@example.com")).toMatchObject({ id: carolId, name: "carol", instanceAdmin: false, activeSessions: 2 });
    expect(byEmail.get("root@example.com")?.instanceAdmin).toBe(true);
    expect(byEmail.get("root@example.com")?.activeSessions).toBeGreaterThanOrEqual(1);
    expect(byEmail.get("carol@example.com")?.lastSignInTime).toBeDefined();

    // The instance-admin key sees the same, and pages of two add up to the whole list.
    const keyed = client(PersonService, server.url, ADMIN_KEY);
    expect(await allPeople((req) => keyed.listPeople(req))).toEqual(emails);
  });

  it("a workspace-bound key, even an admin one, and a person who is not instance admin are refused, naming who may", async () => {
    const alice = await signIn("alice@example.com");
    const carolId = (await personOf(await signIn("carol@example.com"))).id;
    const byKey = client(PersonService, server.url, alphaAdminKey);
    const byAlice = asPerson(PersonService, alice, alpha);
    const instanceAdminsOnly = /^PermissionDenied: only an instance admin \(a person named by ORCH_ADMIN_EMAILS/;
    for (const api of [byKey, byAlice]) {
      expect(await codeOf(api.listPeople({}))).toMatch(instanceAdminsOnly);
      expect(await codeOf(api.endSessions({ personId: carolId }))).toMatch(instanceAdminsOnly);
      expect(await codeOf(api.deletePerson({ id: carolId }))).toMatch(instanceAdminsOnly);
    }
    // A person is told how to end their own instead.
    expect(await codeOf(byAlice.endSessions({ personId: carolId }))).toContain(`you may end your own: person_id ${(await personOf(alice)).id}`);
    // Carol's sessions are untouched.
    const root = await signIn("root@example.com");
    const carol = (await asPerson(PersonService, root).listPeople({})).people.find((p) => p.id === carolId);
    expect(carol?.activeSessions).toBeGreaterThanOrEqual(1);
  });

  it("EndSessions ends another person's sessions: their next request is Unauthenticated and their open stream ends", async () => {
    const root = await signIn("root@example.com");
    await signIn("frank@example.com");
    const frank = await signIn("frank@example.com");
    const frankId = (await personOf(frank)).id;
    const watch = await openWatch(frank, alpha);

    const streamOpen = () => server.app.identities.identities().some((i) => i.startsWith(`session:${sha256(frank.session)}/`));
    expect(streamOpen()).toBe(true);
    expect(await asPerson(PersonService, root).endSessions({ personId: frankId })).toEqual(expect.objectContaining({ endedSessions: 2 }));
    // On this server at once, before the call returns: not left to the revocation sweep.
    expect(streamOpen()).toBe(false);
    expect(await watch.ended).toBe("Unauthenticated");
    expect(await codeOf(asPerson(ApiKeyService, frank).whoAmI({}))).toMatch(/^Unauthenticated: your session has ended/);
    const listed = (await asPerson(PersonService, root).listPeople({})).people.find((p) => p.id === frankId);
    expect(listed?.activeSessions).toBe(0);
    // Nothing left to end.
    expect((await client(PersonService, server.url, ADMIN_KEY).endSessions({ personId: frankId })).endedSessions).toBe(0);
    // Signing in again works: ending sessions does not lock anyone out.
    expect(await codeOf(asPerson(ApiKeyService, await signIn("frank@example.com")).whoAmI({}))).toBe("ok");
  });

  it("on another replica, the person's open stream ends within the revocation sweep's 2 s, and requests once its session cache expires", async () => {
    // A second server on the same database and data directory (the same master key).
    const replica = await startTestServer({ oidc: idp.settings, adminEmails: ["root@example.com"] }, server.dataDir);
    try {
      const gina = await signIn("gina@example.com");
      const ginaId = (await personOf(gina)).id;
      const watch = await openWatch(gina, alpha, replica.url);
      const whoAmIOnReplica = () => codeOf(asPerson(ApiKeyService, gina, undefined, replica.url).whoAmI({}));
      expect(await whoAmIOnReplica()).toBe("ok");

      const endedAt = Date.now();
      expect((await client(PersonService, server.url, ADMIN_KEY).endSessions({ personId: ginaId })).endedSessions).toBe(1);
      expect(await watch.ended).toBe("Unauthenticated");
      // The sweep runs every 2 s; allow one more period for a loaded machine.
      expect(Date.now() - endedAt).toBeLessThan(4_500);
      await vi.waitFor(async () => expect(await whoAmIOnReplica()).toMatch(/^Unauthenticated/), { timeout: 5_000, interval: 100 });
    } finally {
      await replica.stop();
    }
  });

  it("a person, even one in no workspace, may end their own sessions (sign out everywhere)", async () => {
    const elsewhere = await signIn("bob@example.com");
    const bob = await signIn("bob@example.com");
    const bobId = (await personOf(bob)).id;
    expect((await asPerson(PersonService, bob).endSessions({ personId: bobId })).endedSessions).toBe(2);
    for (const s of [bob, elsewhere]) expect(await codeOf(asPerson(ApiKeyService, s).whoAmI({}))).toMatch(/^Unauthenticated/);
  });

  it("DeletePerson releases the email: a recreated provider account signs in as a new person, and the memberships apply to them", async () => {
    const root = await signIn("root@example.com");
    const dave = await signIn("dave@example.com");
    const oldId = (await personOf(dave)).id;
    const watch = await openWatch(dave, alpha);

    // Before: the recreated account is refused, the email belonging to the old one.
    const refused = await signIn("dave-recreated");
    expect(refused.session).toBe("");
    expect(new URL(refused.location, server.url).searchParams.get("sign_in_error")).toMatch(/^dave@example\.com belongs to someone who signed in/);

    expect(await codeOf(asPerson(PersonService, root).deletePerson({ id: oldId }))).toBe("ok");
    expect(await watch.ended).toBe("Unauthenticated");
    expect(await codeOf(asPerson(ApiKeyService, dave).whoAmI({}))).toMatch(/^Unauthenticated/);
    expect((await asPerson(PersonService, root).listPeople({})).people.map((p) => p.id)).not.toContain(oldId);

    const again = await signIn("dave-recreated");
    const me = await asPerson(ApiKeyService, again).whoAmI({});
    expect(me.person?.email).toBe("dave@example.com");
    expect(me.person?.name).toBe("dave again");
    expect(me.person?.id).not.toBe(oldId);
    expect(me.workspaceId).toBe(alpha);
    expect(me.role).toBe(Role.VIEWER);
    // Forgetting twice: the old id is gone.
    expect(await codeOf(asPerson(PersonService, root).deletePerson({ id: oldId }))).toBe(`NotFound: person ${oldId} not found`);
  });

  it("an instance admin cannot forget themselves", async () => {
    const root = await signIn("root@example.com");
    const rootId = (await personOf(root)).id;
    expect(await codeOf(asPerson(PersonService, root).deletePerson({ id: rootId }))).toBe(
      "FailedPrecondition: you cannot forget yourself while signed in as that person: sign out instead, or ask another instance admin",
    );
    expect(await codeOf(asPerson(ApiKeyService, root).whoAmI({}))).toBe("ok");
  });

  it("an unknown person id is NotFound", async () => {
    const root = await signIn("root@example.com");
    const unknown = "0190cccc-0000-7000-8000-00000000dead";
    for (const api of [asPerson(PersonService, root), client(PersonService, server.url, ADMIN_KEY)]) {
      expect(await codeOf(api.endSessions({ personId: unknown }))).toBe(`NotFound: person ${unknown} not found`);
      expect(await codeOf(api.deletePerson({ id: unknown }))).toBe(`NotFound: person ${unknown} not found`);
    }
    expect(await codeOf(asPerson(PersonService, root).endSessions({ personId: "not-a-uuid" }))).toMatch(/^InvalidArgument: .*person_id/);
  });
});
