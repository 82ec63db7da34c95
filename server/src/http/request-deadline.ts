import * as http2 from "node:http2";
import type { DescService } from "@bufbuild/protobuf";

/**
 * HTTP/2 has no headersTimeout or requestTimeout of its own: a stream whose body never ends would
 * keep its session busy (and so never idle) for ever. This resets a stream whose request side has
 * not ended within `timeoutMs`, unless its path is a streaming request (the worker session,
 * reflection), whose request side stays open by design.
 */
export function limitRequestTime(
  server: http2.Http2Server | http2.Http2SecureServer,
  timeoutMs: number,
  isStreamingRequest: (path: string) => boolean,
): void {
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    if (isStreamingRequest(String(headers[":path"] ?? "").split("?")[0])) return;
    const timer = setTimeout(() => {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    }, timeoutMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    stream.once("end", done);
    stream.once("close", done);
  });
}

/** A predicate for the URL paths of the client- and bidi-streaming methods of these services. */
export function streamingRequestPaths(services: DescService[]): (path: string) => boolean {
  const paths = new Set(
    services.flatMap((s) =>
      s.methods.filter((m) => m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming").map((m) => `/${s.typeName}/${m.name}`),
    ),
  );
  return (path) => paths.has(path);
}
