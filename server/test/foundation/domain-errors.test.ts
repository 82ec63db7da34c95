import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { notFound, resourceExhausted } from "../../src/domain/errors";
import { RunSchema, RunService, WatchRunResponseSchema } from "../../src/gen/flightcontrol/v1/run_pb";
import { domainErrorsToConnect } from "../../src/rpc/interceptors/domain-errors";

/** RunService stand-in: GetRun fails before answering, WatchRun after its first message. */
function routes(router: ConnectRouter) {
  router.service(RunService, {
    async getRun(req) {
      if (req.id === "boom") throw new Error("not a domain error");
      throw notFound("run", req.id);
    },
    async *watchRun() {
      yield create(WatchRunResponseSchema, { run: create(RunSchema, { id: "r1" }) });
      throw resourceExhausted("watcher fell behind; reconnect with after_seq=7");
    },
  });
}

const clientWith = (interceptors: Interceptor[]) => createClient(RunService, createRouterTransport(routes, { router: { interceptors } }));

const failure = async (p: Promise<unknown>) =>
  ConnectError.from(
    await p.then(
      () => undefined,
      (e: unknown) => e,
    ),
  );

describe("domain errors at the RPC edge", () => {
  it("a unary handler's DomainError reaches the client with its code and message", async () => {
    const err = await failure(clientWith([domainErrorsToConnect]).getRun({ id: "r9" }));
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toBe("run r9 not found");
  });

  it("a stream's DomainError thrown after messages were sent keeps its code", async () => {
    const got: string[] = [];
    const read = (async () => {
      for await (const m of clientWith([domainErrorsToConnect]).watchRun({ runId: "r1" })) got.push(m.run?.id ?? "");
    })();
    const err = await failure(read);
    expect(got).toEqual(["r1"]);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toBe("watcher fell behind; reconnect with after_seq=7");
  });

  it("without the interceptor the code is lost, which is what it is for", async () => {
    expect((await failure(clientWith([]).getRun({ id: "r9" }))).code).not.toBe(Code.NotFound);
  });

  it("passes any other error on unchanged, for the observe interceptor to log", async () => {
    let seen: unknown;
    const outer: Interceptor = (next) => async (req) => {
      try {
        return await next(req);
      } catch (err) {
        seen = err;
        throw err;
      }
    };
    await failure(clientWith([outer, domainErrorsToConnect]).getRun({ id: "boom" }));
    expect(seen).toBeInstanceOf(Error);
    expect(seen).not.toBeInstanceOf(ConnectError);
    expect((seen as Error).message).toBe("not a domain error");
  });
});
