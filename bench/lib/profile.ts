import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO } from "./procs";
import { originalLine } from "./sourcemap";

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time covered by the samples counted (the window, when one was given). */
  totalMs: number;
  /** Time the process had nothing to run. */
  idlePct: number;
  gcPct: number;
  top: ProfileEntry[];
  /** Inclusive (self + callees) time of the server's own functions (server/src), heaviest first. */
  serverInclusive: ProfileEntry[];
  /** Self time grouped by package (node_modules/<pkg>) or source file under the repo. */
  byModule: ProfileEntry[];
}

/** "file:line" for a call frame; repo .ts files are mapped back through tsx's transform. */
function whereOf(cf: CpuProfileNode["callFrame"]): string {
  if (!cf.url) return "";
  let line = cf.lineNumber + 1;
  if (cf.url.startsWith("file://") && cf.url.endsWith(".ts") && !cf.url.includes("/node_modules/")) {
    line = originalLine(new URL(cf.url).pathname, cf.lineNumber, cf.columnNumber) ?? line;
  }
  return `${shortUrl(cf.url)}:${line}`;
}

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  if (path.includes("/node_modules/")) {
    const rest = path.slice(path.lastIndexOf("/node_modules/") + "/node_modules/".length);
    return rest.startsWith("@")
      ? `${rest.split("/").slice(0, 2).join("/")}/…/${rest.split("/").pop()}`
      : `${rest.split("/")[0]}/…/${rest.split("/").pop()}`;
  }
  if (path.startsWith(REPO)) return relative(REPO, path);
  return path;
}

function moduleOf(url: string): string {
  if (!url) return "(native/V8)";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  if (path.includes("/node_modules/")) {
    const rest = path.slice(path.lastIndexOf("/node_modules/") + "/node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith("node:")) return "node:internal";
  if (path.startsWith(REPO)) return relative(REPO, path);
  return path;
}

/** Now on the clock V8 stamps profile samples with (CLOCK_MONOTONIC), in µs. */
export const profileClockUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function (V8 sampling profile from `node --cpu-prof`), heaviest first. With a
 * window ([from, to] on profileClockUs, which the profiled process shares with this one), only
 * samples inside it count, e.g. to leave out module loading at startup.
 */
export function summarizeProfile(file: string, top = 25, window?: [number, number]): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window[0] || t > window[1])) continue;
    total += dt;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  // Inclusive time of server/src functions: every sample counts once for each distinct one on its stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, ProfileEntry>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      const { functionName, url } = cf;
      if (!url.includes("/server/src/")) continue;
      const where = whereOf(cf);
      const key = `${functionName}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = incl.get(key) ?? { name: functionName || "(anonymous)", where, selfMs: 0, selfPct: 0 };
      e.selfMs += us / 1000;
      incl.set(key, e);
    }
  }
  const fn = new Map<string, ProfileEntry>();
  const mod = new Map<string, ProfileEntry>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url } = n.callFrame;
    if (functionName === "(idle)") {
      idle += us;
      continue;
    }
    if (functionName === "(garbage collector)") gc += us;
    const name = functionName || "(anonymous)";
    const where = whereOf(n.callFrame);
    const key = `${name}@${where}`;
    const e = fn.get(key) ?? { name, where, selfMs: 0, selfPct: 0 };
    e.selfMs += us / 1000;
    fn.set(key, e);
    const m = functionName.startsWith("(") ? functionName : moduleOf(url);
    const me = mod.get(m) ?? { name: m, where: "", selfMs: 0, selfPct: 0 };
    me.selfMs += us / 1000;
    mod.set(m, me);
  }
  const busy = total - idle;
  const finish = (list: ProfileEntry[]) =>
    list
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), selfPct: Math.round((1000 * e.selfMs * 1000) / busy) / 10 }));
  return {
    file,
    totalMs: Math.round(total / 1000),
    idlePct: Math.round((1000 * idle) / total) / 10,
    gcPct: Math.round((1000 * gc) / busy) / 10,
    top: finish([...fn.values()]),
    serverInclusive: finish([...incl.values()]),
    byModule: finish([...mod.values()]),
  };
}

/** The main thread's profile (thread id 0) among the .cpuprofile files Node wrote into `dir`. */
export function mainThreadProfile(dir: string): string | undefined {
  let best: { f: string; t: number } | undefined;
  for (const f of readdirSync(dir)) {
    const parts = f.split(".");
    if (!f.endsWith(".cpuprofile") || parts[parts.length - 3] !== "0") continue;
    const t = statSync(join(dir, f)).mtimeMs;
    if (!best || t > best.t) best = { f: join(dir, f), t };
  }
  return best?.f;
}

export function formatProfile(s: ProfileSummary, rows = 15): string {
  const lines = [`  ${relative(REPO, s.file)}: ${s.totalMs} ms sampled, ${s.idlePct}% idle; shares below are of busy time (GC ${s.gcPct}%)`];
  lines.push("  self%   self ms  function (file:line)");
  for (const e of s.top.slice(0, rows))
    lines.push(`  ${e.selfPct.toFixed(1).padStart(5)}  ${String(e.selfMs).padStart(8)}  ${e.name} ${e.where ? `(${e.where})` : ""}`);
  lines.push("  server functions, inclusive (self + callees):");
  for (const e of s.serverInclusive.slice(0, rows))
    lines.push(`  ${e.selfPct.toFixed(1).padStart(5)}  ${String(e.selfMs).padStart(8)}  ${e.name} (${e.where})`);
  lines.push("  by module:");
  for (const e of s.byModule.slice(0, 10)) lines.push(`  ${e.selfPct.toFixed(1).padStart(5)}  ${String(e.selfMs).padStart(8)}  ${e.name}`);
  return lines.join("\n");
}

// `node --import tsx bench/lib/profile.ts <file.cpuprofile> [rows]` prints one profile's summary.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  console.log(formatProfile(summarizeProfile(process.argv[2], 40), Number(process.argv[3] ?? 40)));
}
