import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type HandlerContext, type Transport } from "@connectrpc/connect";
import { ApiKeyService, PersonSchema, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunSchema, RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { WorkspaceSchema, WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { authInterceptor } from "../../src/lib/transport";
import { apiKey } from "./render";
import { silentStream } from "./streams";

export const DEFAULT_ID = "00000000-0000-7000-8000-000000000001";
export const ALPHA_ID = "0198a000-0000-7000-8000-0000000000a1";
export const BETA_ID = "0198a000-0000-7000-8000-0000000000b2";

export const workspace = (id: string, name: string) => create(WorkspaceSchema, { id, name, createTime: timestampFromMs(Date.now()) });

export interface FakeServerOptions {
  /** The workspaces ListWorkspaces answers with, in name order. */
  workspaces?: { id: string; name: string }[];
  /** The caller's role by workspace id (default: admin everywhere). */
  roles?: Record<string, Role>;
  instanceAdmin?: boolean;
  /** Accept the session cookie: requests without a key are this person. */
  person?: { id: string; email: string; name: string };
}

/**
 * A control plane that scopes what it serves by x-workspace-id, as the real one does: each
 * workspace holds one run, `run-<workspace id>`. It knows the key "admin-key" and, when given, a
 * signed-in person. It records the workspace every ListRuns and WatchRuns was made in.
 */
export function fakeWorkspaceServer(opts: FakeServerOptions = {}) {
  const list = opts.workspaces ?? [
    { id: ALPHA_ID, name: "alpha" },
    { id: BETA_ID, name: "beta" },
  ];
  const calls = { listRuns: [] as string[], watchRunsOpened: [] as string[], watchRunsClosed: [] as string[] };
  const state = { person: opts.person };

  const workspaceOf = (ctx: HandlerContext) => {
    const named = ctx.requestHeader.get("x-workspace-id");
    const id = named ?? (opts.instanceAdmin ? DEFAULT_ID : list[0]!.id);
    if (!list.some((w) => w.id === id) && id !== DEFAULT_ID) throw new ConnectError(`workspace ${id} not found`, Code.NotFound);
    return id;
  };
  const authenticate = (ctx: HandlerContext) => {
    const auth = ctx.requestHeader.get("Authorization");
    if (auth === "Bearer admin-key") return "key" as const;
    if (auth === null && state.person) return "person" as const;
    throw new ConnectError("sign in first", Code.Unauthenticated);
  };

  const transport: Transport = createRouterTransport(
    (router) => {
      router.service(ApiKeyService, {
        whoAmI(_req, ctx) {
          const who = authenticate(ctx);
          const ws = workspaceOf(ctx);
          const role = opts.roles?.[ws] ?? Role.ADMIN;
          const common = { workspaceId: ws, role, instanceAdmin: !!opts.instanceAdmin };
          if (who === "person") return { ...common, person: create(PersonSchema, state.person) };
          return { ...common, apiKey: apiKey(Role.ADMIN, "admin key") };
        },
      });
      router.service(WorkspaceService, {
        listWorkspaces(_req, ctx) {
          authenticate(ctx);
          return { workspaces: list.map((w) => workspace(w.id, w.name)) };
        },
      });
      router.service(RunService, {
        listRuns(_req, ctx) {
          authenticate(ctx);
          const ws = workspaceOf(ctx);
          calls.listRuns.push(ws);
          return { runs: [create(RunSchema, { id: `run-${ws}`, status: RunStatus.RUNNING, createTime: timestampFromMs(Date.now()) })] };
        },
        async *watchRuns(_req, ctx) {
          authenticate(ctx);
          const ws = workspaceOf(ctx);
          calls.watchRunsOpened.push(ws);
          yield* silentStream(ctx.signal);
          calls.watchRunsClosed.push(ws);
        },
      });
      router.service(SystemService, { getStats: () => ({ queueDepth: 0n, slotsTotal: 1, slotsUsed: 0, workersOnline: 1 }) });
      router.service(WorkerService, {
        listWorkers: () => ({ workers: [] }),
        watchWorkers: (_req, ctx) => silentStream(ctx.signal),
      });
    },
    { transport: { interceptors: [authInterceptor] } },
  );
  return {
    transport,
    calls,
    /** The session cookie expires or is cleared: requests without a key are refused from now on. */
    endSession() {
      state.person = undefined;
    },
  };
}
