import { create } from "@bufbuild/protobuf";
import { FollowUpSchema, type FollowUp } from "../../gen/flightcontrol/v1/worker_pb";
import type { ArtifactStore } from "../../storage/artifact-store";
import { changesFromJson } from "../../storage/codecs";
import type { JobRunRow } from "../../storage/entities";
import type { RunStore } from "../../storage/run-store";
import { notFound } from "../errors";

export interface FollowUpsDeps {
  runs: Pick<RunStore, "get">;
  artifacts: Pick<ArtifactStore, "listByRun">;
}

/**
 * What a follow-up's Assign tells its worker about the parent (worker.proto FollowUp): the parent's
 * committed changes, its changes.diff and agent session artifacts (the newest of each, should a
 * retried parent have stored more than one) and its agent session id. Read when the run is
 * dispatched, not when it is queued: the parent's artifacts are all stored by then.
 */
export function createFollowUps(deps: FollowUpsDeps) {
  return {
    async assignment(row: Pick<JobRunRow, "id" | "parentRunId">): Promise<FollowUp | undefined> {
      if (!row.parentRunId) return undefined;
      const parent = await deps.runs.get(row.parentRunId);
      if (!parent) throw notFound("run", row.parentRunId);
      const kept = await deps.artifacts.listByRun(parent.id);
      const newest = (kind: string) => kept.filter((a) => a.kind === kind).at(-1);
      const diff = newest("changes");
      const session = newest("session");
      return create(FollowUpSchema, {
        parentRunId: parent.id,
        parentChanges: changesFromJson(parent.changes),
        changesArtifactId: diff?.id ?? "",
        changesSha256: diff?.sha256 ?? "",
        sessionArtifactId: session?.id ?? "",
        sessionSha256: session?.sha256 ?? "",
        agentSessionId: parent.agentSessionId,
      });
    },
  };
}

export type FollowUps = ReturnType<typeof createFollowUps>;
