// docker-compose.yml, .env.example and the Dockerfiles, checked without a Docker engine: the compose
// file's shape (parsed as YAML), every ORCH_* variable of both services documented and plumbed, the
// key commands .env.example tells people to run, static invariants of the Dockerfiles, and, when a
// compose binary is installed (Debian: `apt-get install docker-compose`), `config` on the real file.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFernetKeys } from "../../src/domain/crypto/fernet";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
const read = (rel: string) => readFileSync(join(ROOT, rel), "utf8");

const COMPOSE_FILE = join(ROOT, "docker-compose.yml");
const ENV_EXAMPLE = read(".env.example");

type Yaml = (text: string) => unknown;

/** The `yaml` package when installed, else PyYAML (a dependency of Debian's docker-compose). */
async function yamlParser(): Promise<Yaml | undefined> {
  const name = "yaml";
  try {
    const mod = (await import(/* @vite-ignore */ name)) as { parse: (text: string) => unknown };
    return (text) => mod.parse(text);
  } catch {
    // not installed
  }
  // PATH's python3 may be another interpreter (pyenv, a venv) than Debian's, which has python3-yaml.
  const python = ["python3", "/usr/bin/python3"].find((py) => spawnSync(py, ["-c", "import yaml"]).status === 0);
  if (!python) return undefined;
  return (text) =>
    JSON.parse(
      execFileSync(python, ["-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"], {
        input: text,
        encoding: "utf8",
      }),
    );
}

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | number | null> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  profiles?: string[];
  deploy?: { replicas?: number };
  scale?: number;
  networks?: string[] | Record<string, unknown>;
  volumes?: string[];
}
interface Compose {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

function envOf(svc: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(svc.environment)) {
    for (const item of svc.environment) {
      const i = item.indexOf("=");
      out[i < 0 ? item : item.slice(0, i)] = i < 0 ? "" : item.slice(i + 1);
    }
  } else {
    for (const [k, v] of Object.entries(svc.environment ?? {})) out[k] = v == null ? "" : String(v);
  }
  return out;
}

const networksOf = (svc: Service): string[] =>
  svc.networks === undefined ? ["default"] : Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);

const orchNames = (text: string) => new Set(text.match(/\bORCH_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "gen" && name !== "node_modules") out.push(...sourceFiles(path));
    } else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

const orchNamesIn = (dir: string) => {
  const names = new Set<string>();
  for (const file of sourceFiles(join(ROOT, dir))) for (const n of orchNames(readFileSync(file, "utf8"))) names.add(n);
  return names;
};

/** `KEY=value` or `# KEY=value` lines: a variable .env.example documents. */
const documented = (name: string) => new RegExp(`^#?[ \\t]*${name}=`, "m").test(ENV_EXAMPLE);

