import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

/** Sends the key as a bearer token, as the dashboard, the CLI and the worker do. */
export const bearer =
  (key: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };

/** A connect-node client over gRPC (HTTP/2) or the Connect protocol (HTTP/1.1), with a key. */
export function client<S extends DescService>(service: S, baseUrl: string, key?: string, protocol: "grpc" | "connect" = "connect"): Client<S> {
  const interceptors = key ? [bearer(key)] : [];
  const transport =
    protocol === "grpc" ? createGrpcTransport({ baseUrl, interceptors }) : createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
  return createClient(service, transport);
}
