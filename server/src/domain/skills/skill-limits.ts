/**
 * Bounds on a skill version. The agentskills.io specification sets none on files (it recommends a
 * SKILL.md under 500 lines); ours keep every version small enough to travel in a run's Assign
 * (a job names at most 8 skills, so at most 32 MiB of skill files per run) and to be written in
 * one database transaction.
 */
export const SKILL_LIMITS = {
  /** Files in one version. */
  maxFiles: 256,
  /** Bytes of one file. */
  maxFileBytes: 2 * 1024 * 1024,
  /** Bytes of all files of a version together, uncompressed. */
  maxTotalBytes: 4 * 1024 * 1024,
  /** Characters of a path inside the skill. */
  maxPathChars: 512,
  /** Folders deep a file may sit inside the skill. */
  maxDepth: 16,
} as const;

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) ? 1 : 0)} MiB`;
