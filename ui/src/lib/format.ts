import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

export function tsToDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const d = timestampDate(ts);
  // The zero timestamp means "not set" for fields the server fills in later.
  return d.getTime() === 0 ? undefined : d;
}

export function tsToMs(ts: Timestamp | undefined): number | undefined {
  return tsToDate(ts)?.getTime();
}

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

export function relativeTime(date: Date | undefined, now: number = Date.now()): string {
  if (!date) return "—";
  const diff = (date.getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 5) return "just now";
  if (abs < 60) return rtf.format(Math.round(diff), "second");
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 86400 * 30) return rtf.format(Math.round(diff / 86400), "day");
  return date.toLocaleDateString();
}

export function absoluteTime(date: Date | undefined, timeZone?: string): string {
  if (!date) return "—";
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone,
  });
}

export function clockTime(date: Date | undefined): string {
  if (!date) return "";
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  const rs = Math.round(s % 60);
  if (m < 60) return rs ? `${m}m ${rs}s` : `${m}m`;
  const h = Math.floor(m / 60);
  const rm = m % 60;
  return rm ? `${h}h ${rm}m` : `${h}h`;
}

export function between(a: Timestamp | undefined, b: Timestamp | undefined, now?: number): number | undefined {
  const from = tsToMs(a);
  if (from === undefined) return undefined;
  const to = tsToMs(b) ?? now;
  return to === undefined ? undefined : to - from;
}

export function count(n: bigint | number): string {
  return Number(n).toLocaleString("en");
}

export function tokens(n: bigint | number): string {
  const v = Number(n);
  if (v < 10_000) return v.toLocaleString("en");
  if (v < 1_000_000) return `${(v / 1000).toFixed(1)}k`;
  return `${(v / 1_000_000).toFixed(2)}M`;
}

export function cost(usd: number): string {
  if (!usd) return "$0";
  // Agent runs often cost fractions of a cent; whole cents would round them to nothing.
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/**
 * Eight characters that tell ids apart at a glance. The server's ids are UUIDv7, whose leading
 * characters are a timestamp shared by everything created in the same minute, so take the
 * random tail instead of the prefix.
 */
export function shortId(id: string): string {
  return id.replace(/-/g, "").slice(-8);
}

export function seconds(s: number): string {
  return s ? duration(s * 1000) : "default";
}

/** 1,234 B, 12.3 KiB, 4.5 MiB: sizes as people read them, in binary units like the server's limits. */
export function bytes(n: bigint | number): string {
  const v = Number(n);
  if (v < 1024) return `${v.toLocaleString("en")} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString("en")} ${units[i]}`;
}

/** The first `n` characters of a commit id, as git prints them. */
export function shortCommit(sha: string, n = 8): string {
  return sha.slice(0, n);
}
