import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/**
 * Each goose run gets its own GOOSE_PATH_ROOT (sessions, logs and state stay per run), yet must use
 * the operator's goose configuration: provider, model and settings from the config.yaml that goose
 * would read on this machine. So the run's config.yaml is the operator's, with the job's extensions
 * added to its `extensions:` map. Secrets are not copied: the run's root has no secrets.yaml, and
 * GOOSE_DISABLE_KEYRING keeps goose out of the keyring, so secrets come only from the job's
 * credentials or the worker's environment (goose reads every key from the environment first,
 * Config::get_param in crates/goose/src/config/base.rs).
 */

/**
 * Where goose reads its config.yaml for the worker's own environment (crates/goose/src/config/
 * paths.rs): $GOOSE_PATH_ROOT/config when that is absolute, else the XDG config directory.
 */
export function operatorGooseConfigPath(env: NodeJS.ProcessEnv): string {
  const root = env.GOOSE_PATH_ROOT;
  if (root && isAbsolute(root)) return join(root, "config", "config.yaml");
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".config");
  return join(base, "goose", "config.yaml");
}

/** The operator's config.yaml text, or "" when there is none. */
export async function readOperatorGooseConfig(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw new Error(`cannot read the worker's goose configuration ${path}: ${(err as Error).message}`);
  }
}

/**
 * The operator's config.yaml with `entries` (key → goose ExtensionEntry) in its `extensions:` map;
 * an operator extension under the same key gives way to the job's. Goose writes its config as
 * block YAML (serde_yaml), so this edits the text at the top level rather than re-serializing it,
 * keeping every other setting byte for byte. Each entry goes in as JSON, which YAML reads as a flow
 * mapping. A duplicate key would make goose discard the whole file as corrupted, hence the care.
 */
export function gooseConfigWithExtensions(
  operatorText: string,
  entries: Record<string, unknown>,
  source: string,
): { text: string } | { error: string } {
  const lines = operatorText.split("\n");
  const blocks = topLevelBlocks(lines);
  const ext = blocks.find((b) => b.key === "extensions");
  const kept: string[] = [];
  let indent = "  ";
  if (ext !== undefined) {
    const inline = lines[ext.start]
      .replace(/^[^:]*:/, "")
      .replace(/#.*$/, "")
      .trim();
    if (inline !== "" && inline !== "{}" && inline !== "~" && inline !== "null") {
      return {
        error: `the worker's goose configuration ${source} writes extensions: in flow style; write it as a block mapping (as goose configure does) so that runs can add theirs`,
      };
    }
    const body = lines.slice(ext.start + 1, ext.end);
    const first = body.find((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
    indent = first?.match(/^\s*/)?.[0] || indent;
    let dropping = false;
    for (const line of body) {
      const key = line.startsWith(indent) && !/^\s/.test(line.slice(indent.length)) ? mappingKey(line.slice(indent.length)) : undefined;
      if (key !== undefined) dropping = key in entries;
      if (!dropping) kept.push(line);
    }
  }
  const added = Object.entries(entries).map(([key, entry]) => `${indent}${JSON.stringify(key)}: ${JSON.stringify(entry)}`);
  const others = blocks.filter((b) => b !== ext).flatMap((b) => lines.slice(b.start, b.end));
  const extensions = Object.keys(entries).length > 0 || kept.some((l) => l.trim() !== "") ? ["extensions:", ...trimEnd(kept), ...added] : [];
  return { text: `${[...trimEnd(others), ...extensions].join("\n")}\n` };
}

interface Block {
  /** The top-level key, or undefined for lines before the first key (comments, `---`). */
  key: string | undefined;
  start: number;
  end: number;
}

/** Top-level entries: a key at column 0, up to the next one (a `- ` item at column 0 belongs to its key). */
function topLevelBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current: Block = { key: undefined, start: 0, end: 0 };
  lines.forEach((line, i) => {
    const key = /^[^\s#-]/.test(line) || /^-[^\s-]/.test(line) ? mappingKey(line) : undefined;
    if (key === undefined) return;
    current.end = i;
    blocks.push(current);
    current = { key, start: i, end: i };
  });
  current.end = lines.length;
  blocks.push(current);
  return blocks.filter((b) => b.end > b.start);
}

/** The key of a `key: value` line (plain, "double" or 'single' quoted), or undefined. */
function mappingKey(text: string): string | undefined {
  const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(\s|$)/.exec(text);
  if (quoted) return quoted[1].startsWith('"') ? (JSON.parse(quoted[1]) as string) : quoted[1].slice(1, -1).replaceAll("''", "'");
  const plain = /^([^\s:#][^:#]*?)\s*:(\s|$)/.exec(text);
  return plain?.[1];
}

function trimEnd(lines: string[]): string[] {
  let n = lines.length;
  while (n > 0 && lines[n - 1].trim() === "") n--;
  return lines.slice(0, n);
}
