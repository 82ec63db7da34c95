import type { FieldViolation } from "./errors";
import type { KeyValueRow } from "./labels";

// Mirrors server/src/domain/specs/env-names.ts: variables the worker sets for every run, which a
// job's plain env may not override.
const PROTECTED_PREFIXES = ["ORCH_", "FLIGHTCONTROL_"];
const PROTECTED_NAMES = ["GOOSE_MODE", "GOOSE_DISABLE_KEYRING", "GOOSE_PATH_ROOT", "CODEX_HOME", "CLAUDE_CONFIG_DIR", "HOME"];
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_NAME = 128;
const MAX_VARIABLES = 64;

// Words that secrets' names carry (API_KEY, GITHUB_TOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY…).
const SECRET_WORDS = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH/i;

/** Env values are shown to everyone who can read the job; a name like this suggests a secret. */
export function looksSecret(name: string): boolean {
  return SECRET_WORDS.test(name);
}

/** Why `name` cannot be a job's env variable, or undefined when it can. */
export function envNameProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) return "Use letters, digits and _ only, not starting with a digit (a shell variable name).";
  if (name.length > MAX_NAME) return `Shorten the name to ${MAX_NAME} characters.`;
  const upper = name.toUpperCase();
  const prefix = PROTECTED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `Names starting with ${prefix} are the worker's own; rename the variable.`;
  if (PROTECTED_NAMES.includes(upper)) return `The worker sets ${upper} for every run; rename the variable.`;
  return undefined;
}

/** Violations on `<prefix>.env["NAME"]` (as the server names map entries), or on `<prefix>.env`. */
export function checkEnvRows(rows: readonly KeyValueRow[], prefix: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  const named = rows.filter((r) => r.key.trim());
  if (named.length > MAX_VARIABLES) out.push({ path: `${prefix}.env`, message: `At most ${MAX_VARIABLES} variables; remove some.` });
  if (rows.some((r) => !r.key.trim() && r.value))
    out.push({ path: `${prefix}.env`, message: "A variable has a value but no name; name it or remove it." });
  const seen = new Set<string>();
  for (const r of named) {
    const name = r.key.trim();
    const path = `${prefix}.env[${JSON.stringify(name)}]`;
    const problem = envNameProblem(name);
    if (problem) out.push({ path, message: problem });
    else if (seen.has(name)) out.push({ path, message: `${name} is set twice; keep one.` });
    seen.add(name);
  }
  return out;
}
