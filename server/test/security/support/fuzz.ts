import fc from "fast-check";

/** FC_SECURITY_FULL=1 runs every property many more times (minutes instead of seconds). */
export const FULL = process.env.FC_SECURITY_FULL === "1";

/** A fixed seed, so a failure reproduces; override with FC_SEED (and FC_PATH to replay the shrunk case). */
export const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_261_124;

export const runs = (quick: number, full: number): number => (FULL ? full : quick);

/**
 * fc.assert with the fixed seed, re-thrown with the line that replays the failing case, so the seed
 * is printed with every failure.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(name: string, property: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number): Promise<void> {
  const params: fc.Parameters<Ts> = { seed: SEED, numRuns, endOnFailure: !FULL, ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) };
  const details = await fc.check(property, params);
  if (!details.failed) return;
  const error = details.errorInstance;
  throw new Error(
    `property "${name}" failed (seed ${details.seed}, path ${details.counterexamplePath}); ` +
      `replay with FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath}\n` +
      `counterexample: ${fc.stringify(details.counterexample)}\n` +
      `${error instanceof Error ? error.message : String(error)}`,
  );
}
