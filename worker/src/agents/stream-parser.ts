import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import type { AgentOutput } from "./types";

/** What an agent's own event stream said about how the run ended. */
export interface StreamVerdict {
  /** The stream reached its normal terminal event. */
  finished: boolean;
  /** A failure the stream reported; fails the run even when the process exits 0. */
  error?: string;
  result?: string;
  usage?: Usage;
}

/** Maps an agent's JSON-lines stdout to outputs; stateful, one per run. */
export interface StreamParser {
  line(text: string): AgentOutput[];
  /** Flushes what is still pending once stdout has ended. */
  end(): AgentOutput[];
  verdict(): StreamVerdict;
}
