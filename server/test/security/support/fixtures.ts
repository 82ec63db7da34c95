import { randomUUID } from "node:crypto";
import { ApiKeyService, Role } from "../../../src/gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../../src/gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "../../../src/gen/flightcontrol/v1/schedule_pb";
import { WorkerService, WorkerState } from "../../../src/gen/flightcontrol/v1/worker_pb";
import { WorkspaceService } from "../../../src/gen/flightcontrol/v1/workspace_pb";
import { client } from "../../../../testkit/clients";
import { waitFor } from "../../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../../testkit/keys";
import { handWorker, hello } from "../../../../testkit/worker-session";

export type Kind = "job" | "run" | "credential" | "apiKey" | "worker" | "schedule" | "workspace";

/** One object of every kind, so requests can name real ids of the wrong kind; `member` is the fixture workspace's member's email. */
export type Fixtures = Record<Kind, string> & { scheduleServed: boolean; member: string };

export async function createFixtures(url: string): Promise<Fixtures> {
  const creds = client(CredentialService, url, ADMIN_KEY);
  const jobs = client(JobService, url, ADMIN_KEY);
  const runs = client(RunService, url, ADMIN_KEY);
  const keys = client(ApiKeyService, url, ADMIN_KEY);
  const workers = client(WorkerService, url, ADMIN_KEY);
  const { credential } = await creds.createCredential({ name: "fixture-cred", env: { FIXTURE_TOKEN: "fixture-secret-value" } });
  const { job } = await jobs.createJob({ name: "fixture-job", spec: { prompt: "echo fixture", agent: "shell", credentialIds: [credential!.id] } });
  // Nothing connected can run it (its label matches no worker), so it stays queued.
  const { run } = await runs.createRun({ spec: { prompt: "echo fixture", agent: "shell", requiredLabels: { pool: "nowhere" } } });
  const { apiKey } = await keys.createApiKey({ name: "fixture-viewer", role: Role.VIEWER });
  const w = handWorker(url, { case: "hello", value: hello("fixture-worker") });
  const workerId = await w.workerId();
  await w.close();
  await waitFor(async () => (await workers.getWorker({ id: workerId })).worker?.state === WorkerState.OFFLINE, { what: "fixture worker offline" });
  let schedule: string = randomUUID();
  let scheduleServed = false;
  try {
    const res = await client(ScheduleService, url, ADMIN_KEY).createSchedule({
      jobId: job!.id,
      name: "fixture-schedule",
      cron: "0 0 1 1 *",
      paused: true,
    });
    schedule = res.schedule!.id;
    scheduleServed = true;
  } catch {
    // ScheduleService not served: tests that need a schedule say so.
  }
  const workspaces = client(WorkspaceService, url, ADMIN_KEY);
  const { workspace } = await workspaces.createWorkspace({ name: "fixture workspace", maxConcurrentRuns: 3, maxQueuedRuns: 30 });
  const member = "fixture-member@example.com";
  await workspaces.addMember({ workspaceId: workspace!.id, email: member, role: Role.VIEWER });
  return {
    job: job!.id,
    run: run!.id,
    credential: credential!.id,
    apiKey: apiKey!.id,
    worker: workerId,
    schedule,
    scheduleServed,
    workspace: workspace!.id,
    member,
  };
}
