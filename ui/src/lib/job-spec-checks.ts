import type { FieldViolation } from "./errors";
import { checkEnvRows } from "./env-checks";
import { lines, type JobSpecDraft } from "./job-spec-draft";
import { checkParameters, type TemplatedText } from "./parameter-checks";

// The server enforces the same bounds (spec.proto), but its messages quote regular expressions;
// these say what to change, and appear before anything is sent.

// The URL forms spec.proto's Repository.url accepts.
const URL_FORMS = /^(https?:\/\/[^@/\s]+\/\S+|ssh:\/\/\S+|git:\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$/;
const HTTP_USERINFO = /^https?:\/\/[^/\s]*@/;
const REF_FORBIDDEN = /[\s~^:?*[\\]/;
const BRANCH = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/;
const MAX_GLOBS = 32;
const MAX_GLOB_LENGTH = 512;

function repositoryProblems(d: JobSpecDraft, at: (f: string) => string): FieldViolation[] {
  const out: FieldViolation[] = [];
  const url = d.repoUrl.trim();
  const ref = d.repoRef.trim();
  const branch = d.repoBranch.trim();
  if (!url) {
    if (ref || branch || d.repoPush || d.repoCredentialId) {
      out.push({ path: at("repository.url"), message: "Enter the repository URL, or clear the ref, branch, push and git credential." });
    }
    return out;
  }
  if (HTTP_USERINFO.test(url)) {
    out.push({
      path: at("repository.url"),
      message: "Take the user name and token out of the URL: choose a git credential holding GIT_TOKEN (and GIT_USERNAME) instead.",
    });
  } else if (!URL_FORMS.test(url)) {
    out.push({
      path: at("repository.url"),
      message: "Use an https://host/path, ssh://, or git:// URL, or the scp form git@host:path.",
    });
  } else if (url.length > 2048) {
    out.push({ path: at("repository.url"), message: `Shorten the URL to 2,048 characters (it has ${url.length.toLocaleString("en")}).` });
  }
  if (REF_FORBIDDEN.test(ref)) {
    out.push({ path: at("repository.ref"), message: "A ref is a branch, tag or commit: remove spaces and the characters ~ ^ : ? * [ \\." });
  } else if (ref.length > 256) {
    out.push({ path: at("repository.ref"), message: "Shorten the ref to 256 characters." });
  }
  if (branch && !BRANCH.test(branch)) {
    out.push({
      path: at("repository.branch"),
      message: "Use letters, digits and . _ / - only, starting with a letter, digit, . or _ (e.g. fc/fix-login); or leave it empty for fc/<run id>.",
    });
  } else if (branch.length > 200) {
    out.push({ path: at("repository.branch"), message: "Shorten the branch name to 200 characters." });
  }
  return out;
}

function artifactPathProblems(d: JobSpecDraft, at: (f: string) => string): FieldViolation[] {
  const globs = lines(d.artifactPaths);
  const path = at("artifact_paths");
  if (globs.length > MAX_GLOBS) return [{ path, message: `At most ${MAX_GLOBS} globs; combine some (e.g. out/**/*.{png,md}).` }];
  const out: FieldViolation[] = [];
  for (const g of globs) {
    if (g.startsWith("/") || /^[A-Za-z]:[\\/]/.test(g)) {
      out.push({ path, message: `"${g}": globs are relative to the run's workspace; remove the leading /.` });
    } else if (g.split(/[\\/]/).includes("..")) {
      out.push({ path, message: `"${g}": a glob cannot reach out of the workspace; remove the "..".` });
    } else if (g.length > MAX_GLOB_LENGTH) {
      out.push({ path, message: `A glob may be at most ${MAX_GLOB_LENGTH} characters; "${g.slice(0, 40)}…" is longer.` });
    }
  }
  return out;
}

/** The fields `{{name}}` placeholders are filled into (server: templatedFields), as the draft holds them. */
export function templatedTexts(d: JobSpecDraft): TemplatedText[] {
  const shell = d.agent === "shell";
  const out: TemplatedText[] = [
    { field: "prompt", text: d.prompt },
    { field: "system_instructions", text: shell ? "" : d.systemInstructions },
    { field: "setup_script", text: d.setupScript },
    ...d.env.filter((r) => r.key.trim()).map((r) => ({ field: `env[${JSON.stringify(r.key.trim())}]`, text: r.value })),
  ];
  if (d.repoUrl.trim()) out.push({ field: "repository.branch", text: d.repoBranch });
  return out;
}

/**
 * What the form can tell is wrong with the repository, setup script, artifact globs, env and
 * parameters before sending; `prefix` is the JobSpec's path in the request (`spec`), as the server would report it.
 */
export function checkSpecDraft(d: JobSpecDraft, prefix: string): FieldViolation[] {
  const at = (f: string) => `${prefix}.${f}`;
  const out = [
    ...repositoryProblems(d, at),
    ...artifactPathProblems(d, at),
    ...checkEnvRows(d.env, prefix),
    ...checkParameters(d.parameters, templatedTexts(d), prefix),
  ];
  if (new TextEncoder().encode(d.setupScript).length > 65536) {
    out.push({ path: at("setup_script"), message: "The setup script may be at most 64 KiB; move the long part into a script in the repository." });
  }
  return out;
}
