/**
 * Finding 10 (parts): /metrics was open to anyone, and the dashboard shipped (and the server
 * served) its source maps. Now /metrics takes a bearer token when ORCH_METRICS_TOKEN is set, and
 * source maps are built and served only with ORCH_UI_SOURCEMAPS=1.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "../../../testkit/test-server";

const TOKEN = "metrics-token-0123456789";
const uiDir = mkdtempSync(join(tmpdir(), "fc-ui-"));
let guarded: TestServer;
let open: TestServer;
let withMaps: TestServer;

beforeAll(async () => {
  mkdirSync(join(uiDir, "assets"));
  writeFileSync(join(uiDir, "index.html"), "<!doctype html><title>dashboard</title>");
  writeFileSync(join(uiDir, "assets", "app.js"), "console.log(1);\n//# sourceMappingURL=app.js.map");
  writeFileSync(join(uiDir, "assets", "app.js.map"), JSON.stringify({ version: 3, sources: ["../src/secret-source.tsx"], mappings: "" }));
  [guarded, open, withMaps] = await Promise.all([
    startTestServer({ metricsToken: TOKEN, uiDir }),
    startTestServer({ uiDir }),
    startTestServer({ uiDir, uiSourceMaps: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([guarded, open, withMaps].map((s) => s?.cleanup()));
  rmSync(uiDir, { recursive: true, force: true });
});

describe("/metrics with ORCH_METRICS_TOKEN", () => {
  it("refuses a scrape without the token, or with another one, and says what to send", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }] as Array<
      Record<string, string>
    >) {
      const res = await fetch(`${guarded.url}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = await res.text();
      expect(body).toMatch(/ORCH_METRICS_TOKEN/);
      expect(body).not.toMatch(/flightcontrol_/);
    }
  });

  it("serves the exposition with the token", async () => {
    const res = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^flightcontrol_workers_connected /m);
  });

  it("stays open when no token is configured", async () => {
    const res = await fetch(`${open.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^flightcontrol_workers_connected /m);
  });
});

describe("dashboard source maps", () => {
  it("are not served by default, while the script they map is", async () => {
    expect((await fetch(`${open.url}/assets/app.js`)).status).toBe(200);
    for (const path of ["/assets/app.js.map", "/assets/APP.JS.MAP", "/assets/app.js.map?x=1", "/assets/app.js%2Emap"]) {
      const res = await fetch(`${open.url}${path}`);
      const body = await res.text();
      expect(res.status, path).toBe(404);
      expect(body, path).not.toMatch(/secret-source/);
    }
  });

  it("are served with ORCH_UI_SOURCEMAPS=1", async () => {
    const res = await fetch(`${withMaps.url}/assets/app.js.map`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/secret-source/);
  });

  it("are built only with ORCH_UI_SOURCEMAPS=1", async () => {
    const load = async (value: string | undefined) => {
      vi.resetModules();
      vi.stubEnv("ORCH_UI_SOURCEMAPS", value);
      try {
        const config = (await import("../../../ui/vite.config")).default as { build?: { sourcemap?: unknown } };
        return config.build?.sourcemap;
      } finally {
        vi.unstubAllEnvs();
      }
    };
    expect(await load(undefined)).toBe(false);
    expect(await load("1")).toBe(true);
  });
});
