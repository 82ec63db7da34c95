import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectResponseSchema, type ConnectResponse } from "../../gen/flightcontrol/v1/worker_pb";

/** The server's side of the worker protocol: each message it sends, built in one place. */
export const workerMessage = (m: MessageInitShape<typeof ConnectResponseSchema>["message"]): ConnectResponse =>
  create(ConnectResponseSchema, { message: m });

/** Everything up to seq is stored; `finished` also says the outcome is recorded (the worker may forget the run). */
export const logAck = (runId: string, seq: number, finished = false) =>
  workerMessage({ case: "logAck", value: { runId, ackedSeq: BigInt(seq), finished } });

/** abandon: the run is no longer this worker's; stop it and report nothing more about it. */
export const cancelMessage = (runId: string, reason: string, abandon: boolean) =>
  workerMessage({ case: "cancel", value: { runId, reason, abandon } });

export const heartbeatAck = (seq: bigint) => workerMessage({ case: "heartbeatAck", value: { seq } });

export const drainMessage = () => workerMessage({ case: "drain", value: {} });
