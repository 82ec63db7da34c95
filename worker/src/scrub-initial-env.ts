import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";

/**
 * Agents run as the worker's user, so they can read /proc/<worker pid>/environ: the kernel shows the
 * environment block the worker was started with, straight from the worker's memory. Deleting a
 * variable from process.env only unlinks it (unsetenv); its bytes stay where /proc reads them. So
 * once the config holds its own copy, the secret's value is overwritten in place through
 * /proc/self/mem. Linux only; the caller decides what a failure means.
 *
 * Returns the names whose value was found and overwritten.
 */
export function scrubInitialEnv(names: readonly string[]): string[] {
  for (const name of names) delete process.env[name];
  const { start, end } = envBlock();
  const fd = openSync("/proc/self/mem", "r+");
  try {
    const block = Buffer.alloc(end - start);
    // Positions are plain Numbers: a BigInt position makes writes to /proc/self/mem fail with EIO.
    readSync(fd, block, 0, block.length, start);
    const scrubbed: string[] = [];
    for (const name of names) {
      const values = valueRanges(block, name);
      for (const [from, to] of values) writeSync(fd, Buffer.alloc(to - from, "*"), 0, to - from, start + from);
      if (values.length) scrubbed.push(name);
    }
    return scrubbed;
  } finally {
    closeSync(fd);
  }
}

/** env_start and env_end: fields 50 and 51 of /proc/self/stat, counted past the ")" that ends comm. */
function envBlock(): { start: number; end: number } {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // The first field after ")" is field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) {
    throw new Error(`no environment block in /proc/self/stat (env_start ${fields[47]}, env_end ${fields[48]})`);
  }
  return { start, end };
}

/** [from, to) of each value of `name=` in a NUL-separated environment block. */
export function valueRanges(block: Buffer, name: string): Array<[number, number]> {
  const key = Buffer.from(`${name}=`);
  const ranges: Array<[number, number]> = [];
  for (let i = block.indexOf(key); i !== -1; i = block.indexOf(key, i + 1)) {
    // Only at the start of an entry: FOO_ORCH_API_KEY= or a value containing "ORCH_API_KEY=" is not it.
    if (i > 0 && block[i - 1] !== 0) continue;
    const from = i + key.length;
    const nul = block.indexOf(0, from);
    const to = nul === -1 ? block.length : nul;
    if (to > from) ranges.push([from, to]);
  }
  return ranges;
}
