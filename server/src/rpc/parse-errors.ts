import { Code } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * connect-es reports a request body that is not valid protobuf as Internal ("parse binary: …"),
 * before any interceptor runs. It is the caller's mistake: rewrite it to InvalidArgument in every
 * protocol's error form (Connect unary JSON body, Connect end-stream message, gRPC trailers, gRPC-Web
 * trailer frame).
 */
const PARSE = "parse binary: ";
const CLIENT_FAULTS = [PARSE, "received compressed envelope, but do not know how to decompress"];
const isClientFault = (m: string | undefined) => CLIENT_FAULTS.some((p) => m?.startsWith(p));
const enc = new TextEncoder();
const dec = new TextDecoder();

function rewriteConnectError(json: string): string | undefined {
  const err = JSON.parse(json) as { code?: string; message?: string; error?: { code?: string; message?: string } };
  const e = err.error ?? err;
  if (e.code !== "internal" || !isClientFault(e.message)) return undefined;
  e.code = "invalid_argument";
  return JSON.stringify(err);
}

function rewriteEnvelope(chunk: Uint8Array, endFlag: number): Uint8Array {
  if (chunk.length < 5 || !(chunk[0] & endFlag)) return chunk;
  const text = dec.decode(chunk.subarray(5));
  let out: string | undefined;
  if (endFlag === 0b10) out = rewriteConnectError(text);
  else if (/grpc-status:\s*13\b/i.test(text) && isClientFault(decodeURIComponent(/grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1] ?? ""))) {
    out = text.replace(/grpc-status:\s*13\b/i, `grpc-status: ${Code.InvalidArgument}`);
  }
  if (out === undefined) return chunk;
  const body = enc.encode(out);
  const head = new Uint8Array(5);
  head[0] = chunk[0];
  new DataView(head.buffer).setUint32(1, body.length);
  const framed = new Uint8Array(5 + body.length);
  framed.set(head);
  framed.set(body, 5);
  return framed;
}

export function parseErrorsAsInvalidArgument(handler: UniversalHandler): UniversalHandler {
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const res = await handler(req);
    const type = res.header?.get("content-type") ?? "";
    const source = res.body;
    if (!source || !(Symbol.asyncIterator in Object(source))) return res;
    const body = source as AsyncIterable<Uint8Array>;
    if (type.startsWith("application/grpc-web")) {
      return { ...res, body: (async function* () { for await (const c of body) yield rewriteEnvelope(c, 0x80); })() };
    }
    if (type.startsWith("application/grpc")) {
      return {
        ...res,
        body: (async function* () {
          yield* body;
          const t = res.trailer;
          if (t?.get("grpc-status") === "13" && isClientFault(decodeURIComponent(t.get("grpc-message") ?? ""))) t.set("grpc-status", String(Code.InvalidArgument));
        })(),
      };
    }
    if (type.startsWith("application/connect+")) {
      return { ...res, body: (async function* () { for await (const c of body) yield rewriteEnvelope(c, 0b10); })() };
    }
    if (res.status === 500) {
      const chunks: Uint8Array[] = [];
      for await (const c of body) chunks.push(c);
      const text = dec.decode(Buffer.concat(chunks));
      const out = text.startsWith("{") ? rewriteConnectError(text) : undefined;
      if (out === undefined) return { ...res, body: (async function* () { yield* chunks; })() };
      const bytes = enc.encode(out);
      res.header?.set("content-length", String(bytes.length));
      return { ...res, status: 400, body: (async function* () { yield bytes; })() };
    }
    return res;
  };
  return Object.assign(wrapped, handler);
}
