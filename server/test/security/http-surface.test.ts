/**
 * The plain-HTTP surface: static files never leave the dashboard's build folder (encoded dot-dots,
 * backslashes, NUL bytes, absolute forms, symlinks pointing out, very long paths — sent byte for
 * byte on a socket, since fetch would normalise them); client routes fall back to index.html; the
 * dashboard carries its security headers; no CORS wildcard with credentials; and an API key is only
 * ever accepted from the Authorization header, never from a URL.
 */
import * as http2 from "node:http2";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { connectUnary, envelope, grpcRaw, rawHttp } from "./support/wire";

const INDEX = "<!doctype html><title>Flight Control</title><div id=root>index-marker</div>";
const ASSET = "console.log('asset-marker');";
const SECRET = "TOP-SECRET-OUTSIDE-THE-UI-DIR";
let server: TestServer;
// Made at collection time: the list of escape paths names it.
const dir = mkdtempSync(join(tmpdir(), "fc-http-"));

beforeAll(async () => {
  const ui = join(dir, "ui");
  mkdirSync(join(ui, "assets"), { recursive: true });
  writeFileSync(join(ui, "index.html"), INDEX);
  writeFileSync(join(ui, "assets", "app-1234.js"), ASSET);
  writeFileSync(join(dir, "secret.txt"), SECRET);
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "outside", "secret.txt"), SECRET);
  writeFileSync(join(dir, "ui-sibling.txt"), SECRET);
  symlinkSync(join(dir, "secret.txt"), join(ui, "link-to-secret.txt"));
  symlinkSync(join(dir, "outside"), join(ui, "linked-dir"));
  symlinkSync(join(dir, "secret.txt"), join(ui, "assets", "linked.js"));
  server = await startTestServer({ uiDir: ui });
});
afterAll(async () => {
  await server?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("static files stay inside the UI build folder", () => {
  const escapes = [
    "/../secret.txt",
    "/../../secret.txt",
    "/assets/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/..%2F..%2Fsecret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/%25252e%25252e/secret.txt",
    "/..\\secret.txt",
    "/\\..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/..%5csecret.txt",
    "/assets\\..\\..\\secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%c0%af../secret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/..%00/secret.txt",
    "/secret.txt%00.html",
    "/index.html%00",
    "/%00",
    "/%",
    "/%zz",
    `/${dir}/secret.txt`,
    `/${encodeURIComponent(join(dir, "secret.txt"))}`,
    `//${dir.slice(1)}/secret.txt`,
    "//../secret.txt",
    `http://127.0.0.1/../secret.txt`,
    `http://127.0.0.1/%2e%2e/secret.txt`,
    "/link-to-secret.txt",
    "/linked-dir/secret.txt",
    "/linked-dir/../secret.txt",
    "/assets/linked.js",
    "/ui-sibling.txt",
    "/../ui-sibling.txt",
    "/%2e%2e/ui-sibling.txt",
    "/./../secret.txt",
    "/assets/./../../secret.txt",
    "/;/../secret.txt",
    "/..;/secret.txt",
    "/..%c0%afsecret.txt",
    `/${"a/".repeat(2000)}../../secret.txt`,
    `/${"..%2f".repeat(50)}secret.txt`,
    `/${"x".repeat(8000)}`,
  ];

  it.each(escapes)("GET %s reveals nothing outside", async (target) => {
    for (const method of ["GET", "HEAD"]) {
      const res = await rawHttp(server.port, target, { method });
      expect(res.body, `${method} ${target}`).not.toContain(SECRET);
      expect([200, 400, 404, 414, 431], `${method} ${target}: ${res.status}`).toContain(res.status);
      if (res.status === 200 && method === "GET") expect(res.body, target).toBe(INDEX);
    }
  });

  it("a NUL byte or a raw space in the request line is refused, not served", async () => {
    for (const target of ["/secret.txt\u0000", "/../secret.txt\u0000.html", "/index.html\u0000../secret.txt"]) {
      const res = await rawHttp(server.port, target);
      expect(res.body).not.toContain(SECRET);
      expect(res.status === 400 || res.status === 0 || res.status === 404, `${JSON.stringify(target)}: ${res.status}`).toBe(true);
    }
  });

  it("the same escapes over HTTP/2 (h2c) reveal nothing", async () => {
    const h2 = http2.connect(server.url);
    try {
      for (const path of [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/link-to-secret.txt",
        "/linked-dir/secret.txt",
        "/..\\secret.txt",
      ]) {
        const body = await new Promise<string>((resolve) => {
          const req = h2.request({ ":method": "GET", ":path": path });
          let text = "";
          req.on("data", (d: Buffer) => (text += d.toString()));
          req.on("end", () => resolve(text));
          req.on("error", () => resolve(text));
          req.end();
        });
        expect(body, path).not.toContain(SECRET);
      }
    } finally {
      h2.close();
    }
  });

  it("serves the real files, and index.html for client routes (SPA fallback)", async () => {
    const index = await rawHttp(server.port, "/");
    expect(index.status).toBe(200);
    expect(index.body).toBe(INDEX);
    expect(index.headers["content-type"]).toMatch(/text\/html/);
    const asset = await rawHttp(server.port, "/assets/app-1234.js");
    expect(asset.status).toBe(200);
    expect(asset.body).toBe(ASSET);
    expect(asset.headers["content-type"]).toMatch(/javascript/);
    for (const route of ["/runs", "/runs/01890000-0000-7000-8000-000000000000", "/jobs/new?x=1", "/settings/keys#frag"]) {
      const res = await rawHttp(server.port, route);
      expect(res.status, route).toBe(200);
      expect(res.body, route).toBe(INDEX);
    }
    // A missing file with an extension is a 404, not the app shell.
    expect((await rawHttp(server.port, "/assets/missing-9999.js")).status).toBe(404);
  });
});

describe("security headers on the dashboard", () => {
  it.each(["/", "/index.html", "/runs/123", "/assets/app-1234.js", "/assets/missing-9999.js", "/%2e%2e/secret.txt"])("%s", async (path) => {
    const res = await rawHttp(server.port, path);
    const csp = res.headers["content-security-policy"] ?? "";
    expect(csp, `${path}: CSP`).toMatch(/default-src 'self'/);
    expect(csp, `${path}: CSP`).toMatch(/frame-ancestors 'none'/);
    expect(csp, `${path}: no unsafe-eval`).not.toMatch(/unsafe-eval/);
    expect(csp, `${path}: scripts only from self`).not.toMatch(/script-src[^;]*(unsafe-inline|\*)/);
    expect(res.headers["x-frame-options"], `${path}: X-Frame-Options`).toBe("DENY");
    expect(res.headers["x-content-type-options"], `${path}: nosniff`).toBe("nosniff");
  });

  it("the 400 for an undecodable path carries them too", async () => {
    const res = await rawHttp(server.port, "/%");
    expect(res.status).toBe(400);
    expect(res.headers["x-content-type-options"], "nosniff on 400").toBe("nosniff");
    expect(res.headers["content-security-policy"] ?? "", "CSP on 400").toMatch(/frame-ancestors 'none'/);
  });
});

describe("CORS", () => {
  const EVIL = "https://evil.example";
  const check = (headers: Record<string, string>, what: string) => {
    const origin = headers["access-control-allow-origin"];
    const credentials = headers["access-control-allow-credentials"];
    expect(origin === "*" && credentials === "true", `${what}: wildcard origin with credentials`).toBe(false);
    expect(origin === EVIL && credentials === "true", `${what}: reflects a foreign origin with credentials`).toBe(false);
    expect(origin, `${what}: allows a foreign origin`).not.toBe(EVIL);
  };

  it("a preflight from a foreign origin is not granted", async () => {
    for (const path of ["/flightcontrol.v1.ApiKeyService/WhoAmI", "/flightcontrol.v1.RunService/WatchRun", "/", "/metrics"]) {
      const res = await rawHttp(server.port, path, {
        method: "OPTIONS",
        headers: {
          origin: EVIL,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type, connect-protocol-version",
        },
      });
      check(res.headers, `OPTIONS ${path}`);
    }
  });

  it("a cross-origin RPC gets no CORS grant (and still needs a key)", async () => {
    const res = await connectUnary(server.url, "/flightcontrol.v1.ApiKeyService/WhoAmI", "{}", { key: ADMIN_KEY, headers: { origin: EVIL } });
    const headers = Object.fromEntries(
      res.raw
        .split("\n\n")[0]
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
    );
    check(headers, "POST WhoAmI");
    const page = await rawHttp(server.port, "/", { headers: { origin: EVIL } });
    check(page.headers, "GET /");
  });
});

describe("the API key is never taken from a URL", () => {
  const WHOAMI = "/flightcontrol.v1.ApiKeyService/WhoAmI";
  const params = ["key", "api_key", "apikey", "authorization", "access_token", "token", "bearer", "Authorization"];

  it.each(params)("?%s=<admin key> over Connect is Unauthenticated", async (param) => {
    for (const value of [ADMIN_KEY, `Bearer ${ADMIN_KEY}`]) {
      const res = await connectUnary(server.url, `${WHOAMI}?${param}=${encodeURIComponent(value)}`, "{}");
      expect(res.code, `${param}=${value}`).toBe("unauthenticated");
      expect(res.httpStatus).toBe(401);
    }
  });

  it("a Connect GET with the key in the query is not served", async () => {
    const q = `connect=v1&encoding=json&message=${encodeURIComponent("{}")}`;
    for (const param of params) {
      const res = await rawHttp(server.port, `${WHOAMI}?${q}&${param}=${encodeURIComponent(ADMIN_KEY)}`);
      expect([401, 405, 415], `${param}: ${res.status} ${res.body}`).toContain(res.status);
      expect(res.body).not.toContain("ROLE_ADMIN");
    }
  });

  it("gRPC with the key in the :path query, or in a cookie, is Unauthenticated", async () => {
    const h2 = http2.connect(server.url);
    try {
      for (const param of params) {
        const res = await grpcRaw(h2, `${WHOAMI}?${param}=${ADMIN_KEY}`, envelope(new Uint8Array()));
        expect(res.code, param).toBe("unauthenticated");
      }
      const cookie = await grpcRaw(h2, WHOAMI, envelope(new Uint8Array()), { cookie: `authorization=Bearer ${ADMIN_KEY}; key=${ADMIN_KEY}` });
      expect(cookie.code).toBe("unauthenticated");
    } finally {
      h2.close();
    }
  });

  it("only the Bearer scheme of the Authorization header counts", async () => {
    for (const header of [
      `Basic ${Buffer.from(`x:${ADMIN_KEY}`).toString("base64")}`,
      ADMIN_KEY,
      `Token ${ADMIN_KEY}`,
      `Bearer`,
      `Bearer ${ADMIN_KEY}x`,
      `Bearer ${ADMIN_KEY.slice(0, -1)}`,
    ]) {
      const res = await connectUnary(server.url, WHOAMI, "{}", { headers: { authorization: header } });
      expect(res.code, header).toBe("unauthenticated");
    }
    expect((await connectUnary(server.url, WHOAMI, "{}", { key: ADMIN_KEY })).code).toBe("ok");
  });
});
