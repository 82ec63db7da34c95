import { EntitySchema } from "typeorm";
import { epochMs, id, int, str, text } from "../columns";
import { workspaceColumn } from "./workspace";

/** A worker's state as stored: connected, connected but taking no new runs, or gone. */
export type WorkerStateColumn = "online" | "draining" | "offline";

export interface WorkerRow {
  id: string;
  name: string;
  hostname: string;
  /** JSON object. */
  labels: string;
  capacity: number;
  /** JSON array. */
  agents: string;
  /** JSON object: agent name → its CLI's version, as the worker's Hello reported it. */
  agentVersions: string;
  version: string;
  state: WorkerStateColumn;
  instanceId: string;
  connectedAt: number;
  lastHeartbeatAt: number;
  disconnectedAt: number | null;
  /** SHA-256 (hex) of the token issued to the worker's latest session; "" when none was. */
  sessionTokenHash: string;
  /** The API key the latest session connected with. */
  apiKeyId: string;
  /** The workspace of the key it connected with: it is offered only that workspace's runs. */
  workspaceId: string;
}

export const WorkerEntity = new EntitySchema<WorkerRow>({
  name: "Worker",
  tableName: "workers",
  columns: {
    id: id(),
    name: { ...str(128), unique: true },
    hostname: str(255),
    labels: text(),
    capacity: int(),
    agents: text(),
    agentVersions: { ...text(), name: "agent_versions", default: "{}" },
    version: str(64),
    state: str(16),
    instanceId: { ...str(64), name: "instance_id" },
    connectedAt: { ...epochMs(), name: "connected_at" },
    lastHeartbeatAt: { ...epochMs(), name: "last_heartbeat_at" },
    disconnectedAt: { ...epochMs(true), name: "disconnected_at" },
    sessionTokenHash: { ...str(64), name: "session_token_hash", default: "" },
    apiKeyId: { ...str(36), name: "api_key_id", default: "" },
    workspaceId: workspaceColumn(),
  },
});
