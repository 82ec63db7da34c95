import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import { cost, tokens } from "./format";

export interface UsageCell {
  label: string;
  /** Stable key for tests and styling: input, output, total, cost. */
  key: "input" | "output" | "total" | "cost";
  value: string;
}

/**
 * What a usage report says. Agents report different subsets (Goose only a total), so a zero
 * that means "not reported" is left out rather than shown as 0 or $0.
 */
export function usageCells(usage: Usage): UsageCell[] {
  const split = usage.inputTokens > 0n || usage.outputTokens > 0n;
  const total = usage.totalTokens || usage.inputTokens + usage.outputTokens;
  const cells: UsageCell[] = [];
  if (split) {
    cells.push({ label: "Input", key: "input", value: tokens(usage.inputTokens) });
    cells.push({ label: "Output", key: "output", value: tokens(usage.outputTokens) });
  }
  cells.push({ label: split ? "Total" : "Tokens", key: "total", value: tokens(total) });
  if (usage.costUsd > 0) cells.push({ label: "Cost", key: "cost", value: cost(usage.costUsd) });
  return cells;
}
