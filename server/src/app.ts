import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import { ApiKeyService, Role } from "./gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "./gen/flightcontrol/v1/credential_pb";
import { JobService } from "./gen/flightcontrol/v1/job_pb";
import { RunService } from "./gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "./gen/flightcontrol/v1/schedule_pb";
import { SkillService } from "./gen/flightcontrol/v1/skill_pb";
import { SystemService } from "./gen/flightcontrol/v1/system_pb";
import { WorkerService } from "./gen/flightcontrol/v1/worker_pb";
import { WorkspaceService } from "./gen/flightcontrol/v1/workspace_pb";
import { PersonService } from "./gen/flightcontrol/v1/person_pb";
import { Health } from "./gen/grpc/health/v1/health_pb";
import { ServerReflection } from "./gen/grpc/reflection/v1/reflection_pb";
import type { ServerConfig } from "./config";
import type { AppContext } from "./context";
import { createApiKeys } from "./domain/auth/api-keys";
import { createIdentityStreams } from "./domain/auth/identity-streams";
import { startRevocationSweep } from "./domain/auth/revocation-sweep";
import { createAuthenticator } from "./domain/auth/authenticate";
import { createOidc } from "./domain/auth/oidc";
import { createSessions } from "./domain/auth/sessions";
import { createPeople } from "./domain/auth/people";
import { loadMasterKeyring } from "./domain/crypto/master-key";
import { createCredentials } from "./domain/credentials";
import { createMcpSecrets } from "./domain/mcp/secrets";
import { createRunSecrets } from "./domain/run-secrets";
import { createDispatcher } from "./domain/dispatch/dispatcher";
import { createLeases } from "./domain/dispatch/leases";
import { createOutageRetry } from "./domain/dispatch/outage-retry";
import { inBackground } from "./domain/background";
import { createRegistry } from "./domain/dispatch/registry";
import { createWorkerRecords } from "./domain/dispatch/worker-records";
import { createEventBus } from "./domain/events";
import { createLogHub } from "./domain/logs/hub";
import { createFollowUps } from "./domain/runs/follow-up";
import { createLifecycle } from "./domain/runs/lifecycle";
import { createArtifactRetention } from "./domain/artifacts/artifact-retention";
import { createArtifactUploads } from "./domain/artifacts/artifact-uploads";
import { createArtifacts } from "./domain/artifacts/artifacts";
import { createScheduler } from "./domain/schedules/scheduler";
import { createSkills } from "./domain/skills/skills";
import { createFront } from "./http/front";
import { createArtifactDownload } from "./http/artifact-download";
import { createMetricsEndpoint } from "./http/metrics-endpoint";
import { createProbes } from "./http/probes";
import { createSignIn } from "./http/sign-in";
import { streamingRequestPaths } from "./http/request-deadline";
import { createStaticHandler, SECURITY_HEADERS } from "./http/static-files";
import { createLogger, type Logger } from "./logger";
import { createMetrics } from "./observability/metrics";
import { isTerminal } from "./domain/runs/status";
import { apiKeyService } from "./rpc/api-key-service";
import { credentialService } from "./rpc/credential-service";
import { healthService } from "./rpc/health-service";
import { authGate } from "./rpc/interceptors/auth";
import { domainErrorsToConnect } from "./rpc/interceptors/domain-errors";
import { endStreamsWithTheirError } from "./rpc/interceptors/end-streams";
import { observeInterceptor } from "./rpc/interceptors/observe";
import { createStreamLimiter } from "./rpc/interceptors/stream-limits";
import { redactCredentialKeys } from "./rpc/interceptors/redact";
import { nodeRequestKey } from "./rpc/node-request";
import { parseErrorsAsInvalidArgument } from "./rpc/parse-errors";
import { jobService } from "./rpc/job-service";
import { reflectionService } from "./rpc/reflection-service";
import { runService } from "./rpc/run-service";
import { scheduleService } from "./rpc/schedule-service";
import { skillService } from "./rpc/skill-service";
import { systemService } from "./rpc/system-service";
import { workerService } from "./rpc/worker-service";
import { workspaceService } from "./rpc/workspace-service";
import { personService } from "./rpc/person-service";
import { createWorkspaces } from "./domain/workspaces/workspaces";
import { createWorkspaceStore } from "./storage/workspace-store";
import { createApiKeyStore } from "./storage/api-key-store";
import { createArtifactStore } from "./storage/artifact-store";
import { incomingDir, openBlobStore } from "./storage/blobs/open-blob-store";
import { createCredentialStore } from "./storage/credential-store";
import { openDatabase } from "./storage/data-source";
import { createJobStore } from "./storage/job-store";
import { createLogStore } from "./storage/log-store";
import { createRunEventStore } from "./storage/run-event-store";
import { createRunStore } from "./storage/run-store";
import { createScheduleStore } from "./storage/schedule-store";
import { createSkillStore } from "./storage/skill-store";
import { createWorkerStore } from "./storage/worker-store";
import { createPersonStore } from "./storage/person-store";
import { createSql } from "./storage/sql";

