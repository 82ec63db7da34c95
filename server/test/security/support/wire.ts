import * as http2 from "node:http2";
import * as net from "node:net";
import { Code } from "@connectrpc/connect";

/** What a request got back, whatever the protocol: a Connect/gRPC code name ("ok" when none), the message and the raw text. */
export interface WireResult {
  httpStatus: number;
  code: string;
  message: string;
  /** Everything the server sent (headers, body, trailers) as text, to search for stack traces and secrets. */
  raw: string;
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [v as number, k.replace(/[A-Z]/g, (c, i) => (i ? "_" : "") + c.toLowerCase())]),
);
/** Code.InvalidArgument -> "invalid_argument", the Connect protocol's spelling. */
export const codeName = (code: Code): string => CODE_NAMES[code];

/** A 5-byte envelope (flags, big-endian length) around a payload; `length` may lie. */
export function envelope(payload: Uint8Array, flags = 0, length = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** Splits a body into envelopes; a trailing partial envelope is returned as `rest`. */
export function unenvelope(body: Buffer): { frames: Array<{ flags: number; data: Buffer }>; rest: Buffer } {
  const frames: Array<{ flags: number; data: Buffer }> = [];
  let off = 0;
  while (off + 5 <= body.length) {
    const len = body.readUInt32BE(off + 1);
    if (off + 5 + len > body.length) break;
    frames.push({ flags: body[off], data: body.subarray(off + 5, off + 5 + len) });
    off += 5 + len;
  }
  return { frames, rest: body.subarray(off) };
}

/** Connect protocol, JSON, unary: POST the exact body text given. */
export async function connectUnary(
  baseUrl: string,
  path: string,
  body: string | Uint8Array,
  opts: { key?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<WireResult> {
  const res = await fetch(baseUrl + path, {
    method: "POST",
    headers: {
      "content-type": opts.contentType ?? "application/json",
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...opts.headers,
    },
    body,
  });
  const text = await res.text();
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  if (res.status === 200) return { httpStatus: 200, code: "ok", message: "", raw: `${headerText}\n\n${text}` };
  let code = `http_${res.status}`;
  let message = text;
  try {
    const err = JSON.parse(text) as { code?: string; message?: string };
    if (err.code) code = err.code;
    message = err.message ?? "";
  } catch {
    // Not a Connect error body (e.g. a plain 404 from the router): keep the HTTP status as the code.
  }
  return { httpStatus: res.status, code, message, raw: `${headerText}\n\n${text}` };
}

/**
 * Connect protocol, JSON, streaming (server or bidi), half duplex over HTTP/1.1: the whole request
 * stream is sent, then the response stream is read to its end-stream message. `timeoutMs` bounds
 * streams that would stay open (a valid watch).
 */
export async function connectStream(
  baseUrl: string,
  path: string,
  messages: Array<string | Uint8Array>,
  opts: { key?: string; timeoutMs?: number; rawBody?: Uint8Array } = {},
): Promise<WireResult & { items: number }> {
  const body = opts.rawBody ?? Buffer.concat(messages.map((m) => envelope(typeof m === "string" ? Buffer.from(m) : m)));
  const abort = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const res = await fetch(baseUrl + path, {
    method: "POST",
    headers: { "content-type": "application/connect+json", ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) },
    body,
    signal: abort,
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  const raw = `${headerText}\n\n${buf.toString("utf8")}`;
  if (res.status !== 200) {
    let code = `http_${res.status}`;
    let message = buf.toString("utf8");
    try {
      const err = JSON.parse(message) as { code?: string; message?: string };
      if (err.code) code = err.code;
      message = err.message ?? "";
    } catch {
      // plain body
    }
    return { httpStatus: res.status, code, message, raw, items: 0 };
  }
  const { frames } = unenvelope(buf);
  const end = frames.find((f) => f.flags & 0b10);
  const items = frames.filter((f) => !(f.flags & 0b10)).length;
  if (!end) return { httpStatus: 200, code: "no_end_stream", message: "", raw, items };
  const parsed = JSON.parse(end.data.toString("utf8")) as { error?: { code: string; message?: string } };
  return { httpStatus: 200, code: parsed.error?.code ?? "ok", message: parsed.error?.message ?? "", raw, items };
}

/** One gRPC (HTTP/2) request with the exact bytes given as its body. */
export function grpcRaw(
  session: http2.ClientHttp2Session,
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<WireResult> {
  return new Promise((resolve) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let status = 0;
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
    req.on("response", (h) => {
      head = h;
      status = Number(h[":status"]);
    });
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (d: Buffer) => chunks.push(d));
    const finish = (extra = "") => {
      clearTimeout(timer);
      const grpcStatus = trailers["grpc-status"] ?? head["grpc-status"];
      const grpcMessage = decodeURIComponent(String(trailers["grpc-message"] ?? head["grpc-message"] ?? ""));
      const code = grpcStatus === undefined ? `http_${status}${extra}` : grpcStatus === "0" ? "ok" : codeName(Number(grpcStatus) as Code);
      const text = (h: http2.IncomingHttpHeaders) =>
        Object.entries(h)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join("\n");
      resolve({
        httpStatus: status,
        code,
        message: grpcMessage,
        raw: `${text(head)}\n\n${Buffer.concat(chunks).toString("utf8")}\n\n${text(trailers)}`,
      });
    };
    req.on("end", () => finish());
    req.on("error", (e) => finish(`:${e.message}`));
    req.end(body);
  });
}

/** Sends exact bytes on a fresh TCP connection and collects whatever comes back until the server closes or `idleMs` passes. */
export function rawTcp(port: number, bytes: Uint8Array | string, idleMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let out = "";
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, idleMs);
    };
    socket.on("data", (d) => {
      out += d.toString("latin1");
      arm();
    });
    socket.on("error", done);
    socket.on("close", done);
    socket.write(bytes, () => arm());
  });
}

