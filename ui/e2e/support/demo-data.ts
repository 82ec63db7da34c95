import { CREDENTIAL_PRESETS } from "../../src/lib/providers";
import { rpc, type RunJson } from "./api";
import { waitFor } from "../../../testkit/wait-for";

/**
 * A believable control plane for the README screenshots: credentials from the presets, a few
 * jobs with natural-language prompts, schedules, API keys, and runs in every state. The goose
 * runs are played by e2e/fixtures/demo-goose, whose sessions match these prompts.
 */

export interface DemoData {
  jobs: Record<"flaky" | "deps" | "review" | "smoke" | "notes", string>;
  runs: Record<"smoke" | "deps" | "failed" | "cancelled" | "flaky" | "running" | "queued", string>;
}

type Status = "succeeded" | "failed" | "cancelled" | "running" | "queued";

async function createCredential(url: string, key: string, preset: string, description: string, env: Record<string, string>): Promise<string> {
  const p = CREDENTIAL_PRESETS.find((x) => x.id === preset)!;
  const values = Object.fromEntries(p.env.map((name) => [name, env[name] ?? "demo-value"]));
  const { credential } = await rpc<{ credential: { id: string } }>(url, key, "CredentialService/CreateCredential", {
    name: p.name,
    description,
    env: values,
  });
  return credential.id;
}

async function createJob(url: string, key: string, name: string, description: string, spec: Record<string, unknown>): Promise<string> {
  const { job } = await rpc<{ job: { id: string } }>(url, key, "JobService/CreateJob", { name, description, spec });
  return job.id;
}

async function waitForStatus(url: string, key: string, id: string, status: Status): Promise<void> {
  const want = `RUN_STATUS_${status.toUpperCase()}`;
  await waitFor(
    async () => {
      const { run } = await rpc<{ run: RunJson }>(url, key, "RunService/GetRun", { id });
      if (run.status !== want && /SUCCEEDED|FAILED|CANCELLED|TIMED_OUT|LOST/.test(run.status)) {
        throw new Error(`run ${id} ended ${run.status}, expected ${want}`);
      }
      return run.status === want;
    },
    { what: `run ${id} to be ${status}`, timeoutMs: 60_000 },
  );
}

/** Waits until the run has stored `seq` output items, so a cancel lands mid-session. */
async function waitForOutput(url: string, key: string, id: string, seq: number): Promise<void> {
  await waitFor(
    async () => {
      const { run } = await rpc<{ run: RunJson }>(url, key, "RunService/GetRun", { id });
      return Number(run.lastSeq ?? 0) >= seq;
    },
    { what: `run ${id} to reach seq ${seq}`, timeoutMs: 30_000 },
  );
}

async function trigger(url: string, key: string, jobId: string): Promise<string> {
  const { run } = await rpc<{ run: RunJson }>(url, key, "JobService/TriggerJob", { id: jobId });
  return run.id;
}

async function adHoc(url: string, key: string, body: Record<string, unknown>): Promise<string> {
  const { run } = await rpc<{ run: RunJson }>(url, key, "RunService/CreateRun", body);
  return run.id;
}

/** The smoke test is a real shell script against the server itself, printing in colour. */
function smokeScript(url: string): string {
  return [
    `T=${url}; failed=0`,
    `printf '\\033[1;36m==> smoke test against %s\\033[0m\\n' "$T"`,
    `for p in /healthz /readyz /metrics /runs; do`,
    `  r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}s' "$T$p")`,
    `  case $r in 2*) printf '\\033[32mPASS\\033[0m  GET %-10s %s\\n' "$p" "$r";; *) failed=1; printf '\\033[31mFAIL\\033[0m  GET %-10s %s\\n' "$p" "$r";; esac`,
    `done`,
    `printf '\\n\\033[1;36m==> GET /healthz headers\\033[0m\\n'`,
    `curl -sS -D - -o /dev/null "$T/healthz" | tr -d '\\r' | grep -v '^$'`,
    `printf '\\n\\033[1;36m==> metrics\\033[0m\\n'`,
    `curl -s "$T/metrics" | grep -E '^flightcontrol_(runs|queue_depth|workers_connected|worker_slots|log_lines)' | head -12`,
    `[ $failed = 0 ] && printf '\\n\\033[1;32m✔ all endpoints healthy\\033[0m\\n' || { printf '\\n\\033[1;31m✘ some checks failed\\033[0m\\n'; exit 1; }`,
  ].join("\n");
}

