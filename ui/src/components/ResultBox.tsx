import { stripAnsi } from "../lib/run-output";

/**
 * The agent's final answer. Green only when the run succeeded: on a failed or cancelled run it is
 * just the last thing the agent said, and must not read as an outcome.
 */
export function ResultBox({ result, succeeded, clamp }: { result: string; succeeded: boolean; clamp?: boolean }) {
  const tone = succeeded ? "border-emerald-200 bg-emerald-50" : "border-zinc-200 bg-white";
  return (
    <div className={`mb-4 rounded-md border px-3 py-2 last:mb-0 ${tone}`} data-testid="run-result">
      <div className={`mb-0.5 text-[11px] font-medium tracking-wide uppercase ${succeeded ? "text-emerald-800" : "text-zinc-500"}`}>
        {succeeded ? "Result" : "Last agent message"}
      </div>
      <p className={`text-sm whitespace-pre-wrap ${succeeded ? "text-emerald-950" : "text-zinc-800"} ${clamp ? "line-clamp-4" : ""}`}>
        {stripAnsi(result)}
      </p>
    </div>
  );
}
