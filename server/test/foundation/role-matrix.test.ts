import { create, type DescMethod, type DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedServices } from "../../src/app";
import { rolePolicy } from "../../src/domain/auth/roles";
import { Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { PersonService } from "../../src/gen/flightcontrol/v1/person_pb";
import { ConnectRequestSchema, WorkerService, type ConnectRequest } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { newKey } from "./helpers";
import { generatedServices } from "../support/generated-services";

/** Every flightcontrol.v1 service: a new RPC must get a case below. */
const services = await generatedServices();

const path = (m: DescMethod) => `${m.parent.typeName}/${m.name}`;
const allMethods = services.flatMap((s) => s.methods);
const { ADMIN, OPERATOR, VIEWER, WORKER } = Role;
const ROLES = [ADMIN, OPERATOR, VIEWER, WORKER] as const;

/**
 * The role rules of docs/architecture.md section 7, written down independently of server/src/domain/auth/roles.ts: admin everything
 * but the worker session (its Assigns carry decrypted credentials: worker keys only); operator jobs,
 * runs, schedules, skills, the fleet (not the worker session), system, listing credential names and WhoAmI;
 * viewer the read-only subset of that; worker only its session and WhoAmI.
 */
function expectedRoles(m: DescMethod): Role[] {
  const service = m.parent.name;
  const read = /^(Get|List|Watch|Download|Export)/.test(m.name) || m.name === "WhoAmI";
  const operator =
    ["JobService", "RunService", "ScheduleService", "SkillService", "SystemService"].includes(service) ||
    (service === "WorkerService" && ["ListWorkers", "GetWorker", "WatchWorkers", "DrainWorker"].includes(m.name)) ||
    path(m) === "flightcontrol.v1.CredentialService/ListCredentials" ||
    // Every member sees the workspaces it may act in and who else is in them (the dashboard's switcher and members page).
    (service === "WorkspaceService" && read) ||
    path(m) === "flightcontrol.v1.ApiKeyService/WhoAmI";
  // People are instance-level (domain/auth/people.ts decides further): listing and forgetting
  // them is for admins; ending sessions for any member role, which a person ending their own has.
  if (service === "PersonService") return m.name === "EndSessions" ? [ADMIN, OPERATOR, VIEWER] : [ADMIN];
  const worker = ["flightcontrol.v1.WorkerService/Connect", "flightcontrol.v1.ApiKeyService/WhoAmI"].includes(path(m));
  const session = path(m) === "flightcontrol.v1.WorkerService/Connect";
  return [...(session ? [] : [ADMIN]), ...(operator ? [OPERATOR] : []), ...(operator && read ? [VIEWER] : []), ...(worker ? [WORKER] : [])];
}

let server: TestServer;
let transport: Transport;
let keys: Record<Role, string>;
let served: Set<string>;
let names = 0;
const fleet = new AbortController();

/** A person id that exists nowhere: PersonService's requests must be valid to reach its domain's verdict. */
const NOBODY = "0190cccc-0000-7000-8000-00000000b0d1";

/** A request message the server accepts past authentication: empty, except a worker session opens with a Hello. */
function firstRequest(m: DescMethod) {
  if (m === WorkerService.method.connect) return hello();
  if (m === PersonService.method.endSessions) return create(PersonService.method.endSessions.input, { personId: NOBODY });
  if (m === PersonService.method.deletePerson) return create(PersonService.method.deletePerson.input, { id: NOBODY });
  return create(m.input);
}

/**
 * Instance-level RPCs: the table lets a workspace role through, and the domain refuses any key
 * bound to a workspace (every key of this matrix is bound to the default one) with PermissionDenied.
 */
const instanceLevel = (m: DescMethod) => m.parent.typeName === PersonService.typeName;

function hello(): ConnectRequest {
  const name = `matrix-${++names}`;
  return create(ConnectRequestSchema, {
    message: { case: "hello", value: { name, capacity: 1, agents: ["codex"], instanceId: `${name}-instance`, version: "test" } },
  });
}

type Outcome = Code | "ok";

/** Calls a method with an empty request (or reads a stream's first message or error), and says how it ended. */
async function call(m: DescMethod, key: string | undefined): Promise<Outcome> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  try {
    if (m.methodKind === "unary") {
      await transport.unary(m as DescMethodUnary, undefined, 10_000, headers, firstRequest(m) as never);
      return "ok";
    }
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      // Client and bidi streams stay open until aborted, as a real worker's would.
      const input =
        m.methodKind === "server_streaming"
          ? createAsyncIterable([firstRequest(m)])
          : (async function* () {
              yield firstRequest(m);
              await new Promise((r) => ac.signal.addEventListener("abort", r, { once: true }));
            })();
      const first = (async () => {
        const res = await transport.stream(m as never, ac.signal, undefined, headers, input as never);
        for await (const _message of res.message) return "ok" as const;
        return "ok" as const;
      })();
      // Every stream opens with a message (or fails at once); a bound keeps a silent one from hanging the suite.
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${path(m)} sent neither a message nor an error within 10 s`)), 10_000);
      });
      return await Promise.race([first, silent]);
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  } catch (err) {
    if (err instanceof Error && err.message.includes("sent neither a message")) throw err;
    return ConnectError.from(err).code;
  }
}

const show = (o: Outcome) => (o === "ok" ? "ok" : Code[o]);

beforeAll(async () => {
  server = await startTestServer();
  transport = createGrpcTransport({ baseUrl: server.url });
  keys = {
    [ADMIN]: (await newKey(server.url, ADMIN, "matrix admin")).key,
    [OPERATOR]: (await newKey(server.url, OPERATOR)).key,
    [VIEWER]: (await newKey(server.url, VIEWER)).key,
    [WORKER]: (await newKey(server.url, WORKER)).key,
  } as Record<Role, string>;

  // A worker that stays connected, so the fleet is not empty (WatchWorkers opens with a snapshot of it).
  const session = await transport.stream(
    WorkerService.method.connect,
    fleet.signal,
    undefined,
    { authorization: `Bearer ${WORKER_KEY}` },
    (async function* () {
      yield hello();
      await new Promise((r) => fleet.signal.addEventListener("abort", r, { once: true }));
    })(),
  );
  for await (const msg of session.message) {
    expect(msg.message.case).toBe("welcome");
    break;
  }

  // A service the server does not serve answers Unimplemented before any authentication.
  served = new Set();
  for (const s of services) {
    const outcomes = await Promise.all(s.methods.map((m) => call(m, undefined)));
    if (outcomes.every((o) => o === Code.Unimplemented)) continue;
    expect(outcomes.map(show), `${s.typeName} is served, so every method must demand a key`).toEqual(s.methods.map(() => "Unauthenticated"));
    served.add(s.typeName);
  }
});
afterAll(async () => {
  fleet.abort();
  await server?.cleanup();
});

describe("role table", () => {
  it("has an entry for every RPC of every flightcontrol.v1 service, and nothing else", () => {
    expect(services.length).toBeGreaterThanOrEqual(7);
    const missing = allMethods.map(path).filter((p) => !rolePolicy.has(p));
    expect(missing, "RPCs missing from the role table in server/src/domain/auth/roles.ts").toEqual([]);
    const stale = [...rolePolicy.keys()].filter((p) => !allMethods.some((m) => path(m) === p));
    expect(stale, "role table entries for RPCs that do not exist").toEqual([]);
  });

  it("grants exactly what docs/architecture.md section 7 says", () => {
    const roleNames = (roles: Iterable<Role>) => [...roles].map((r) => Role[r]).sort();
    const actual = Object.fromEntries(allMethods.map((m) => [path(m), roleNames(rolePolicy.get(path(m)) ?? [])]));
    const expected = Object.fromEntries(allMethods.map((m) => [path(m), roleNames(expectedRoles(m))]));
    expect(actual).toEqual(expected);
  });

  it("is checked below for every service the server serves (the others show as skipped)", () => {
    expect([...served].sort()).toEqual(
      servedServices
        .map((s) => s.typeName)
        .filter((n) => n.startsWith("flightcontrol.v1."))
        .sort(),
    );
  });
});

describe("instance-level RPCs", () => {
  it("pass with the instance-admin key (bound to no workspace): the unknown person is NotFound, not refused", async () => {
    const people = client(PersonService, server.url, ADMIN_KEY);
    expect((await people.listPeople({})).people).toEqual([]);
    const outcomes = await Promise.all([PersonService.method.endSessions, PersonService.method.deletePerson].map((m) => call(m, ADMIN_KEY)));
    expect(outcomes.map(show)).toEqual(["NotFound", "NotFound"]);
  });
});

for (const service of services) {
  describe(`${service.typeName}: every RPC called with every kind of key`, () => {
    const methods = service.methods;
    const expectAll = async (key: string | undefined, code: Code) => {
      const outcomes = await Promise.all(methods.map(async (m) => [path(m), show(await call(m, key))]));
      expect(Object.fromEntries(outcomes)).toEqual(Object.fromEntries(methods.map((m) => [path(m), Code[code]])));
    };

    it("without a key: Unauthenticated", async (ctx) => {
      if (!served.has(service.typeName)) ctx.skip(`${service.typeName} is not served yet`);
      await expectAll(undefined, Code.Unauthenticated);
    });

    it("with an unknown key: Unauthenticated", async (ctx) => {
      if (!served.has(service.typeName)) ctx.skip(`${service.typeName} is not served yet`);
      await expectAll("fc_unknown_key_0000000000", Code.Unauthenticated);
    });

    for (const role of ROLES) {
      it(`as ${Role[role].toLowerCase()}: PermissionDenied where the table forbids, past authorization where it allows`, async (ctx) => {
        if (!served.has(service.typeName)) ctx.skip(`${service.typeName} is not served yet`);
        const got: Record<string, string> = {};
        const want: Record<string, string> = {};
        const crashed: string[] = [];
        for (const m of methods) {
          const outcome = await call(m, keys[role]);
          const allowed = rolePolicy.get(path(m))?.has(role) ?? false;
          want[path(m)] = allowed && !instanceLevel(m) ? "allowed" : "PermissionDenied";
          got[path(m)] = outcome === Code.PermissionDenied || outcome === Code.Unauthenticated ? show(outcome) : "allowed";
          // An empty request is bad input, not a reason to fail inside the server.
          if (outcome === Code.Internal || outcome === Code.Unknown || outcome === Code.Unimplemented) crashed.push(`${path(m)}: ${show(outcome)}`);
        }
        expect(got).toEqual(want);
        expect(crashed).toEqual([]);
      });
    }
  });
}
