/**
 * What a job's `max_turns` means, whichever agent runs it: the most model turns — one model response
 * together with the tool calls it asks for — the agent may take. A run that reaches the limit before
 * the agent finished its task FAILS, with maxTurnsError() as its error: an unfinished task is not a
 * result. Goose (`--max-turns`, counted per model call in its agent loop, crates/goose/src/agents/
 * agent.rs) and Claude Code (`--max-turns`, result subtype `error_max_turns`) count turns this way.
 * Codex has no such setting (codex-rs/exec/src/cli.rs): a codex run says so in its log
 * (codexIgnoresMaxTurns) and only its timeout bounds it.
 */
export function maxTurnsError(agent: string, maxTurns: number): string {
  return `${agent} used all ${maxTurns} turns the job allows (max_turns) without finishing; raise max_turns or narrow the task`;
}

export function codexIgnoresMaxTurns(maxTurns: number): string {
  return `codex has no turn limit: this job's max_turns (${maxTurns}) is not enforced for codex; only the run's timeout bounds it`;
}
