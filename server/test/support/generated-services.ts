import { readdirSync } from "node:fs";
import type { DescService } from "@bufbuild/protobuf";

/**
 * Every service generated from proto/flightcontrol/v1, found by listing the generated files: a test
 * that walks them (the role matrix, the cross-workspace matrix) covers a new service or RPC without
 * being edited, and fails where it has no rule for it.
 */
export async function generatedServices(): Promise<DescService[]> {
  const genDir = new URL("../../src/gen/flightcontrol/v1/", import.meta.url);
  const modules: Array<Record<string, unknown>> = await Promise.all(
    readdirSync(genDir)
      .filter((f) => f.endsWith("_pb.ts"))
      .map((f) => import(new URL(f, genDir).href)),
  );
  return modules.flatMap((mod) => Object.values(mod).filter((v): v is DescService => (v as DescService | undefined)?.kind === "service"));
}
