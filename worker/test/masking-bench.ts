/**
 * Micro-benchmark of the log masker on the worker's hot path (not a test: run it by hand).
 *   node --import tsx worker/test/masking-bench.ts
 * Five credentials of 40–2000 characters (one a multi-line PEM key); ~100-character log lines of
 * which one in a hundred holds a secret in some form. Prints lines masked per CPU second and the build time.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createMasker } from "../src/masking";

const token = (n: number) => randomBytes(n).toString("base64url").slice(0, n);
const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const secrets = [`sk-live-${token(32)}`, token(120), `p@ss"w{o}rd'${token(300)}`, pem.slice(0, 2000), token(2000)];

const words = [
  "GET",
  "/api/v1/runs",
  "200",
  "in",
  "12ms",
  "compiling",
  "src/index.ts",
  "warning:",
  "unused",
  "variable",
  "error",
  "retrying",
  "connection",
  "to",
  "db:5432",
  '{"level":30,"msg":"ok"}',
  "test",
  "passed",
  "✓",
  "ключ",
];
function line(i: number): string {
  let s = `${new Date(1_700_000_000_000 + i).toISOString()} [${i % 7}]`;
  while (s.length < 100) s += ` ${words[(i * 7 + s.length) % words.length]}`;
  if (i % 100 === 0) {
    const v = secrets[(i / 100) % secrets.length];
    const forms = [v, JSON.stringify(v), encodeURIComponent(v), Buffer.from(`x${v}`).toString("base64"), v.split("\n")[1] ?? v];
    s += ` ${forms[Math.floor(i / 500) % forms.length]}`;
  }
  return s;
}

/** The masker before it knew secret forms (whole values only, split/join per value), for comparison. */
function wholeValueMasker(values: string[]) {
  const sorted = [...values].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const v of sorted) if (out.includes(v)) out = out.split(v).join("***");
    return out;
  };
}

const lines = Array.from({ length: 20_000 }, (_, i) => line(i));
function measure(name: string, build: () => (text: string) => string) {
  const t0 = performance.now();
  const mask = build();
  const buildMs = performance.now() - t0;
  let leaked = 0;
  lines.forEach((l, i) => {
    if (i % 100 === 0 && mask(l) === l) leaked++;
  });
  const rounds = 25;
  // CPU time, not wall time: on a shared machine the wait for a core is not the masker's cost.
  const start = process.cpuUsage();
  let chars = 0;
  for (let r = 0; r < rounds; r++) for (const l of lines) chars += mask(l).length;
  const used = process.cpuUsage(start);
  const seconds = (used.user + used.system) / 1e6;
  console.log(
    `${name}: built in ${buildMs.toFixed(1)} ms; ${Math.round((rounds * lines.length) / seconds).toLocaleString("en")} lines/CPU-s ` +
      `(${(chars / seconds / 1e6).toFixed(0)} M chars/CPU-s); lines holding a secret form left unmasked: ${leaked}/${lines.length / 100}`,
  );
}

// Alternated, so both see the same machine load.
for (let round = 0; round < 3; round++) {
  measure("before (whole values)", () => wholeValueMasker(secrets));
  measure("after (all forms)     ", () => createMasker(secrets));
}