export async function seedDemo(url: string, key: string): Promise<DemoData> {
  const anthropic = await createCredential(url, key, "anthropic", "Team key, billed to platform engineering", {});
  const openai = await createCredential(url, key, "openai", "Org key for scheduled reports", {});
  const github = await createCredential(url, key, "github", "acme-bot fine-grained token (repo, issues, PRs)", {});

  const githubMcp = { name: "github", stdio: { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"] } };
  const jobs: DemoData["jobs"] = {
    flaky: await createJob(url, key, "Triage flaky tests", "Find intermittently failing tests in CI and quarantine them.", {
      agent: "goose",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      prompt:
        "Look at the last 20 CI runs of acme/payments-service on main. Find the tests that failed intermittently " +
        "(failed, then passed on a re-run of the same commit), open an issue that lists them with their failure rate, " +
        "and open a draft PR that quarantines them with a link to the issue.",
      systemInstructions: "Never push to main. Keep PRs small and explain every change in the description.",
      builtins: ["developer"],
      extensions: [githubMcp],
      credentialIds: [anthropic, github],
      requiredLabels: { pool: "agents" },
      timeoutSeconds: 1800,
      maxAttempts: 2,
      maxTurns: 40,
    }),
    deps: await createJob(url, key, "Weekly dependency report", "Outdated packages and advisories, posted to Slack.", {
      agent: "goose",
      provider: "openai",
      model: "gpt-4.1",
      prompt: "Check every workspace for outdated dependencies and security advisories, then post a short summary to #eng-deps.",
      builtins: ["developer"],
      extensions: [{ name: "slack", streamableHttp: { url: "https://mcp.internal.acme.dev/slack" } }],
      credentialIds: [openai],
      timeoutSeconds: 900,
    }),
    review: await createJob(url, key, "Review open pull requests", "A first-pass review of every open PR on acme/web.", {
      agent: "goose",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      prompt: "Review the open pull requests on acme/web, oldest first. Leave one review comment on each with concrete, actionable findings.",
      builtins: ["developer"],
      extensions: [githubMcp],
      credentialIds: [anthropic, github],
      requiredLabels: { pool: "agents" },
      timeoutSeconds: 3600,
      maxTurns: 80,
    }),
    smoke: await createJob(url, key, "Smoke test endpoints", "Checks the control plane's HTTP endpoints.", {
      agent: "shell",
      prompt: smokeScript(url),
      timeoutSeconds: 120,
    }),
    notes: await createJob(url, key, "Draft release notes", "Changelog from merged PRs since the last tag.", {
      agent: "claude-code",
      provider: "anthropic",
      model: "claude-opus-4-1",
      prompt: "Draft release notes for everything merged since the last tag, grouped by area, in the style of CHANGELOG.md.",
      credentialIds: [anthropic, github],
    }),
  };

  const schedule = (jobId: string, name: string, cron: string, timeZone: string, paused = false) =>
    rpc(url, key, "ScheduleService/CreateSchedule", { jobId, name, cron, timeZone, paused });
  await schedule(jobs.flaky, "Weekday mornings", "30 9 * * 1-5", "Europe/Berlin");
  await schedule(jobs.smoke, "Nightly", "0 2 * * *", "UTC");
  await schedule(jobs.deps, "Monday report", "0 8 * * 1", "America/New_York", true);

  await rpc(url, key, "ApiKeyService/CreateApiKey", { name: "ci-pipeline", role: "ROLE_OPERATOR" });
  await rpc(url, key, "ApiKeyService/CreateApiKey", { name: "grafana", role: "ROLE_VIEWER" });

  // Created oldest first, one after another, so the newest (queued, running) top the lists; then
  // they play out at the same time (six slots for seven runs that start) instead of one by one.
  const firstFlaky = await trigger(url, key, jobs.flaky);
  const smoke = await trigger(url, key, jobs.smoke);
  const deps = await trigger(url, key, jobs.deps);
  const failed = await adHoc(url, key, {
    name: "Upgrade the Postgres driver",
    spec: {
      agent: "goose",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      prompt: "Upgrade the Postgres driver in billing-api to pg 9 and make the test suite pass.",
      credentialIds: [anthropic],
    },
  });
  const cancelled = await adHoc(url, key, {
    spec: {
      agent: "goose",
      provider: "openai",
      model: "gpt-4.1-mini",
      prompt: "Backfill embeddings for documents that have none, in batches of 500.",
      credentialIds: [openai],
    },
    labels: { team: "search" },
  });
  const flaky = await trigger(url, key, jobs.flaky);
  const running = await trigger(url, key, jobs.review);
  const queued = await adHoc(url, key, {
    spec: {
      agent: "goose",
      provider: "openrouter",
      model: "meta-llama/llama-3.3-70b-instruct",
      prompt: "Evaluate the fine-tuned support model on the 2,000-question regression set and compare it with the baseline.",
      requiredLabels: { gpu: "a100" },
    },
  });
  await Promise.all([
    waitForStatus(url, key, firstFlaky, "succeeded"),
    waitForStatus(url, key, smoke, "succeeded"),
    waitForStatus(url, key, deps, "succeeded"),
    waitForStatus(url, key, failed, "failed"),
    (async () => {
      // Started, message, query and its result, then the long embedding call it is cancelled in.
      await waitForOutput(url, key, cancelled, 6);
      await rpc(url, key, "RunService/CancelRun", { id: cancelled });
      await waitForStatus(url, key, cancelled, "cancelled");
    })(),
    waitForStatus(url, key, flaky, "succeeded"),
    waitForStatus(url, key, running, "running"),
    waitForStatus(url, key, queued, "queued"),
  ]);
  return { jobs, runs: { smoke, deps, failed, cancelled, flaky, running, queued } };
}