/** The `node -e "…"` commands .env.example gives for generating keys, in order. */
function keyCommands(): string[] {
  return [...ENV_EXAMPLE.matchAll(/^#\s+node -e "(.+)"\s*$/gm)].map((m) => m[1]!);
}
const runNode = (code: string) => execFileSync(process.execPath, ["-e", code], { encoding: "utf8" }).trim();

let parseYaml: Yaml;
let compose: Compose;

beforeAll(async () => {
  const parser = await yamlParser();
  if (!parser) throw new Error("no YAML parser: install the `yaml` npm package or python3-yaml (apt-get install python3-yaml)");
  parseYaml = parser;
  compose = parseYaml(readFileSync(COMPOSE_FILE, "utf8")) as Compose;
});

describe("docker-compose.yml", () => {
  it("has the server, the workers and an optional postgres", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["postgres", "server", "worker"]);
    expect(compose.services.server!.build?.dockerfile).toBe("docker/server.Dockerfile");
    expect(compose.services.worker!.build?.dockerfile).toBe("docker/worker.Dockerfile");
    expect(compose.services.postgres!.image).toMatch(/^postgres:16\b/);
  });

  it("lets the workers scale: no container name, no host ports, two replicas by default", () => {
    const worker = compose.services.worker!;
    expect(worker).not.toHaveProperty("container_name");
    expect(worker).not.toHaveProperty("ports");
    expect(worker.deploy?.replicas ?? worker.scale).toBe(2);
  });

  it("publishes the server's 8080 on ORCH_PORT and keeps its data on a named volume", () => {
    const server = compose.services.server!;
    expect(server.ports).toEqual(["${ORCH_PORT:-8080}:8080"]);
    expect(envOf(server).ORCH_DATA_DIR).toBe("/data");
    const dataVolume = (server.volumes ?? []).find((v) => v.split(":")[1] === "/data");
    expect(dataVolume, "a volume on /data").toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(dataVolume!.split(":")[0]);
  });

  it("health-checks the server (/readyz) and postgres (pg_isready)", () => {
    const serverCheck = compose.services.server!.healthcheck;
    expect(serverCheck?.disable).not.toBe(true);
    expect(JSON.stringify(serverCheck?.test)).toContain("/readyz");
    const pgCheck = compose.services.postgres!.healthcheck;
    expect(pgCheck?.disable).not.toBe(true);
    expect(JSON.stringify(pgCheck?.test)).toContain("pg_isready");
  });

  it("starts workers once the server is healthy", () => {
    const deps = compose.services.worker!.depends_on;
    expect(Array.isArray(deps)).toBe(false);
    expect((deps as Record<string, { condition?: string }>).server?.condition).toBe("service_healthy");
  });

  it("puts postgres behind the `postgres` profile, on a network the workers are not on", () => {
    expect(compose.services.postgres!.profiles).toEqual(["postgres"]);
    expect(compose.services.server!.profiles).toBeUndefined();
    expect(compose.services.worker!.profiles).toBeUndefined();
    const pgNets = networksOf(compose.services.postgres!);
    const workerNets = networksOf(compose.services.worker!);
    expect(pgNets.filter((n) => workerNets.includes(n))).toEqual([]);
    expect(pgNets.every((n) => networksOf(compose.services.server!).includes(n))).toBe(true);
  });

  it("shares ORCH_WORKER_KEY between the server and the workers, and keeps the other keys from the workers", () => {
    const server = envOf(compose.services.server!);
    const worker = envOf(compose.services.worker!);
    expect(server.ORCH_WORKER_KEY).toMatch(/^\$\{ORCH_WORKER_KEY:\?/);
    expect(worker.ORCH_API_KEY).toMatch(/^\$\{ORCH_WORKER_KEY:\?/);
    expect(worker.ORCH_SERVER_URL).toMatch(/http:\/\/server:8080/);
    for (const secret of ["ORCH_MASTER_KEY", "ORCH_DEFAULT_ADMIN_KEY", "ORCH_WORKER_KEY", "ORCH_DATABASE_URL"]) {
      expect(worker, secret).not.toHaveProperty(secret);
    }
    // Every replica must name itself (hostname-pid): one fixed name would make them collide.
    expect(worker).not.toHaveProperty("ORCH_WORKER_NAME");
  });

  it("passes every setting of server/src/config.ts to the server and of worker/src/config.ts to the worker", () => {
    const server = envOf(compose.services.server!);
    const worker = envOf(compose.services.worker!);
    // The image sets ORCH_UI_DIR (its built dashboard); the worker's name is its container's hostname;
    // the worker image's entrypoint sets ORCH_API_KEY_FILE from ORCH_API_KEY.
    const serverMissing = [...orchNames(read("server/src/config.ts"))].filter((n) => !(n in server) && n !== "ORCH_UI_DIR");
    const workerMissing = [...orchNames(read("worker/src/config.ts"))].filter(
      (n) => !(n in worker) && !["ORCH_WORKER_NAME", "ORCH_API_KEY_FILE"].includes(n),
    );
    expect(serverMissing).toEqual([]);
    expect(workerMissing).toEqual([]);
  });

  it("never passes an empty value where the services have no fallback for one", () => {
    // config.ts reads these with `??`: an empty string would be taken as the value (a "" database
    // URL, log level, agent list, binary or work dir), so compose must always give a default.
    const needsValue = {
      server: ["ORCH_HOST", "ORCH_DATABASE_URL", "ORCH_DATA_DIR", "ORCH_LOG_LEVEL"],
      worker: ["ORCH_SERVER_URL", "ORCH_WORKER_AGENTS", "ORCH_GOOSE_BIN", "ORCH_CLAUDE_BIN", "ORCH_CODEX_BIN", "ORCH_WORK_DIR"],
    } as const;
    for (const [svc, names] of Object.entries(needsValue)) {
      const env = envOf(compose.services[svc]!);
      for (const name of names) {
        const value = env[name];
        expect(value, `${svc}.${name}`).toBeTruthy();
        const interpolated = /^\$\{[A-Z0-9_]+(:-|-|:\?|\?)(.*)\}$/.exec(value!);
        if (interpolated) expect(interpolated[2], `${svc}.${name} default`).not.toBe("");
      }
    }
  });
});

describe(".env.example", () => {
  it("documents every ORCH_ variable the server and the worker read", () => {
    const names = new Set([...orchNamesIn("server/src"), ...orchNamesIn("worker/src")]);
    // The config files are the contract; the scan of src also catches variables read elsewhere.
    for (const n of orchNames(read("server/src/config.ts"))) expect(names.has(n)).toBe(true);
    for (const n of orchNames(read("worker/src/config.ts"))) expect(names.has(n)).toBe(true);
    const undocumented = [...names].filter((n) => !documented(n)).sort();
    expect(undocumented).toEqual([]);
  });

  it("documents every variable docker-compose.yml interpolates", () => {
    const interpolated = new Set([...readFileSync(COMPOSE_FILE, "utf8").matchAll(/(?<!\$)\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect(interpolated.size).toBeGreaterThan(10);
    expect([...interpolated].filter((n) => !documented(n)).sort()).toEqual([]);
    expect(documented("COMPOSE_PROFILES")).toBe(true);
  });

  it("asks for the three keys and leaves them empty (no shared default key)", () => {
    for (const key of ["ORCH_WORKER_KEY", "ORCH_DEFAULT_ADMIN_KEY", "ORCH_MASTER_KEY"]) {
      expect(ENV_EXAMPLE).toMatch(new RegExp(`^${key}=$`, "m"));
    }
  });

  it("gives key commands that make API keys and a Fernet master key the server accepts", () => {
    const commands = keyCommands();
    expect(commands.length).toBeGreaterThanOrEqual(2);
    const apiKey = runNode(commands[0]!);
    expect(apiKey).toMatch(/^fc_[A-Za-z0-9_-]{43}$/);
    const masterKey = runNode(commands.find((c) => !c.includes("'fc_'"))!);
    // Python's cryptography.fernet format: 32 bytes, url-safe base64 with its one padding character.
    expect(masterKey).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(masterKey, "base64url")).toHaveLength(32);
    expect(parseFernetKeys(masterKey).keys).toHaveLength(1);
  });

  it("shows a Postgres URL that matches the postgres service's defaults", () => {
    const url = /^#\s+ORCH_DATABASE_URL=(postgres:\/\/\S+)$/m.exec(ENV_EXAMPLE)?.[1];
    expect(url, "an ORCH_DATABASE_URL=postgres://… example").toBeDefined();
    const parsed = new URL(url!);
    const pg = envOf(compose.services.postgres!);
    const defaultOf = (v: string | undefined) => /^\$\{[A-Z0-9_]+:-(.*)\}$/.exec(v ?? "")?.[1] ?? v;
    expect(parsed.hostname).toBe("postgres");
    expect(parsed.port).toBe("5432");
    expect(parsed.username).toBe(defaultOf(pg.POSTGRES_USER));
    expect(parsed.password).toBe(defaultOf(pg.POSTGRES_PASSWORD));
    expect(parsed.pathname).toBe(`/${defaultOf(pg.POSTGRES_DB)}`);
  });
});

describe("Dockerfiles", () => {
  const dockerignore = read(".dockerignore")
    .split("\n")
    .map((l) => l.trim());

  /** The instructions of the last stage (the image that ships). */
  const lastStage = (text: string) => text.slice(text.lastIndexOf("\nFROM "));
  const logical = (text: string) => text.replace(/\\\n/g, " ");

  for (const svc of ["server", "worker"] as const) {
    const file = `docker/${svc}.Dockerfile`;
    const text = read(file);
    const runtime = lastStage(text);

    it(`${file}: node 20 bookworm-slim for every stage, running as a non-root user`, () => {
      expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
      const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
      expect(froms.length).toBeGreaterThanOrEqual(3);
      expect(new Set(froms)).toEqual(new Set(["${NODE_IMAGE}"]));
      const users = [...runtime.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
      expect(users.at(-1)).toBeDefined();
      expect(["root", "0"]).not.toContain(users.at(-1));
    });

    it(`${file}: runs src/main.ts with tsx from the ${svc} folder`, () => {
      expect(runtime).toMatch(/^CMD \["node", "--import", "tsx", "src\/main\.ts"\]$/m);
      expect([...runtime.matchAll(/^WORKDIR (\S+)/gm)].map((m) => m[1]).at(-1)).toBe(`/app/${svc}`);
    });

    it(`${file}: production dependencies only, stubs from the build stage`, () => {
      const install = logical(text).match(/npm ci --omit=dev[^\n]*/)?.[0];
      expect(install).toBeDefined();
      // Without --ignore-scripts the root postinstall would run `buf generate`, a dev dependency.
      expect(install).toContain("--ignore-scripts");
      expect(runtime).toContain(`COPY --from=build /app/${svc}/src/gen ./${svc}/src/gen`);
      expect(logical(text)).toMatch(/npm ci --ignore-scripts[^\n]*&& npm run generate/);
    });

    it(`${file}: copies only paths that exist and that .dockerignore lets through`, () => {
      for (const m of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
        const args = m[1]!.split(/\s+/).filter((a) => !a.startsWith("--"));
        for (const src of args.slice(0, -1)) {
          expect(existsSync(join(ROOT, src)), `${file}: COPY ${src}`).toBe(true);
          expect(dockerignore, `${file}: COPY ${src} is ignored`).not.toContain(src);
        }
      }
    });
  }

  it(".dockerignore keeps host node_modules, generated stubs and .env out of the images", () => {
    for (const pattern of ["**/node_modules", "**/src/gen", ".env", ".git"]) expect(dockerignore).toContain(pattern);
  });

  it("server image: /data volume, port 8080, a /readyz health check without curl, the dashboard", () => {
    const text = read("docker/server.Dockerfile");
    const runtime = lastStage(text);
    expect(runtime).toMatch(/ORCH_DATA_DIR=\/data/);
    expect(runtime).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(runtime).toMatch(/^EXPOSE 8080$/m);
    const health = logical(runtime).match(/^HEALTHCHECK .*$/m)?.[0];
    expect(health).toContain("/readyz");
    expect(health).toContain('CMD ["node", "-e"');
    expect(runtime).toContain("COPY --from=build /app/ui/dist ./ui/dist");
    expect(logical(text)).toMatch(/npm rebuild better-sqlite3/);
    // The server's health check in compose is the same command as the image's.
    const composeTest = compose.services.server!.healthcheck!.test as string[];
    expect(health).toContain(JSON.stringify(composeTest.at(-1)));
  });

  it("worker image: goose from the upstream install script without configuring, git, tini", () => {
    const text = logical(read("docker/worker.Dockerfile"));
    expect(text).toMatch(/download_cli\.sh/);
    expect(text).toMatch(/CONFIGURE=false/);
    expect(text).toMatch(/GOOSE_BIN_DIR=\/usr\/local\/bin/);
    expect(text).toMatch(/goose --version/);
    expect(text).toMatch(/apt-get install [^\n]*\bgit\b/);
    expect(lastStage(text)).toMatch(/ENTRYPOINT \["\/usr\/local\/bin\/worker-entrypoint"\]/);
    expect(lastStage(text)).toContain("COPY docker/worker-entrypoint.sh /usr/local/bin/worker-entrypoint");
    expect(statSync(join(ROOT, "docker/worker-entrypoint.sh")).mode & 0o111, "the entrypoint is executable").toBeTruthy();
  });

  it("worker entrypoint: PID 1 (tini) starts without the worker key in its environment; the key waits in a private file", () => {
    // A stand-in tini on PATH reports what the real one would be started with.
    const bin = mkdtempSync(join(tmpdir(), "fc-entry-"));
    writeFileSync(join(bin, "tini"), '#!/bin/sh\ntr "\\0" "\\n" < /proc/$$/environ > "$OUT/environ"\nprintf "%s" "$*" > "$OUT/args"\n', {
      mode: 0o755,
    });
    try {
      const r = spawnSync("sh", [join(ROOT, "docker/worker-entrypoint.sh"), "node", "--import", "tsx", "src/main.ts"], {
        env: { PATH: `${bin}:/usr/bin:/bin`, OUT: bin, ORCH_API_KEY: "fc_secret_worker_key", ORCH_SERVER_URL: "http://server:8080" },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const env = readFileSync(join(bin, "environ"), "utf8");
      expect(env).not.toContain("fc_secret_worker_key");
      expect(env).toContain("ORCH_SERVER_URL=http://server:8080");
      expect(readFileSync(join(bin, "args"), "utf8")).toBe("-- node --import tsx src/main.ts");
      const file = /^ORCH_API_KEY_FILE=(.+)$/m.exec(env)?.[1];
      expect(file).toBeDefined();
      expect(readFileSync(file!, "utf8")).toBe("fc_secret_worker_key");
      expect(statSync(file!).mode & 0o077, "only the worker's user can read the key file").toBe(0);
      rmSync(dirname(file!), { recursive: true, force: true });
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

// Compose v1 (Debian's docker-compose) or the v2 plugin: whichever is installed.
const COMPOSE_CMD = ((): string[] | undefined => {
  for (const cmd of [["docker-compose"], ["docker", "compose"]]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), "version"], { encoding: "utf8" });
    if (r.status === 0) return cmd;
  }
  return undefined;
})();

describe.skipIf(!COMPOSE_CMD)(`${COMPOSE_CMD?.join(" ") ?? "docker-compose"} config`, () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "fc-compose-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs compose with only an env file for input: none of this machine's ORCH_* variables leak in. */
  function composeRun(envText: string, args: string[], extraEnv: Record<string, string> = {}) {
    const envFile = join(dir, `env-${Math.random().toString(36).slice(2)}`);
    writeFileSync(envFile, envText);
    return spawnSync(COMPOSE_CMD![0]!, [...COMPOSE_CMD!.slice(1), "--env-file", envFile, "-f", COMPOSE_FILE, ...args], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...extraEnv },
      timeout: 60_000,
    });
  }

  /** .env.example with the three keys filled in the way it says. */
  function filledEnv(extra = ""): { text: string; workerKey: string; masterKey: string } {
    const [apiKeyCmd] = keyCommands();
    const masterCmd = keyCommands().find((c) => !c.includes("'fc_'"))!;
    const workerKey = runNode(apiKeyCmd!);
    const masterKey = runNode(masterCmd);
    const text = ENV_EXAMPLE.replace(/^ORCH_WORKER_KEY=$/m, `ORCH_WORKER_KEY=${workerKey}`)
      .replace(/^ORCH_DEFAULT_ADMIN_KEY=$/m, `ORCH_DEFAULT_ADMIN_KEY=${runNode(apiKeyCmd!)}`)
      .replace(/^ORCH_MASTER_KEY=$/m, `ORCH_MASTER_KEY=${masterKey}`);
    return { text: text + extra, workerKey, masterKey };
  }

  it("refuses a copy of .env.example until ORCH_WORKER_KEY is set, and says so", () => {
    const r = composeRun(ENV_EXAMPLE, ["config", "-q"]);
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toContain("ORCH_WORKER_KEY");
  });

  it("accepts .env.example with its keys filled in (config -q exits 0)", () => {
    const r = composeRun(filledEnv().text, ["config", "-q"]);
    expect(r.status, r.stderr).toBe(0);
  });

  it("resolves one worker key on both sides, the master key intact, SQLite by default", () => {
    const { text, workerKey, masterKey } = filledEnv();
    const r = composeRun(text, ["config"]);
    expect(r.status, r.stderr).toBe(0);
    const resolved = parseYaml(r.stdout) as Compose;
    const server = envOf(resolved.services.server!);
    const worker = envOf(resolved.services.worker!);
    expect(server.ORCH_WORKER_KEY).toBe(workerKey);
    // The Fernet key's trailing "=" survives .env parsing.
    expect(server.ORCH_MASTER_KEY).toBe(masterKey);
    expect(worker.ORCH_API_KEY).toBe(workerKey);
    expect(server.ORCH_DATABASE_URL).toBe("sqlite:/data/flightcontrol.db");
    expect(worker.ORCH_SERVER_URL).toBe("http://server:8080");
    expect(worker.ORCH_WORKER_AGENTS).toBe("goose,shell");
  });

  it("points the server at the postgres service with the profile and URL .env.example shows", () => {
    const url = /^#\s+ORCH_DATABASE_URL=(postgres:\/\/\S+)$/m.exec(ENV_EXAMPLE)![1]!;
    const { text } = filledEnv(`\nCOMPOSE_PROFILES=postgres\nORCH_DATABASE_URL=${url}\n`);
    const r = composeRun(text, ["config"]);
    expect(r.status, r.stderr).toBe(0);
    const resolved = parseYaml(r.stdout) as Compose;
    expect(Object.keys(resolved.services)).toContain("postgres");
    expect(envOf(resolved.services.server!).ORCH_DATABASE_URL).toBe(url);
  });
});
