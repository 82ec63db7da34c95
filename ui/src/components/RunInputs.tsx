import { Link } from "react-router";
import type { Run } from "../gen/flightcontrol/v1/run_pb";
import { Section } from "./PageHeader";
import { Chip } from "./StatusBadge";

/**
 * What a run was started with: its parameter values, the skill versions it installs and, when
 * parameters were filled in, the resolved prompt (the run's spec holds the prompt after filling).
 */
export function RunInputs({ run, prompt }: { run: Run; prompt: string | undefined }) {
  const params = Object.entries(run.parameters);
  if (!params.length && !run.skills.length) return null;
  return (
    <Section className="mb-3" title="Inputs">
      <dl className="divide-y divide-zinc-100 text-sm" data-testid="run-inputs">
        {params.length > 0 && (
          <div className="grid grid-cols-[110px_minmax(0,1fr)] items-baseline gap-3 px-4 py-2">
            <dt className="text-xs font-medium text-zinc-500">Parameters</dt>
            <dd className="flex flex-wrap gap-1" data-testid="run-parameters">
              {params.map(([k, v]) => (
                <Chip key={k}>
                  {k}={v}
                </Chip>
              ))}
            </dd>
          </div>
        )}
        {run.skills.length > 0 && (
          <div className="grid grid-cols-[110px_minmax(0,1fr)] items-baseline gap-3 px-4 py-2">
            <dt className="text-xs font-medium text-zinc-500">Skills</dt>
            <dd className="flex flex-wrap gap-1" data-testid="run-skills">
              {run.skills.map((s) => (
                <Link key={s.skillId} to={`/skills/${s.skillId}?version=${s.version}`} className="hover:opacity-80">
                  <Chip tone="indigo">
                    {s.name}@{s.version}
                  </Chip>
                </Link>
              ))}
            </dd>
          </div>
        )}
        {params.length > 0 && prompt !== undefined && (
          <div className="grid grid-cols-[110px_minmax(0,1fr)] items-baseline gap-3 px-4 py-2">
            <dt className="text-xs font-medium text-zinc-500">Resolved prompt</dt>
            <dd>
              <pre className="max-h-40 overflow-auto font-sans text-sm leading-relaxed whitespace-pre-wrap" data-testid="resolved-prompt">
                {prompt}
              </pre>
            </dd>
          </div>
        )}
      </dl>
    </Section>
  );
}
