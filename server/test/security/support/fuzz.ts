import fc from "fast-check";

/** ORCH_TEST_SECURITY_FULL=1 runs every property many more times (minutes instead of seconds). */
export const FULL = process.env.ORCH_TEST_SECURITY_FULL === "1";

/** A fixed seed, so a failure reproduces; override with ORCH_TEST_FUZZ_SEED (and ORCH_TEST_FUZZ_PATH to replay the shrunk case). */
export const SEED = process.env.ORCH_TEST_FUZZ_SEED ? Number(process.env.ORCH_TEST_FUZZ_SEED) : 20_261_124;

export const runs = (quick: number, full: number): number => (FULL ? full : quick);

/**
 * fc.assert with the fixed seed, re-thrown with the line that replays the failing case, so the seed
 * is printed with every failure.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<Ts>,
  numRuns: number,
): Promise<void> {
  const params: fc.Parameters<Ts> = {
    seed: SEED,
    numRuns,
    endOnFailure: !FULL,
    ...(process.env.ORCH_TEST_FUZZ_PATH ? { path: process.env.ORCH_TEST_FUZZ_PATH } : {}),
  };
  const details = await fc.check(property, params);
  if (!details.failed) return;
  const error = details.errorInstance;
  throw new Error(
    `property "${name}" failed (seed ${details.seed}, path ${details.counterexamplePath}); ` +
      `replay with ORCH_TEST_FUZZ_SEED=${details.seed} ORCH_TEST_FUZZ_PATH=${details.counterexamplePath}\n` +
      `counterexample: ${fc.stringify(details.counterexample)}\n` +
      `${error instanceof Error ? error.message : String(error)}`,
  );
}
