import { toBinary, toJsonString, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { bearer } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, refused, type Protocol } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

/** Every response message (as protobuf JSON and binary) and every error message the client saw. */
function recordingClient(protocol: Protocol) {
  const seen: Array<{ method: string; json: string; binary: Buffer }> = [];
  const errors: string[] = [];
  const record: Interceptor = (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) {
        const schema = req.method.output as DescMessage;
        const msg = res.message as Message;
        seen.push({ method: req.method.name, json: toJsonString(schema, msg), binary: Buffer.from(toBinary(schema, msg)) });
      }
      return res;
    } catch (err) {
      errors.push(String(err));
      throw err;
    }
  };
  const interceptors = [bearer(ADMIN_KEY), record];
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl: server.url, interceptors })
      : createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors });
  return { api: createClient(CredentialService, transport), seen, errors };
}

describe.each(PROTOCOLS)("credentials over connect-node (%s)", (protocol) => {
  it("create, list, update and delete; no response ever contains a value", async () => {
    const secret = `sk-secret-${protocol}-${Math.random().toString(36).slice(2)}`;
    const rotated = `${secret}-rotated`;
    const { api, seen, errors } = recordingClient(protocol);

    const { credential } = await api.createCredential({
      name: `openai ${protocol}`,
      description: "team key",
      env: { OPENAI_API_KEY: secret, OPENAI_ORG: `${secret}-org` },
    });
    expect(credential!.envNames).toEqual(["OPENAI_API_KEY", "OPENAI_ORG"]);
    expect(credential!.name).toBe(`openai ${protocol}`);

    const listed = (await api.listCredentials({})).credentials.find((c) => c.id === credential!.id)!;
    expect(listed.envNames).toEqual(["OPENAI_API_KEY", "OPENAI_ORG"]);
    expect(listed.description).toBe("team key");

    // A duplicate name is refused without echoing the values.
    await refused(api.createCredential({ name: `openai ${protocol}`, env: { OPENAI_API_KEY: secret } }), Code.AlreadyExists);

    const described = (await api.updateCredential({ id: credential!.id, description: "rotated monthly" })).credential!;
    expect(described.description).toBe("rotated monthly");
    expect(described.envNames).toEqual(["OPENAI_API_KEY", "OPENAI_ORG"]); // no env in the request keeps the variables

    const rotatedCred = (await api.updateCredential({ id: credential!.id, env: { ANTHROPIC_API_KEY: rotated } })).credential!;
    expect(rotatedCred.envNames).toEqual(["ANTHROPIC_API_KEY"]);
    expect(rotatedCred.description).toBe("rotated monthly");

    await api.deleteCredential({ id: credential!.id });
    expect((await api.listCredentials({})).credentials.map((c) => c.id)).not.toContain(credential!.id);
    await refused(api.deleteCredential({ id: credential!.id }), Code.NotFound);
    await refused(api.updateCredential({ id: credential!.id, description: "gone" }), Code.NotFound);

    expect(seen.map((s) => s.method)).toEqual([
      "CreateCredential",
      "ListCredentials",
      "UpdateCredential",
      "UpdateCredential",
      "DeleteCredential",
      "ListCredentials",
    ]);
    for (const { method, json, binary } of seen) {
      expect(json, method).not.toContain(secret.slice(0, 16));
      expect(binary.includes(secret.slice(0, 16)), method).toBe(false);
    }
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).not.toContain(secret.slice(0, 16));
  });
});

describe("credential storage", () => {
  it("keeps only ciphertext in the database", async () => {
    const secret = `sk-db-${Math.random().toString(36).slice(2)}`;
    const { api } = recordingClient("connect");
    const { credential } = await api.createCredential({ name: "stored", env: { TOKEN: secret } });
    const ds = server.app.db.dataSource;
    const rows: Array<Record<string, unknown>> = await ds.query(`SELECT * FROM credentials WHERE id = ?`, [credential!.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
