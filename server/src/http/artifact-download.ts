import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { Role } from "../gen/flightcontrol/v1/api_key_pb";
import type { Authenticate } from "../domain/auth/authenticate";
import { roleName, rolePolicy } from "../domain/auth/roles";
import type { Artifacts } from "../domain/artifacts/artifacts";
import { WORKSPACE_HEADER } from "../rpc/interceptors/auth";
import { isDomainError } from "../domain/errors";
import { readCookie, SESSION_COOKIE } from "./cookies";
import { SECURITY_HEADERS } from "./static-files";

/** The same roles as RunService.DownloadArtifact: one role table for both ways in. */
const DOWNLOAD_METHOD = "flightcontrol.v1.RunService/DownloadArtifact";
const PATH = /^\/artifacts\/([0-9a-fA-F-]{36})$/;

/**
 * GET (or HEAD) /artifacts/<id>: an artifact's bytes for curl and the dashboard, with
 * `Authorization: Bearer <key>` (never a key in the URL, which would end up in logs and history) or
 * a signed-in person's session cookie.
 * Sent as an attachment with its name, its sha256 as the ETag, and the dashboard's security headers;
 * `If-None-Match` with that ETag gets 304. Returns false for any other request.
 *
 * The artifact must be in the request's workspace (resolved as for the RPCs: the key's own, or the
 * one an instance-admin key or a person names in x-workspace-id); any other is 404.
 */
export function createArtifactDownload(authenticate: Authenticate, artifacts: Pick<Artifacts, "open" | "openForWorker">) {
  const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", ...extra });
    res.end(body);
  };

  return async function serveArtifact(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "").split("?")[0];
    if (!path.startsWith("/artifacts/")) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      text(res, 405, "artifacts are read with GET", { allow: "GET, HEAD" });
      return true;
    }
    const header = req.headers[WORKSPACE_HEADER];
    const caller = await authenticate(
      {
        authorization: req.headers.authorization,
        sessionToken: readCookie(req.headers.cookie, SESSION_COOKIE),
        workspace: typeof header === "string" ? header : undefined,
      },
      // A GET only reads, and a cross-site page cannot read the answer: the cookie alone will do, so
      // the dashboard can offer a plain download link.
      { requireCsrf: false },
    ).catch((err: unknown) => {
      if (isDomainError(err) && (err.kind === "unauthenticated" || err.kind === "not_found")) return err;
      throw err;
    });
    if (isDomainError(caller)) {
      if (caller.kind === "not_found") text(res, 404, caller.message);
      else text(res, 401, caller.message, { "www-authenticate": 'Bearer realm="flightcontrol"' });
      return true;
    }
    const { principal, workspaceId } = caller;
    if (workspaceId === undefined) {
      const email = principal.person?.email ?? principal.name;
      text(res, 403, `${email} is not a member of any workspace yet: ask a workspace admin to add ${email}`);
      return true;
    }
    // A worker key is not in the role table's list, but a follow-up's worker fetches its parent's
    // diff and session here; openForWorker allows exactly that and refuses the rest (403).
    const asWorker = principal.role === Role.WORKER;
    if (!asWorker && !rolePolicy.get(DOWNLOAD_METHOD)?.has(principal.role)) {
      text(res, 403, `the ${roleName(principal.role)} role may not download artifacts`);
      return true;
    }
    const id = PATH.exec(path)?.[1];
    if (!id) {
      text(res, 404, "no such artifact: the path is /artifacts/<artifact id>");
      return true;
    }
    const open = asWorker ? (a: string) => artifacts.openForWorker(a, principal.keyId) : (a: string) => artifacts.open(workspaceId, a);
    const opened = await open(id.toLowerCase()).catch((err: unknown) => {
      if (isDomainError(err) && (err.kind === "not_found" || err.kind === "permission_denied")) return err;
      throw err;
    });
    if (isDomainError(opened)) {
      text(res, opened.kind === "not_found" ? 404 : 403, opened.message);
      return true;
    }
    const { artifact, body } = opened;
    const etag = `"${artifact.sha256}"`;
    const headers = {
      ...SECURITY_HEADERS,
      "content-type": artifact.contentType,
      "content-length": String(artifact.sizeBytes),
      "content-disposition": contentDisposition(artifact.name),
      etag,
      "cache-control": "private, no-cache",
    };
    if (req.method === "HEAD" || req.headers["if-none-match"] === etag) {
      body.destroy();
      if (req.method === "HEAD") res.writeHead(200, headers).end();
      else res.writeHead(304, { ...SECURITY_HEADERS, etag }).end();
      return true;
    }
    res.writeHead(200, headers);
    // A client that goes away mid-download ends the pipeline; that is not a server error.
    await pipeline(body, res).catch(() => res.destroy());
    return true;
  };
}

/** attachment; filename="<ASCII fallback>"; filename*=UTF-8''<the real base name> (RFC 6266). */
function contentDisposition(name: string): string {
  const base = name.split("/").pop() || "artifact";
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}
