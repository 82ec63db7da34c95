import { createHash } from "node:crypto";
import { appendFile, chmod, lstat, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { SkillBundle } from "../gen/flightcontrol/v1/skill_pb";
import { git } from "../repository/git";

/**
 * Where each agent discovers project skills, relative to its working directory (the run's
 * workspace, so nothing outlives the run or reaches another one):
 * - Claude Code: `.claude/skills/<name>/SKILL.md` (project skills; code.claude.com/docs/en/skills).
 * - Codex: `.agents/skills/<name>/SKILL.md` at the project root, the nearest folder with `.git`
 *   or else the working directory (codex-rs/core/src/skills/loader.rs, repo_agents_skill_roots).
 * - Goose: `.goose/skills/<name>/SKILL.md` in its working directory (crates/goose/src/agents/
 *   skills_extension.rs, get_default_skill_directories).
 * - shell: `.agents/skills`, the agent-neutral folder, for scripts that want a skill's files.
 */
export const SKILL_DIRS: Record<string, string> = {
  "claude-code": ".claude/skills",
  codex: ".agents/skills",
  goose: ".goose/skills",
  shell: ".agents/skills",
};

export interface InstallSkillsOptions {
  skills: SkillBundle[];
  agent: string;
  /** The agent's working directory: the checkout or the empty workspace. */
  cwd: string;
  /** The workspace is a git checkout: the installed folders are excluded from the run's commit. */
  repository: boolean;
  signal?: AbortSignal;
  say: (text: string) => void;
}

/** A name the server accepted (agentskills.io name rules) is one plain folder name; anything else is refused. */
const SAFE_NAME = /^[\p{L}\p{N}][\p{L}\p{N}-]{0,63}$/u;

/**
 * Writes the run's skills where its agent looks for them, each file checked against its SHA-256
 * (a mismatch fails the run before the agent starts) and scripts made executable. A skill folder
 * that the repository already has is refused rather than overwritten: the run would commit our
 * copy over the repository's. In a checkout the folders go into .git/info/exclude, so they never
 * become part of the run's commit or diff.
 */
export async function installSkills(opts: InstallSkillsOptions): Promise<void> {
  if (!opts.skills.length) return;
  const base = SKILL_DIRS[opts.agent];
  if (!base) throw new Error(`skills: agent "${opts.agent}" has no known skills folder; remove the skills from the job or use another agent`);
  const root = join(opts.cwd, base);
  const installed: string[] = [];
  for (const skill of opts.skills) {
    if (!SAFE_NAME.test(skill.name)) throw new Error(`skills: refusing skill name ${JSON.stringify(skill.name)}: not a plain folder name`);
    const dir = join(root, skill.name);
    if (await exists(dir)) {
      throw new Error(`skills: ${base}/${skill.name} already exists in the workspace; rename the skill or remove that folder from the repository`);
    }
    for (const file of skill.files) {
      const target = resolve(dir, file.path);
      if (!target.startsWith(dir + sep))
        throw new Error(`skills: ${skill.name}: refusing file path ${JSON.stringify(file.path)} outside the skill's folder`);
      const actual = createHash("sha256").update(file.content).digest("hex");
      if (actual !== file.sha256) {
        throw new Error(
          `skills: ${skill.name} version ${skill.version}: ${file.path} does not match its SHA-256 (got ${actual.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…)`,
        );
      }
      await mkdir(dirname(target), { recursive: true });
      const mode = file.executable ? 0o755 : 0o644;
      await writeFile(target, file.content, { mode, flag: "wx" });
      // writeFile's mode is filtered by the umask; scripts must end up executable whatever it is.
      await chmod(target, mode);
    }
    installed.push(`${skill.name} (v${skill.version}, ${skill.files.length} file${skill.files.length === 1 ? "" : "s"})`);
  }
  if (opts.repository) {
    const exclude = await git(["-C", opts.cwd, "rev-parse", "--git-path", "info/exclude"], "skills: cannot find the checkout's exclude file", {
      signal: opts.signal,
    });
    const path = resolve(opts.cwd, exclude);
    await mkdir(dirname(path), { recursive: true });
    const lines = opts.skills.map((s) => `/${base}/${s.name}/`).join("\n");
    await appendFile(path, `\n# skills installed by Flight Control for this run\n${lines}\n`);
  }
  opts.say(`skills: installed ${installed.join(", ")} in ${base}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
