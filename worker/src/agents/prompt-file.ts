import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Linux refuses any single argument over 128 KiB (MAX_ARG_STRLEN); stay well below it. */
const MAX_INLINE_BYTES = 100_000;

/** True when the prompt must travel in a file (or stdin) rather than on the command line. */
export function promptTooLongForArgv(prompt: string): boolean {
  return Buffer.byteLength(prompt, "utf8") > MAX_INLINE_BYTES;
}

/** Writes the prompt into the run's directory, which the runner removes afterwards. */
export async function writePromptFile(workDir: string, prompt: string): Promise<string> {
  const path = join(workDir, ".flightcontrol-prompt.txt");
  await writeFile(path, prompt, { mode: 0o600 });
  return path;
}

/**
 * A long option and its value as argv items. A value that starts with "-" is glued on with "="
 * so the CLI's parser cannot take it for an option.
 */
export function option(flag: string, value: string): string[] {
  return value.startsWith("-") ? [`${flag}=${value}`] : [flag, value];
}
