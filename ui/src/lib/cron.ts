import cronstrue from "cronstrue";
import { Cron } from "croner";

export function describeCron(expr: string): { text?: string; error?: string } {
  if (!expr.trim()) return {};
  try {
    return { text: cronstrue.toString(expr, { use24HourTimeFormat: true, throwExceptionOnParseError: true }) };
  } catch (e) {
    return { error: typeof e === "string" ? e : e instanceof Error ? e.message : "Invalid cron expression" };
  }
}

export function nextFireTimes(expr: string, timeZone: string, n = 5, from?: Date): { times: Date[]; error?: string } {
  if (!expr.trim()) return { times: [] };
  try {
    // No callback: the Cron object only computes dates and never schedules anything.
    const cron = new Cron(expr, { timezone: timeZone || "UTC", paused: true });
    const times = from ? cron.nextRuns(n, from) : cron.nextRuns(n);
    cron.stop();
    return { times };
  } catch (e) {
    return { times: [], error: e instanceof Error ? e.message : String(e) };
  }
}

let zones: string[] | undefined;
export function timeZones(): string[] {
  if (!zones) {
    let list: string[] = [];
    try {
      list = Intl.supportedValuesOf("timeZone");
    } catch {
      list = [];
    }
    zones = ["UTC", ...list.filter((z) => z !== "UTC")];
  }
  return zones;
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
