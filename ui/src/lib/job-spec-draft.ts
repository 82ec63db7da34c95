import type { MessageInitShape } from "@bufbuild/protobuf";
import type { JobSpec, JobSpecSchema, McpExtension, McpExtensionSchema } from "../gen/flightcontrol/v1/spec_pb";
import { mapToRows, rowsToMap, type KeyValueRow } from "./labels";
import { draftToParameter, parameterToDraft, type ParameterDraft } from "./parameter-draft";

// Forms edit strings (empty means "server default"); these helpers translate to and from the
// JobSpec message so the job editor and the ad-hoc run form share one field set.

export interface ExtensionDraft {
  name: string;
  transport: "stdio" | "streamable_http";
  command: string;
  /** One argument per line, so arguments may contain spaces. */
  args: string;
  env: KeyValueRow[];
  url: string;
  headers: KeyValueRow[];
  timeoutSeconds: string;
}

export interface JobSpecDraft {
  prompt: string;
  systemInstructions: string;
  agent: string;
  provider: string;
  model: string;
  extensions: ExtensionDraft[];
  builtins: string;
  credentialIds: string[];
  requiredLabels: KeyValueRow[];
  timeoutSeconds: string;
  maxAttempts: string;
  retryBackoffSeconds: string;
  priority: string;
  maxTurns: string;
  /** Empty: no repository (the agent starts in an empty directory). */
  repoUrl: string;
  repoRef: string;
  repoBranch: string;
  repoPush: boolean;
  /** A credential for git only; empty for a public repository. */
  repoCredentialId: string;
  setupScript: string;
  /** One glob per line. */
  artifactPaths: string;
  /** Plain, visible variables (credentials hold secrets). */
  env: KeyValueRow[];
  parameters: ParameterDraft[];
  skillIds: string[];
}

export function emptyExtension(): ExtensionDraft {
  return { name: "", transport: "stdio", command: "", args: "", env: [], url: "", headers: [], timeoutSeconds: "" };
}

export function emptySpecDraft(): JobSpecDraft {
  return {
    prompt: "",
    systemInstructions: "",
    agent: "goose",
    provider: "",
    model: "",
    extensions: [],
    builtins: "developer",
    credentialIds: [],
    requiredLabels: [],
    timeoutSeconds: "",
    maxAttempts: "",
    retryBackoffSeconds: "",
    priority: "",
    maxTurns: "",
    repoUrl: "",
    repoRef: "",
    repoBranch: "",
    repoPush: false,
    repoCredentialId: "",
    setupScript: "",
    artifactPaths: "",
    env: [],
    parameters: [],
    skillIds: [],
  };
}

const numText = (n: number) => (n ? String(n) : "");

function extensionToDraft(e: McpExtension): ExtensionDraft {
  const d = emptyExtension();
  d.name = e.name;
  d.timeoutSeconds = numText(e.timeoutSeconds);
  if (e.transport.case === "streamableHttp") {
    d.transport = "streamable_http";
    d.url = e.transport.value.url;
    d.headers = mapToRows(e.transport.value.headers);
  } else if (e.transport.case === "stdio") {
    d.command = e.transport.value.command;
    d.args = e.transport.value.args.join("\n");
    d.env = mapToRows(e.transport.value.env);
  }
  return d;
}

export function specToDraft(spec: JobSpec | undefined): JobSpecDraft {
  if (!spec) return emptySpecDraft();
  return {
    prompt: spec.prompt,
    systemInstructions: spec.systemInstructions,
    agent: spec.agent || "goose",
    provider: spec.provider,
    model: spec.model,
    extensions: spec.extensions.map(extensionToDraft),
    builtins: spec.builtins.join(", "),
    credentialIds: [...spec.credentialIds],
    requiredLabels: mapToRows(spec.requiredLabels),
    timeoutSeconds: numText(spec.timeoutSeconds),
    maxAttempts: numText(spec.maxAttempts),
    retryBackoffSeconds: numText(spec.retryBackoffSeconds),
    priority: numText(spec.priority),
    maxTurns: numText(spec.maxTurns),
    repoUrl: spec.repository?.url ?? "",
    repoRef: spec.repository?.ref ?? "",
    repoBranch: spec.repository?.branch ?? "",
    repoPush: spec.repository?.push ?? false,
    repoCredentialId: spec.repository?.credentialId ?? "",
    setupScript: spec.setupScript,
    artifactPaths: spec.artifactPaths.join("\n"),
    env: mapToRows(spec.env),
    parameters: spec.parameters.map(parameterToDraft),
    skillIds: [...spec.skillIds],
  };
}

