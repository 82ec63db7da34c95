import type { DescMessage } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { explainUnknownField } from "./unknown-field";

/**
 * Request bodies connect-es cannot parse fail before any interceptor runs, so their errors are fixed
 * up here, in every protocol's error form (Connect unary JSON body, Connect end-stream message, gRPC
 * trailers, gRPC-Web trailer frame):
 * - a body that is not valid protobuf is reported as Internal ("parse binary: …"); it is the
 *   caller's mistake, so it becomes InvalidArgument;
 * - a JSON key no field has (the server reads JSON with `ignoreUnknownFields: false`, app.ts) is
 *   InvalidArgument already, but its message names only the nested type: it gets the key's path in
 *   the request and what to do about it (unknown-field.ts).
 */
const CLIENT_FAULTS = ["parse binary: ", "received compressed envelope, but do not know how to decompress"];
const isClientFault = (m: string) => CLIENT_FAULTS.some((p) => m.startsWith(p));
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Status {
  code: Code;
  message: string;
}

/** The status the caller should see instead of `status`, or undefined to leave it alone. */
function fixStatus(status: Status, input: DescMessage): Status | undefined {
  if (status.code === Code.Internal && isClientFault(status.message)) return { code: Code.InvalidArgument, message: status.message };
  if (status.code !== Code.InvalidArgument) return undefined;
  const message = explainUnknownField(input, status.message);
  return message === undefined ? undefined : { code: Code.InvalidArgument, message };
}

// The Connect protocol's names of the two codes involved.
const CONNECT_CODES: Partial<Record<string, Code>> = { internal: Code.Internal, invalid_argument: Code.InvalidArgument };

function rewriteConnectError(json: string, input: DescMessage): string | undefined {
  let err: { code?: string; message?: string; error?: { code?: string; message?: string } };
  try {
    err = JSON.parse(json);
  } catch {
    return undefined;
  }
  const e = err.error ?? err;
  const code = CONNECT_CODES[e.code ?? ""];
  if (code === undefined) return undefined;
  const fixed = fixStatus({ code, message: e.message ?? "" }, input);
  if (!fixed) return undefined;
  e.code = "invalid_argument";
  e.message = fixed.message;
  return JSON.stringify(err);
}

/** grpc-message is percent-encoded (gRPC's HTTP/2 spec); connect-es encodes it this way. */
const grpcMessage = (raw: string | null | undefined) => {
  try {
    return decodeURIComponent(raw ?? "");
  } catch {
    return raw ?? "";
  }
};

function rewriteGrpcWebTrailer(text: string, input: DescMessage): string | undefined {
  const code = /grpc-status:\s*(\d+)/i.exec(text)?.[1];
  if (code === undefined) return undefined;
  const fixed = fixStatus({ code: Number(code), message: grpcMessage(/grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1]) }, input);
  if (!fixed) return undefined;
  const lines = text.split("\r\n").filter((l) => l && !/^grpc-(status|message):/i.test(l));
  return [`grpc-status: ${fixed.code}`, `grpc-message: ${encodeURIComponent(fixed.message)}`, ...lines, ""].join("\r\n");
}

function rewriteEnvelope(chunk: Uint8Array, endFlag: number, input: DescMessage): Uint8Array {
  if (chunk.length < 5 || !(chunk[0]! & endFlag)) return chunk;
  const text = dec.decode(chunk.subarray(5));
  const out = endFlag === 0b10 ? rewriteConnectError(text, input) : rewriteGrpcWebTrailer(text, input);
  if (out === undefined) return chunk;
  const body = enc.encode(out);
  const framed = new Uint8Array(5 + body.length);
  framed[0] = chunk[0]!;
  new DataView(framed.buffer).setUint32(1, body.length);
  framed.set(body, 5);
  return framed;
}

export function parseErrorsAsInvalidArgument(handler: UniversalHandler): UniversalHandler {
  const input = handler.method.input;
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const res = await handler(req);
    const type = res.header?.get("content-type") ?? "";
    const source = res.body;
    if (!source || !(Symbol.asyncIterator in Object(source))) return res;
    const body = source as AsyncIterable<Uint8Array>;
    if (type.startsWith("application/grpc-web")) {
      return {
        ...res,
        body: (async function* () {
          for await (const c of body) yield rewriteEnvelope(c, 0x80, input);
        })(),
      };
    }
    if (type.startsWith("application/grpc")) {
      return {
        ...res,
        body: (async function* () {
          yield* body;
          const t = res.trailer;
          const code = t?.get("grpc-status");
          if (!t || code === null) return;
          const fixed = fixStatus({ code: Number(code), message: grpcMessage(t.get("grpc-message")) }, input);
          if (!fixed) return;
          t.set("grpc-status", String(fixed.code));
          t.set("grpc-message", encodeURIComponent(fixed.message));
        })(),
      };
    }
    if (type.startsWith("application/connect+")) {
      return {
        ...res,
        body: (async function* () {
          for await (const c of body) yield rewriteEnvelope(c, 0b10, input);
        })(),
      };
    }
    // A Connect unary error: a JSON body with an HTTP status (500 for Internal, 400 for InvalidArgument).
    if (res.status === 500 || res.status === 400) {
      const chunks: Uint8Array[] = [];
      for await (const c of body) chunks.push(c);
      const text = dec.decode(Buffer.concat(chunks));
      const out = text.startsWith("{") ? rewriteConnectError(text, input) : undefined;
      if (out === undefined)
        return {
          ...res,
          body: (async function* () {
            yield* chunks;
          })(),
        };
      const bytes = enc.encode(out);
      res.header?.set("content-length", String(bytes.length));
      return {
        ...res,
        status: 400,
        body: (async function* () {
          yield bytes;
        })(),
      };
    }
    return res;
  };
  return Object.assign(wrapped, handler);
}
