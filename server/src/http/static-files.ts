import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Serves the built dashboard. A path resolves inside the build folder or not at all: it is decoded
 * once, resolved, and its real path (symlinks followed) must still lie inside the real root.
 * Unknown paths that are not files fall back to index.html so client-side routes load. Source maps
 * (.map) are served only with `sourceMaps` (ORCH_UI_SOURCEMAPS=1): they publish the dashboard's
 * sources, and a build made before maps were opt-in may still hold them.
 */
export function createStaticHandler(rootDir: string, opts: { sourceMaps?: boolean } = {}) {
  const available = existsSync(join(rootDir, "index.html"));
  const root = available ? realpathSync(rootDir) : rootDir;

  function inside(file: string): string | undefined {
    try {
      const real = realpathSync(file);
      if (real !== root && !real.startsWith(root + sep)) return undefined;
      return statSync(real).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  return function serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (!available || (req.method !== "GET" && req.method !== "HEAD")) return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400, { ...SECURITY_HEADERS, "content-type": "text/plain" }).end("bad path");
      return true;
    }
    if (pathname.includes("\0")) {
      res.writeHead(400, { ...SECURITY_HEADERS, "content-type": "text/plain" }).end("bad path");
      return true;
    }
    if (!opts.sourceMaps && extname(pathname).toLowerCase() === ".map") {
      res.writeHead(404, SECURITY_HEADERS).end("not found");
      return true;
    }
    const candidate = resolve(root, `.${pathname}`);
    const file = inside(candidate) ?? (extname(pathname) === "" ? inside(join(root, "index.html")) : undefined);
    if (!file) {
      res.writeHead(404, SECURITY_HEADERS).end("not found");
      return true;
    }
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
