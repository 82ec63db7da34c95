import { useEffect } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { RunService, type Run } from "../gen/flightcontrol/v1/run_pb";
import { isTerminal } from "../lib/run-status";

/**
 * The artifacts a run kept (ListArtifacts). A worker reports a run finished only once its artifacts
 * are stored, so the list is read again when the run ends rather than polled.
 */
export function useRunArtifacts(run: Pick<Run, "id" | "status">) {
  const terminal = isTerminal(run.status);
  const query = useQuery(RunService.method.listArtifacts, { runId: run.id });
  const { refetch } = query;
  useEffect(() => {
    if (terminal) void refetch();
  }, [terminal, refetch]);
  return query;
}
