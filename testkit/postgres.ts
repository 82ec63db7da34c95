import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port";

const exec = promisify(execFile);

/** The newest PostgreSQL server binaries on this machine (Debian: /usr/lib/postgresql/<major>/bin). */
function findPgBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((v) => join(root, v, "bin")).find((bin) => ["initdb", "pg_ctl", "createdb"].every((tool) => existsSync(join(bin, tool))));
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user the Debian package creates. */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = ["-u", "-g"].map((flag) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim()));
    return { uid, gid };
  } catch {
    return undefined;
  }
}

const pgBin = findPgBin();
const asRoot = process.getuid?.() === 0;
const runAs = pgUser();
export const havePostgres = Boolean(pgBin && (!asRoot || runAs));

/** A throwaway cluster in a temp dir, on 127.0.0.1 and a socket inside that dir, with trust auth. */
export class TempCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "fc-pg-"));
  readonly data = join(this.dir, "data");
  readonly sockets = join(this.dir, "sock");
  port = 0;
  private started = false;
  private options = "";

  private run(tool: string, args: string[]) {
    const bin = join(pgBin!, tool);
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
    return exec(file, argv, { cwd: this.dir, timeout: 60_000 });
  }

  async start(): Promise<void> {
    mkdirSync(this.sockets);
    if (runAs) for (const d of [this.dir, this.sockets]) chownSync(d, runAs.uid, runAs.gid);
    await this.run("initdb", ["-D", this.data, "-U", "fc", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
    this.port = await freePort();
    this.options = `-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories=${this.sockets} -c fsync=off`;
    this.started = true;
    await this.resume();
  }

  /** Stops the server (fast shutdown: sessions are terminated, 57P01) and keeps its data. */
  async pause(): Promise<void> {
    await this.run("pg_ctl", ["-D", this.data, "-m", "fast", "-w", "stop"]);
  }

  /** Starts the server (again) on the same port. */
  async resume(): Promise<void> {
    // -w: pg_ctl returns once the server accepts connections; -l keeps the server's output out of our pipes.
    await this.run("pg_ctl", ["-D", this.data, "-l", join(this.dir, "server.log"), "-o", this.options, "-w", "-t", "60", "start"]);
  }

  url(database: string): string {
    return `postgres://fc@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<void> {
    await this.run("createdb", ["-h", "127.0.0.1", "-p", String(this.port), "-U", "fc", name]);
  }

  log(): string {
    const file = join(this.dir, "server.log");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  async destroy(): Promise<void> {
    try {
      if (this.started) await this.run("pg_ctl", ["-D", this.data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
