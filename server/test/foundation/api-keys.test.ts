import { toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, ListApiKeysResponseSchema, Role, WhoAmIResponseSchema } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, refused } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("API keys over connect-node (%s)", (protocol) => {
  const keys = (key = ADMIN_KEY) => client(ApiKeyService, server.url, key, protocol);

  it("returns the plaintext once; listing shows only its prefix", async () => {
    const { apiKey, key } = await keys().createApiKey({ name: `ci ${protocol}`, role: Role.OPERATOR });
    expect(key).toMatch(/^fc_[A-Za-z0-9_-]{40,}$/);
    expect(apiKey!.role).toBe(Role.OPERATOR);
    expect(apiKey!.prefix.length).toBeGreaterThanOrEqual(6);
    expect(apiKey!.prefix.length).toBeLessThan(key.length / 2);
    expect(key.startsWith(apiKey!.prefix)).toBe(true);

    const list = await keys().listApiKeys({});
    const listed = list.apiKeys.find((k) => k.id === apiKey!.id)!;
    expect(listed).toMatchObject({ name: `ci ${protocol}`, role: Role.OPERATOR, prefix: apiKey!.prefix });
    const json = toJsonString(ListApiKeysResponseSchema, list);
    expect(json).not.toContain(key);
    expect(json).not.toContain(key.slice(apiKey!.prefix.length, apiKey!.prefix.length + 12));
    expect(json).not.toContain(ADMIN_KEY);
    expect(json).not.toContain(WORKER_KEY);
  });

  it("WhoAmI describes the calling key", async () => {
    const admin = (await keys().whoAmI({})).apiKey!;
    expect(admin.role).toBe(Role.ADMIN);
    expect(admin.name).toBe("bootstrap admin");
    expect((await keys(WORKER_KEY).whoAmI({})).apiKey!.role).toBe(Role.WORKER);

    const { apiKey, key } = await keys().createApiKey({ name: `viewer ${protocol}`, role: Role.VIEWER });
    const me = await keys(key).whoAmI({});
    expect(me.apiKey).toMatchObject({ id: apiKey!.id, name: `viewer ${protocol}`, role: Role.VIEWER, prefix: apiKey!.prefix });
    expect(toJsonString(WhoAmIResponseSchema, me)).not.toContain(key);
  });

  it("a revoked key stops working at once", async () => {
    const { apiKey, key } = await keys().createApiKey({ name: `revoke me ${protocol}`, role: Role.OPERATOR });
    const jobs = client(JobService, server.url, key, protocol);
    await jobs.listJobs({});
    const revoked = (await keys().revokeApiKey({ id: apiKey!.id })).apiKey!;
    expect(revoked.revokeTime).toBeDefined();

    await refused(keys(key).whoAmI({}), Code.Unauthenticated);
    await refused(jobs.listJobs({}), Code.Unauthenticated);
    expect((await keys().listApiKeys({})).apiKeys.map((k) => k.id)).not.toContain(apiKey!.id);
    const withRevoked = (await keys().listApiKeys({ includeRevoked: true })).apiKeys.find((k) => k.id === apiKey!.id);
    expect(withRevoked?.revokeTime).toBeDefined();
    // Revoking again is harmless and keeps the first revocation time.
    expect((await keys().revokeApiKey({ id: apiKey!.id })).apiKey!.revokeTime).toEqual(revoked.revokeTime);
  });

  it("refuses unknown, malformed and missing keys, and revoking the caller's own key", async () => {
    await refused(keys("fc_not_a_real_key").whoAmI({}), Code.Unauthenticated);
    await refused(client(ApiKeyService, server.url, undefined, protocol).whoAmI({}), Code.Unauthenticated);
    const anonymous = client(ApiKeyService, server.url, undefined, protocol);
    await refused(anonymous.whoAmI({}, { headers: { authorization: `Basic ${btoa(`admin:${ADMIN_KEY}`)}` } }), Code.Unauthenticated);
    await refused(anonymous.whoAmI({}, { headers: { authorization: "Bearer" } }), Code.Unauthenticated);
    const self = (await keys().whoAmI({})).apiKey!;
    await refused(keys().revokeApiKey({ id: self.id }), Code.FailedPrecondition);
    await refused(keys().revokeApiKey({ id: "01890000-0000-7000-8000-000000000000" }), Code.NotFound);
  });
});
