import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

export const bearer = (key: string): Interceptor => (next) => (req) => {
  req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};

/** A connect-node client over gRPC (HTTP/2) or the Connect protocol (HTTP/1.1), with a key. */
export function client<S extends DescService>(service: S, baseUrl: string, key?: string, protocol: "grpc" | "connect" = "connect"): Client<S> {
  const interceptors = key ? [bearer(key)] : [];
  const transport = protocol === "grpc"
    ? createGrpcTransport({ baseUrl, interceptors })
    : createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
  return createClient(service, transport);
}

/** Resolves when check() returns a truthy value; polls a cheap condition instead of sleeping a fixed time. */
export async function waitFor<T>(check: () => Promise<T> | T, { timeoutMs = 20_000, intervalMs = 25, what = "condition" } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
