import { transformSync } from "esbuild";
import { readFileSync } from "node:fs";

/**
 * tsx compiles each .ts file with esbuild using minifyWhitespace, so a V8 profile of the server
 * places every function on line 1 at some column. This redoes the same transform (tsx 4's options)
 * and reads its source map to turn (line, column) back into the .ts line.
 */
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(s: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of s) {
    const d = B64.indexOf(ch);
    value += (d & 31) << shift;
    if (d & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Per generated line: sorted [generatedColumn, originalLine] pairs. */
type LineMap = Array<Array<[number, number]>>;
const cache = new Map<string, LineMap | null>();

function build(file: string): LineMap | null {
  try {
    const code = readFileSync(file, "utf8");
    const { map } = transformSync(code, {
      loader: "ts",
      format: "esm",
      target: `node${process.versions.node}`,
      sourcemap: "external",
      minifyWhitespace: true,
      keepNames: true,
      sourcefile: file,
    });
    const mappings = (JSON.parse(map) as { mappings: string }).mappings;
    const lines: LineMap = [];
    let srcLine = 0;
    for (const line of mappings.split(";")) {
      const segs: Array<[number, number]> = [];
      let col = 0;
      for (const seg of line.split(",")) {
        if (!seg) continue;
        const f = decodeVlq(seg);
        col += f[0];
        if (f.length >= 4) {
          srcLine += f[2];
          segs.push([col, srcLine]);
        }
      }
      lines.push(segs);
    }
    return lines;
  } catch {
    return null;
  }
}

/** The 1-based line in the .ts source for a 0-based (line, column) of tsx's output, if known. */
export function originalLine(file: string, line: number, column: number): number | undefined {
  if (!cache.has(file)) cache.set(file, build(file));
  const segs = cache.get(file)?.[line];
  if (!segs?.length) return undefined;
  let best: number | undefined;
  for (const [col, src] of segs) {
    if (col > column) break;
    best = src;
  }
  return best === undefined ? undefined : best + 1;
}
