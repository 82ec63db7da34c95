import { Cron } from "croner";

export const DEFAULT_TIME_ZONE = "UTC";

/** A problem with a schedule's timing, named by the request field it comes from. */
export interface TimingProblem {
  field: "cron" | "time_zone";
  message: string;
}

/**
 * Five fields, or six with seconds first; seven (years) is refused so the contract stays what the
 * proto documents. "no-wildcard" makes every job without `*` or a step in its time fields a
 * fixed-time job, as Vixie cron does: `30 2 * * *` and `30 2,14 * * *` both fire once after a DST
 * gap and once on a repeated hour, while `*\/30 * * * *` keeps its interval through both.
 */
const OPTIONS = { mode: "5-or-6-parts", fixedTimeRule: "no-wildcard", paused: true } as const;

// Parsing is cheap but not free, and ListSchedules asks for five times per schedule on every call.
const cache = new Map<string, Cron>();
const CACHE_LIMIT = 1000;

function compile(cron: string, timeZone: string): Cron {
  const key = `${timeZone}\u0000${cron}`;
  let c = cache.get(key);
  if (!c) {
    // No callback: the Cron object only computes dates and never arms a timer of its own.
    c = new Cron(cron, { ...OPTIONS, timezone: timeZone });
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, c);
  }
  return c;
}

/** The canonical IANA name ("europe/berlin" → "Europe/Berlin"), or undefined if the zone is unknown. */
export function canonicalTimeZone(tz: string): string | undefined {
  const name = tz.trim() || DEFAULT_TIME_ZONE;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Every reason the pair cannot be scheduled; empty when it can. */
export function checkTiming(cron: string, timeZone: string): TimingProblem[] {
  const problems: TimingProblem[] = [];
  const zone = canonicalTimeZone(timeZone);
  if (!zone) problems.push({ field: "time_zone", message: `"${timeZone}" is not an IANA time zone (e.g. "Europe/Berlin", "UTC")` });
  try {
    const c = compile(cron.trim(), zone ?? DEFAULT_TIME_ZONE);
    if (!c.nextRun()) problems.push({ field: "cron", message: "the expression never matches a future date" });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, "");
    problems.push({ field: "cron", message: `not a 5-field (or 6-field, seconds first) cron expression: ${reason}` });
  }
  return problems;
}

/** The first fire time strictly after `afterMs`, or null when there is none. Assumes checkTiming passed. */
export function nextAfter(cron: string, timeZone: string, afterMs: number): number | null {
  return compile(cron, timeZone).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** `n` fire times starting at `firstMs` (itself a fire time), for previews. */
export function upcoming(cron: string, timeZone: string, firstMs: number, n: number): number[] {
  const rest = compile(cron, timeZone)
    .nextRuns(n - 1, new Date(firstMs))
    .map((d) => d.getTime());
  return [firstMs, ...rest];
}
