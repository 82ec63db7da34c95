import type { ReactNode } from "react";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { seconds } from "../lib/format";
import { labelList } from "../lib/labels";
import { typeLabel } from "../lib/parameter-draft";
import { providerInfo } from "../lib/providers";
import { useCredentialList } from "./CredentialPicker";
import { SkillNames } from "./SkillNames";
import { Chip } from "./StatusBadge";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[150px_minmax(0,1fr)] items-baseline gap-3 border-b border-zinc-100 px-4 py-2 last:border-0">
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="min-w-0 text-sm text-zinc-900">{children}</dd>
    </div>
  );
}

const none = <span className="text-zinc-400">—</span>;

/** A job definition (or a run's snapshot of one), read-only. */
export function JobSpecView({ spec }: { spec: JobSpec | undefined }) {
  if (!spec) return <p className="px-4 py-6 text-sm text-zinc-500">No definition.</p>;
  return (
    <dl data-testid="job-spec">
      {/* A command line is code; a prompt is prose and reads better in the text font. */}
      <Row label={spec.agent === "shell" ? "Command line" : "Prompt"}>
        <pre
          className={`max-h-72 overflow-auto whitespace-pre-wrap ${spec.agent === "shell" ? "font-mono text-xs" : "font-sans text-sm leading-relaxed"}`}
        >
          {spec.prompt}
        </pre>
      </Row>
      {spec.systemInstructions && (
        <Row label="System instructions">
          <pre className="max-h-48 overflow-auto font-sans text-sm leading-relaxed whitespace-pre-wrap">{spec.systemInstructions}</pre>
        </Row>
      )}
      <Row label="Agent">{spec.agent}</Row>
      {spec.agent !== "shell" && (
        <Row label="Provider · model">
          {spec.provider || spec.model ? (
            <span className="font-mono text-xs">
              {spec.provider || "default"} · {spec.model || "default"}
              {providerInfo(spec.provider) && <span className="ml-2 text-zinc-400">needs {providerInfo(spec.provider)!.env.join(", ")}</span>}
            </span>
          ) : (
            "agent default"
          )}
        </Row>
      )}
      {spec.extensions.length > 0 && (
        <Row label="MCP extensions">
          <ul className="space-y-1">
            {spec.extensions.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a read-only view of one spec, never reordered; extension names need not be unique.
              <li key={i} className="font-mono text-xs">
                <span className="font-semibold">{e.name}</span>{" "}
                {e.transport.case === "stdio" && (
                  <span className="text-zinc-600">
                    stdio: {e.transport.value.command} {e.transport.value.args.join(" ")}
                    {Object.keys(e.transport.value.env).length > 0 && (
                      <span className="text-zinc-400"> (env: {Object.keys(e.transport.value.env).join(", ")})</span>
                    )}
                  </span>
                )}
                {e.transport.case === "streamableHttp" && (
                  <span className="text-zinc-600">
                    http: {e.transport.value.url}
                    {Object.keys(e.transport.value.headers).length > 0 && (
                      <span className="text-zinc-400"> (headers: {Object.keys(e.transport.value.headers).join(", ")})</span>
                    )}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </Row>
      )}
      {spec.builtins.length > 0 && (
        <Row label="Built-ins">
          {spec.builtins.map((b) => (
            <Chip key={b}>{b}</Chip>
          ))}
        </Row>
      )}
      {spec.repository && (
        <Row label="Repository">
          <span className="font-mono text-xs break-all">{spec.repository.url}</span>
          <span className="ml-2 text-xs text-zinc-500">
            at {spec.repository.ref || "the default branch"} · work branch {spec.repository.branch || "fc/<run id>"}
            {spec.repository.push ? " · pushed" : " · not pushed"}
            {spec.repository.credentialId && " · git credential "}
          </span>
          {spec.repository.credentialId && <CredentialNames ids={[spec.repository.credentialId]} />}
        </Row>
      )}
      {spec.setupScript && (
        <Row label="Setup script">
          <pre className="max-h-48 overflow-auto font-mono text-xs whitespace-pre-wrap">{spec.setupScript}</pre>
        </Row>
      )}
      {spec.artifactPaths.length > 0 && (
        <Row label="Artifact globs">
          <span className="flex flex-wrap gap-1">
            {spec.artifactPaths.map((g) => (
              <Chip key={g}>{g}</Chip>
            ))}
          </span>
        </Row>
      )}
      {spec.parameters.length > 0 && (
        <Row label="Parameters">
          <ul className="space-y-0.5" data-testid="spec-parameters">
            {spec.parameters.map((p) => (
              <li key={p.name} className="text-xs">
                <span className="font-mono font-semibold">{p.name}</span>{" "}
                <span className="text-zinc-500">
                  {typeLabel(p.type)}
                  {p.choices.length > 0 && ` (${p.choices.join(" | ")})`}
                  {p.required ? " · required" : ` · default ${p.defaultValue === "" ? '""' : p.defaultValue}`}
                </span>
                {p.description && <span className="text-zinc-600"> — {p.description}</span>}
              </li>
            ))}
          </ul>
        </Row>
      )}
      {spec.skillIds.length > 0 && (
        <Row label="Skills">
          <SkillNames ids={spec.skillIds} />
        </Row>
      )}
      {Object.keys(spec.env).length > 0 && (
        <Row label="Environment">
          <span className="flex flex-wrap gap-1">
            {Object.entries(spec.env).map(([k, v]) => (
              <Chip key={k}>
                {k}={v}
              </Chip>
            ))}
          </span>
        </Row>
      )}
      <Row label="Credentials">{spec.credentialIds.length ? <CredentialNames ids={spec.credentialIds} /> : none}</Row>
      <Row label="Required labels">
        {Object.keys(spec.requiredLabels).length ? (
          <span className="flex flex-wrap gap-1">
            {labelList(spec.requiredLabels).map((l) => (
              <Chip key={l}>{l}</Chip>
            ))}
          </span>
        ) : (
          none
        )}
      </Row>
      <Row label="Limits">
        <span className="text-xs text-zinc-700">
          timeout {spec.timeoutSeconds ? seconds(spec.timeoutSeconds) : "1h (default)"} · {spec.maxAttempts || 1} attempt
          {spec.maxAttempts > 1 ? "s" : ""}
          {spec.maxAttempts > 1 && ` · backoff ${spec.retryBackoffSeconds ? seconds(spec.retryBackoffSeconds) : "5s"}, doubling`} · priority{" "}
          {spec.priority}
          {spec.agent !== "shell" && ` · max turns ${spec.maxTurns || "agent default"}`}
        </span>
      </Row>
    </dl>
  );
}

// Names come from ListCredentials when the key may list them; otherwise the ids stand in.
function CredentialNames({ ids }: { ids: string[] }) {
  const list = useCredentialList();
  const names = new Map(list.data?.credentials.map((c) => [c.id, c.name]) ?? []);
  return (
    <span className="inline-flex flex-wrap gap-1">
      {ids.map((id) => (
        <Chip key={id} tone="indigo">
          {names.get(id) ?? id.slice(0, 8)}
        </Chip>
      ))}
    </span>
  );
}
