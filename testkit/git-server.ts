import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { startChild } from "./child-process";
import { freePort, portOpen } from "./free-port";
import { pollUntil } from "./poll-until";
import { removeDir, tempDir } from "./temp-dir";

/** Git with an identity and no machine config, so tests behave the same everywhere. */
export function gitIn(cwd: string, args: string[], input?: string): string {
  return execFileSync("git", args, {
    cwd,
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Test",
      GIT_AUTHOR_EMAIL: "test@localhost",
      GIT_COMMITTER_NAME: "Test",
      GIT_COMMITTER_EMAIL: "test@localhost",
    },
  }).trim();
}

/**
 * A bare repository `<root>/<name>.git` whose default branch `main` holds one commit of `files`
 * (path → content); returns its path. Extra branches and tags can be added with addCommit.
 */
export function createBareRepo(root: string, name: string, files: Record<string, string | Buffer>): string {
  const bare = join(root, `${name}.git`);
  gitIn(root, ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  addCommit(bare, "main", files, "initial commit");
  return bare;
}

/** Commits `files` on top of `branch` (created from main if new) in the bare repository; returns the commit id. */
export function addCommit(bare: string, branch: string, files: Record<string, string | Buffer>, message: string): string {
  const work = tempDir("fc-git-seed-");
  try {
    gitIn(work, ["init", "--quiet", "--initial-branch=main"]);
    const has = (ref: string) => {
      try {
        gitIn(bare, ["rev-parse", "--verify", "--quiet", ref]);
        return true;
      } catch {
        return false;
      }
    };
    if (has(`refs/heads/${branch}`) || has("refs/heads/main")) {
      gitIn(work, ["fetch", "--quiet", bare, `${has(`refs/heads/${branch}`) ? branch : "main"}`]);
      gitIn(work, ["checkout", "--quiet", "-B", branch, "FETCH_HEAD"]);
    } else {
      gitIn(work, ["checkout", "--quiet", "-B", branch]);
    }
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    gitIn(work, ["add", "-A"]);
    gitIn(work, ["commit", "--quiet", "-m", message]);
    gitIn(work, ["push", "--quiet", bare, `HEAD:refs/heads/${branch}`]);
    return gitIn(work, ["rev-parse", "HEAD"]);
  } finally {
    removeDir(work);
  }
}

/** Makes the bare repository refuse every push with `message` (a pre-receive hook). */
export function rejectPushes(bare: string, message: string): void {
  const hook = join(bare, "hooks", "pre-receive");
  writeFileSync(hook, `#!/bin/sh\necho ${JSON.stringify(message)} >&2\nexit 1\n`);
  chmodSync(hook, 0o755);
}

export interface GitDaemon {
  /** git://127.0.0.1:<port>/<name>.git */
  url(name: string): string;
  stop(): Promise<void>;
}

/** `git daemon` serving every repository under `root` on 127.0.0.1 (pushes allowed unless readOnly). */
export async function startGitDaemon(root: string, opts: { readOnly?: boolean } = {}): Promise<GitDaemon> {
  const port = await freePort();
  const child = startChild(
    "git",
    [
      "daemon",
      "--reuseaddr",
      "--export-all",
      ...(opts.readOnly ? [] : ["--enable=receive-pack"]),
      `--base-path=${root}`,
      "--listen=127.0.0.1",
      `--port=${port}`,
      root,
    ],
    { name: "git-daemon" },
  );
  const base = `git://127.0.0.1:${port}`;
  await pollUntil(
    async () => {
      if (!child.running) throw new Error(`git daemon exited: ${child.output()}`);
      return portOpen(port);
    },
    { what: "git daemon to listen" },
  );
  return { url: (name) => `${base}/${name}.git`, stop: async () => void (await child.stop("SIGTERM", 2000)) };
}

export interface GitHttpServer {
  /** http://127.0.0.1:<port>/<name>.git (no credentials in it) */
  url(name: string): string;
  /** The Authorization headers of every request, as sent. */
  authorizations: string[];
  stop(): Promise<void>;
}

/**
 * An HTTP git remote for the repositories under `root`: a node server that demands Basic auth with
 * `username`/`token` (401 otherwise) and runs `git http-backend` as CGI, pushes included.
 */
export async function startGitHttpServer(root: string, auth: { username: string; token: string }): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.token}`).toString("base64")}`;
  const authorizations: string[] = [];
  const server = createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end("authentication required\n");
      return;
    }
    cgi(root, auth.username, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}.git`,
    authorizations,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function cgi(root: string, user: string, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://localhost");
  const child = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH ?? "",
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REMOTE_USER: user,
      REMOTE_ADDR: "127.0.0.1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
      GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split("\r\n")) {
      const i = line.indexOf(":");
      const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.on("close", () => res.end());
  child.on("error", () => res.writeHead(500).end());
}

/** A scratch root for bare repositories, removed with removeDir. */
export const gitRoot = () => tempDir("fc-git-root-");