/**
 * An HTTP/1.1 request written byte for byte on a socket, so the request target reaches the server
 * exactly as given (fetch and http.request normalise or refuse odd paths).
 */
export async function rawHttp(
  port: number,
  target: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: "close", ...opts.headers };
  if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
  const head = `${opts.method ?? "GET"} ${target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
  const bytes = Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(opts.body ?? "")]);
  const text = await rawTcp(port, bytes, 3000);
  const split = text.indexOf("\r\n\r\n");
  if (split < 0) return { status: 0, headers: {}, body: text };
  const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
  const parsed: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) parsed[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = text.slice(split + 4);
  if (parsed["transfer-encoding"]?.includes("chunked")) {
    let out = "";
    let rest = body;
    for (;;) {
      const nl = rest.indexOf("\r\n");
      const size = parseInt(rest.slice(0, nl), 16);
      if (!size || nl < 0) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    body = out;
  }
  return { status: Number(statusLine.split(" ")[1]), headers: parsed, body: Buffer.from(body, "latin1").toString("utf8") };
}

/** Signs that internals leaked into an error: stack frames, source paths, driver errors. */
const LEAK =
  /\n\s+at\s|\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|\/work\/|node_modules|SQLITE_|QueryFailedError|TypeError|ReferenceError|Cannot read propert/;

export function leaksInternals(text: string): string | undefined {
  return LEAK.exec(text)?.[0];
}

/** Connect protocol streaming (JSON) over HTTP/2, for bidi methods that HTTP/1.1 cannot carry. */
export function connectStreamH2(
  session: http2.ClientHttp2Session,
  path: string,
  messages: Array<string | Uint8Array>,
  key?: string,
  timeoutMs = 10_000,
): Promise<WireResult> {
  return new Promise((resolve) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/connect+json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    });
    let status = 0;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", (d: Buffer) => chunks.push(d));
    const finish = (extra = "") => {
      clearTimeout(timer);
      const buf = Buffer.concat(chunks);
      const raw = buf.toString("utf8");
      if (status !== 200) {
        resolve({ httpStatus: status, code: `http_${status}${extra}`, message: raw, raw });
        return;
      }
      const end = unenvelope(buf).frames.find((f) => f.flags & 0b10);
      if (!end) {
        resolve({ httpStatus: status, code: `no_end_stream${extra}`, message: "", raw });
        return;
      }
      const parsed = JSON.parse(end.data.toString("utf8")) as { error?: { code: string; message?: string } };
      resolve({ httpStatus: status, code: parsed.error?.code ?? "ok", message: parsed.error?.message ?? "", raw });
    };
    req.on("end", () => finish());
    req.on("error", (e) => finish(`:${e.message}`));
    req.end(Buffer.concat(messages.map((m) => envelope(typeof m === "string" ? Buffer.from(m) : m))));
  });
}
