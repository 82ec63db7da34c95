import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { pollUntil } from "../../testkit/poll-until";

/** The bench's one clock: milliseconds (sub-ms precision) on this process's monotonic clock. */
export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The test kit's pollUntil with the bench's positional arguments. */
export const waitUntil = (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 10): Promise<void> =>
  pollUntil(check, { timeoutMs, what, intervalMs }).then(() => undefined);

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles over a sample (sorted in place). */
export function summarize(samples: ArrayLike<number>): Summary {
  const a = Float64Array.from(samples as ArrayLike<number>);
  a.sort();
  const n = a.length;
  if (!n) return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (p: number) => a[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i];
  return { n, p50: at(50), p95: at(95), p99: at(99), max: a[n - 1], mean: sum / n };
}

/** A growable Float64 sample buffer that never reallocates per push. */
export class Samples {
  private buf: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
  }
  push(v: number) {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
  summary(): Summary {
    return summarize(this.view());
  }
}

const TICK_MS = 1000 / 100; // CLK_TCK is 100 on Linux

/**
 * utime+stime of a process, in milliseconds; with `children`, also cutime+cstime (the CPU of its
 * children that have exited and been waited for, e.g. the agents a worker spawned).
 */
export function cpuMs(pid: number, children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the ")" that closes comm; utime, stime, cutime, cstime are fields 14-17 (1-based).
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const own = Number(rest[11]) + Number(rest[12]);
  return (children ? own + Number(rest[13]) + Number(rest[14]) : own) * TICK_MS;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU use of a process over a window: call stop() to get {cpuMs, wallMs, pct}. */
export function cpuMeter(pid: number) {
  const c0 = cpuMs(pid);
  const t0 = now();
  return () => {
    const cpu = cpuMs(pid) - c0;
    const wall = now() - t0;
    return { cpuMs: cpu, wallMs: wall, pct: (100 * cpu) / wall };
  };
}

/** Busy time of the whole machine (all cores) from /proc/stat, in percent of one core. */
export function machineCpuMeter() {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  const a = read();
  const t0 = now();
  return () => {
    const b = read();
    const busyTicks = b.total - a.total - (b.idle - a.idle);
    return (100 * busyTicks * TICK_MS) / (now() - t0);
  };
}

/** CPU use of this (bench) process over a window, in percent of one core. */
export function selfCpuMeter() {
  const c0 = process.cpuUsage();
  const t0 = now();
  return () => {
    const c = process.cpuUsage(c0);
    return (100 * (c.user + c.system)) / 1000 / (now() - t0);
  };
}

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const mem = /MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"));
  const mhz = /cpu MHz\s*:\s*([\d.]+)/.exec(cpuinfo)?.[1];
  return {
    cpu: model,
    cpuMHz: mhz ? Number(mhz) : undefined,
    cores: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    memoryGiB: mem ? Math.round((Number(mem[1]) / 1024 / 1024) * 10) / 10 : undefined,
    node: process.version,
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
  };
}

export const round = (v: number, digits = 2): number => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

/** A filler line of about `bytes` characters, deterministic. */
const FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ".repeat(8);

/**
 * One log line as an agent would print it, ~100 characters, with the emission time embedded
 * (t=<performance.now() ms>) so a subscriber can compute its delay.
 */
export function logLine(emittedAt: number, run: number, seq: number, length = 100): string {
  const head = `t=${emittedAt.toFixed(3)} run=${run} line=${seq} `;
  return head + FILLER.slice(0, Math.max(0, length - head.length));
}

/** The emission time embedded by logLine(). */
export function emittedAtOf(text: string): number {
  const end = text.indexOf(" ");
  return Number(text.slice(2, end));
}