/** Unsigned fields cannot carry a negative number on the wire; the server reports upper bounds. */
function uint(s: string): number {
  const n = Math.trunc(Number(s.trim() || "0"));
  return Number.isFinite(n) && n > 0 ? Math.min(n, 0xffffffff) : 0;
}

function int(s: string): number {
  const n = Math.trunc(Number(s.trim() || "0"));
  return Number.isFinite(n) ? Math.max(-0x80000000, Math.min(n, 0x7fffffff)) : 0;
}

function draftToExtension(d: ExtensionDraft): MessageInitShape<typeof McpExtensionSchema> {
  const base = { name: d.name.trim(), timeoutSeconds: uint(d.timeoutSeconds) };
  if (d.transport === "streamable_http") {
    return { ...base, transport: { case: "streamableHttp", value: { url: d.url.trim(), headers: rowsToMap(d.headers) } } };
  }
  return {
    ...base,
    transport: {
      case: "stdio",
      value: {
        command: d.command.trim(),
        args: d.args.split("\n").filter((a) => a.trim() !== ""),
        env: rowsToMap(d.env),
      },
    },
  };
}

/** Non-blank lines, trimmed. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

export function draftToSpec(d: JobSpecDraft): MessageInitShape<typeof JobSpecSchema> {
  // The form hides fields the chosen agent does not use; hidden values are not sent either.
  const shell = d.agent === "shell";
  return {
    prompt: d.prompt,
    systemInstructions: shell ? "" : d.systemInstructions,
    agent: d.agent,
    provider: shell ? "" : d.provider.trim(),
    model: shell ? "" : d.model.trim(),
    extensions: shell ? [] : d.extensions.map(draftToExtension),
    builtins:
      d.agent === "goose"
        ? d.builtins
            .split(/[\s,]+/)
            .map((b) => b.trim())
            .filter(Boolean)
        : [],
    credentialIds: d.credentialIds,
    requiredLabels: rowsToMap(d.requiredLabels),
    timeoutSeconds: uint(d.timeoutSeconds),
    maxAttempts: uint(d.maxAttempts),
    retryBackoffSeconds: uint(d.retryBackoffSeconds),
    priority: int(d.priority),
    maxTurns: shell ? 0 : uint(d.maxTurns),
    repository: d.repoUrl.trim()
      ? {
          url: d.repoUrl.trim(),
          ref: d.repoRef.trim(),
          branch: d.repoBranch.trim(),
          push: d.repoPush,
          credentialId: d.repoCredentialId,
        }
      : undefined,
    setupScript: d.setupScript.trim() ? d.setupScript : "",
    artifactPaths: lines(d.artifactPaths),
    env: rowsToMap(d.env),
    parameters: d.parameters.map(draftToParameter),
    skillIds: d.skillIds,
  };
}

/** JobSpec field names (proto spelling) the shared form renders, for error-banner bookkeeping. */
export const SPEC_FIELDS = [
  "prompt",
  "system_instructions",
  "agent",
  "provider",
  "model",
  "extensions",
  "builtins",
  "credential_ids",
  "required_labels",
  "timeout_seconds",
  "max_attempts",
  "retry_backoff_seconds",
  "priority",
  "max_turns",
  "repository",
  "setup_script",
  "artifact_paths",
  "env",
  "parameters",
  "skill_ids",
] as const;

export function specClaims(prefix: string): string[] {
  return SPEC_FIELDS.map((f) => `${prefix}.${f}`);
}
