import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { RunService, type Run } from "../gen/flightcontrol/v1/run_pb";
import { invalidateService } from "../lib/invalidate";
import { InlineError } from "./ErrorBanner";
import { Button } from "./Button";

/**
 * The next step of the work: a new prompt queues a follow-up (ContinueRun) that starts from this
 * run's branch and, where the agent can, its session; then the new run opens.
 */
export function FollowUpBox({ run }: { run: Run }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [prompt, setPrompt] = useState("");
  const cont = useMutation(RunService.method.continueRun, {
    onSuccess: (res) => {
      invalidateService(queryClient, RunService);
      setPrompt("");
      if (res.run) navigate(`/runs/${res.run.id}`);
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (prompt.trim()) cont.mutate({ id: run.id, prompt });
  }
  const shell = run.specSummary?.agent === "shell" || run.spec?.agent === "shell";
  return (
    <form onSubmit={submit} aria-label="Follow-up" className="space-y-2 px-4 py-3">
      <label htmlFor="follow-up-prompt" className="block text-xs font-medium text-zinc-700">
        {shell ? "Next command line" : "What should the agent do next?"}
      </label>
      <textarea
        id="follow-up-prompt"
        className={`input ${shell ? "font-mono text-[13px]" : ""}`}
        rows={3}
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => {
          // Ctrl/⌘+Enter sends, as in chat boxes; Enter alone keeps making new lines.
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
        }}
        placeholder={shell ? "make test" : "Also add a test for the empty case."}
      />
      <div className="flex flex-wrap items-center justify-end gap-3">
        <InlineError error={cont.error} />
        <span className="text-xs text-zinc-500">Starts from this run's changes{run.changes?.branch ? ` (${run.changes.branch})` : ""}.</span>
        <Button type="submit" variant="primary" busy={cont.isPending} disabled={!prompt.trim()}>
          Continue
        </Button>
      </div>
    </form>
  );
}