export interface RunningServer {
  port: number;
  url: string;
  app: AppContext;
  /** Keys generated on this start (shown once), or the configured ones. */
  adminKey?: string;
  workerKey?: string;
  close(): Promise<void>;
}

const version: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

/** The services this server serves, in the order reflection lists them. */
export const servedServices: DescService[] = [
  JobService,
  RunService,
  CredentialService,
  WorkerService,
  ScheduleService,
  SkillService,
  ApiKeyService,
  SystemService,
  WorkspaceService,
  PersonService,
  Health,
  ServerReflection,
];

export async function startServer(config: ServerConfig, log: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const db = await openDatabase(config.databaseUrl);
  const sql = createSql(db);
  const master = loadMasterKeyring({ envValue: config.masterKey, dataDir: config.dataDir });
  if (master.source === "generated") {
    log.warn({ path: master.path }, "generated a new master key for credentials; back this file up, credentials cannot be decrypted without it");
  }
  const events = createEventBus();
  const metrics = createMetrics();
  events.on("runChanged", (_id, status) => {
    if (isTerminal(status)) metrics.runsFinished.inc({ status });
  });
  // Open streams by API key: a revocation here ends them at once, one on another replica within the sweep's 2 s.
  const identities = createIdentityStreams();
  const keyStore = createApiKeyStore(db);
  const keys = createApiKeys({ store: keyStore, log, streams: identities });
  const personStore = createPersonStore(db);
  // People sign in only with an identity provider configured; without one, API keys are the only way in.
  const sessions = config.oidc
    ? createSessions({
        store: personStore,
        log,
        adminEmails: config.adminEmails,
        trustUnverifiedEmail: config.oidcTrustUnverifiedEmail,
        allowedDomains: config.oidcAllowedDomains,
        ttlMs: config.sessionTtlSeconds * 1000,
        streams: identities,
      })
    : undefined;
  if (config.oidc) warnAboutSignInSettings(config, log);
  const stopRevocationSweep = startRevocationSweep({ streams: identities, store: keyStore, staleSessionStreams: sessions?.staleStreams, log });
  const credentials = createCredentials(createCredentialStore(db), master.keyring);
  const mcpSecrets = createMcpSecrets(master.keyring);
  const jobs = createJobStore(db);
  const runs = createRunStore(db, sql);
  const logs = createLogStore(sql, { runEvents: createRunEventStore(sql), runs });
  const schedules = createScheduleStore(db, sql);
  const registry = createRegistry();
  const workers = createWorkerRecords(createWorkerStore(db));
  const skills = createSkills(createSkillStore(db, sql));
  const lifecycle = createLifecycle({
    runs,
    events,
    assertRunCredentials: credentials.assertRunSpec,
    resolveSkills: skills.resolve,
    // Bound late: the workspaces module is built below, and no run is created before the server serves.
    assertQueueRoom: (ws) => workspaces.assertQueueRoom(ws),
    defaultTimeoutSeconds: config.defaultRunTimeoutSeconds,
  });
  // Database work nobody waits for (a disconnect, an expired lease, a start the worker will not
  // resend) runs through this: what an outage stops runs again once the database is back.
  const outage = createOutageRetry(db.health, log);

  // The dispatcher and leases refer to each other through kick(); wire them after both exist.
  let kick = () => {};
  const leases = createLeases({
    runs,
    registry,
    lifecycle,
    log,
    kick: () => kick(),
    background: outage.run,
    onWorkerLost: (id) =>
      outage.run(
        "record that a worker was lost",
        async () => {
          if (registry.get(id)) return;
          await workers.setState(id, "offline", Date.now());
          events.emit("workerChanged", id);
        },
        { workerId: id },
      ),
    workerLostAfterMs: config.workerLostAfterMs,
    assignAckTimeoutMs: config.assignAckTimeoutMs,
    deadlineGraceMs: config.deadlineGraceMs,
  });
  const artifactStore = createArtifactStore(db);
  const followUps = createFollowUps({ runs, artifacts: artifactStore });
  const dispatcher = createDispatcher({
    runs,
    registry,
    events,
    log,
    background: outage.run,
    openSecrets: createRunSecrets(credentials, mcpSecrets),
    followUpOf: followUps.assignment,
    skillBundles: (row) => skills.bundles(JSON.parse(row.skills || "[]")),
    onAssigned: (runId, attempt) => leases.assigned(runId, attempt),
    concurrencyLimit: (ws) => workspaces.concurrencyLimit(ws),
    observeDispatch: (ms) => metrics.dispatchLatency.observe(ms / 1000),
    async failUndeliverable(runId, attempt, error) {
      if (await runs.forceFinish(runId, attempt, "failed", error, Date.now())) events.emit("runChanged", runId, "failed");
    },
  });
  kick = dispatcher.kick;
  metrics.databaseUp.set(db.health.status.available ? 1 : 0);
  db.health.onChange((s) => {
    metrics.databaseUp.set(s.available ? 1 : 0);
    if (s.available) {
      log.info({ waiting: outage.waiting }, "the database is available again; resuming dispatch and the writes that waited for it");
      dispatcher.kick();
    } else {
      log.error({ reason: s.error.message }, "the database is unavailable; the server stays up, reports not ready, and retries when it is back");
    }
  });
  const scheduler = createScheduler({ store: schedules, jobs, runs, lifecycle, registry, events, log, kick: () => dispatcher.kick() });

  const artifactRoot = join(config.dataDir, "artifacts");
  const blobs = await openBlobStore(config.artifacts, artifactRoot);
  const workspaces = createWorkspaces({
    store: createWorkspaceStore(db),
    log,
    revokeKeysOf: keys.revokeAllIn,
    countQueued: runs.countQueued,
    async deleteBlobs(ids) {
      for (const id of ids) {
        await blobs.delete(id).catch((err: unknown) => log.warn({ err, artifactId: id }, "could not delete a deleted workspace's artifact blob"));
      }
    },
  });
  const artifactRetention = createArtifactRetention({ store: artifactStore, blobs, retentionDays: config.artifacts.retentionDays, log });

  const app: AppContext = {
    config,
    db,
    sql,
    log,
    events,
    keys,
    identities,
    credentials,
    mcpSecrets,
    jobs,
    runs,
    logs,
    schedules,
    skills,
    lifecycle,
    registry,
    dispatcher,
    leases,
    outage,
    scheduler,
    workers,
    hub: createLogHub(events),
    startedAt: Date.now(),
    version,
    metrics,
    artifactStore,
    blobs,
    artifactRetention,
    workspaces,
    people: createPeople({ store: personStore, log, adminEmails: config.adminEmails, sessions }),
    artifacts: createArtifacts({ store: artifactStore, blobs, runs }),
    artifactUploads: createArtifactUploads({ store: artifactStore, blobs, tempDir: incomingDir(artifactRoot), log }),
  };
  metrics.observeState({
    runsByStatus: async () => (await runs.countAllByStatus()).map((r) => ({ workspace: r.workspace_id, status: r.status, n: Number(r.n) })),
    workers: () => {
      const s = [...registry.sessions.values()];
      return { connected: s.length, slots: s.reduce((n, w) => n + w.capacity, 0), busy: s.reduce((n, w) => n + w.runs.size, 0) };
    },
    watchers: () => app.hub.watchers,
  });

  const adminKey = await keys.ensureBootstrapKey("bootstrap admin", Role.ADMIN, config.defaultAdminKey);
  const workerKey = await keys.ensureBootstrapKey("bootstrap worker", Role.WORKER, config.workerKey);
  if (adminKey && !config.defaultAdminKey) log.warn("generated an admin API key (shown once; set ORCH_DEFAULT_ADMIN_KEY to choose your own)");
  if (workerKey && !config.workerKey) log.warn("generated a worker API key (shown once; set ORCH_WORKER_KEY to choose your own)");

  const recovered = await leases.recover();
  if (recovered) log.info({ runs: recovered }, "waiting for workers to reclaim runs held before the restart");

  const routes = (router: ConnectRouter) => {
    router.service(JobService, jobService(app));
    router.service(RunService, runService(app));
    router.service(CredentialService, credentialService(app));
    router.service(WorkerService, workerService(app));
    router.service(ScheduleService, scheduleService(app));
    router.service(SkillService, skillService(app));
    router.service(ApiKeyService, apiKeyService(app));
    router.service(WorkspaceService, workspaceService(app));
    router.service(PersonService, personService(app));
    router.service(SystemService, systemService({ runs, registry, version, dialect: db.dialect, startedAt: app.startedAt }));
    router.service(
      Health,
      healthService(
        app,
        servedServices.map((s) => s.typeName),
      ),
    );
    router.service(ServerReflection, reflectionService(servedServices));
    router.handlers.splice(0, router.handlers.length, ...router.handlers.map(parseErrorsAsInvalidArgument));
  };

  let shuttingDown = false;
  const probes = createProbes(sql, db.health, () => shuttingDown);
  const serveStatic = createStaticHandler(config.uiDir, { sourceMaps: config.uiSourceMaps });
  const serveMetrics = createMetricsEndpoint(metrics.registry, config.metricsToken);
  const authenticate = createAuthenticator({ keys, workspaces, sessions });
  const serveArtifact = createArtifactDownload(authenticate, app.artifacts);
  const serveSignIn = createSignIn({
    oidc: config.oidc && createOidc(config.oidc, master.keyring),
    sessions,
    log,
    publicUrl: config.publicUrl,
    tls: !!config.tlsCert,
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
  // Aborting this ends every in-flight handler (watch streams, worker sessions) at shutdown.
  const shutdown = new AbortController();
  const handler = connectNodeAdapter({
    routes,
    shutdownSignal: shutdown.signal,
    readMaxBytes: config.maxMessageBytes,
    // A misspelt JSON field must fail (InvalidArgument, rpc/parse-errors.ts), not be silently ignored.
    jsonOptions: { ignoreUnknownFields: false },
    // Compressed requests are still accepted, but responses go out uncompressed: a log batch fanned
    // out to many WatchRun streams would otherwise be gzipped once per subscriber (11 % of the
    // server's CPU with 20 gRPC watchers). Put a compressing proxy in front for slow links.
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    requestGate: authGate(authenticate, createStreamLimiter(config.limits), identities),
    contextValues: (req) => createContextValues().set(nodeRequestKey, req),
    // The domain's errors become Connect codes inside observe, which would count them as Internal.
    interceptors: [
      observeInterceptor(log, metrics),
      domainErrorsToConnect,
      endStreamsWithTheirError,
      redactCredentialKeys,
      createValidateInterceptor(),
    ],
    fallback: (req, res) => {
      inBackground(
        log,
        "serve an HTTP request",
        async () => {
          try {
            if (await probes(req as never, res as never)) return;
            if (await serveMetrics(req as never, res as never)) return;
            if (await serveArtifact(req as never, res as never)) return;
            if (await serveSignIn(req as never, res as never)) return;
            if (serveStatic(req as never, res as never)) return;
            res.writeHead(404, { ...SECURITY_HEADERS, "content-type": "text/plain" });
            res.end("not found");
          } catch (err) {
            // The client gets an answer; the error (logged by inBackground) stays on the server.
            const out = res as unknown as ServerResponse;
            if (!out.headersSent)
              out.writeHead(503, { ...SECURITY_HEADERS, "content-type": "text/plain" }).end("service unavailable; see the server log");
            else out.destroy();
            throw err;
          }
        },
        { url: req.url },
      );
    },
  });

  const front = createFront(handler, {
    tlsCert: config.tlsCert,
    tlsKey: config.tlsKey,
    limits: config.limits,
    isStreamingRequest: streamingRequestPaths(servedServices),
  });
  await new Promise<void>((resolve, reject) => {
    front.server.once("error", reject);
    front.server.listen(config.port, config.host, () => resolve());
  });
  const port = (front.server.address() as AddressInfo).port;
  const scheme = config.tlsCert ? "https" : "http";
  log.info({ port, database: db.dialect, version }, "Flight Control server listening");
  dispatcher.kick();
  scheduler.start();
  artifactRetention.start();
  inBackground(log, "delete stale partial artifact uploads", () => app.artifactUploads.sweepStale());

  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    app,
    adminKey,
    workerKey,
    async close() {
      shuttingDown = true;
      dispatcher.stop();
      leases.stop();
      stopRevocationSweep();
      outage.stop();
      artifactRetention.stop();
      db.health.stop();
      await scheduler.stop();
      for (const s of registry.sessions.values()) s.sendQueue.close();
      shutdown.abort();
      for (const session of front.sessions) session.close();
      await new Promise<void>((resolve) => {
        front.server.close(() => resolve());
        front.closeIdle();
        // Anything that still holds on after the grace period must not hold shutdown hostage.
        setTimeout(() => {
          for (const session of front.sessions) session.destroy();
          resolve();
        }, 2000).unref();
      });
      await db.dataSource.destroy();
    },
  };
}

/** Sign-in settings that work but leave a door open: said once, at start. */
function warnAboutSignInSettings(config: ServerConfig, log: Logger): void {
  if (!config.adminEmails.length) {
    log.warn(
      "ORCH_ADMIN_EMAILS is not set: the first person to sign in through the identity provider becomes instance admin; set it to name them (and, if anyone can have an account at the provider, ORCH_OIDC_ALLOWED_DOMAINS to say whose email domains may sign in)",
    );
  }
  if (!config.publicUrl && !config.tlsCert) {
    log.warn(
      "ORCH_PUBLIC_URL is not set and this server does not terminate TLS: sign-in cookies are not marked Secure and the redirect URI follows each request's Host; behind an HTTPS proxy, set ORCH_PUBLIC_URL=https://…",
    );
  }
  if (/^http:\/\/(?!(127\.0\.0\.1|localhost|\[::1\])[:/])/.test(config.oidc!.issuer)) {
    log.warn({ issuer: config.oidc!.issuer }, "the identity provider is reached over plain http: tokens cross the network unencrypted; use https");
  }
}
