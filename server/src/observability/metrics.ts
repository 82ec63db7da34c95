import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The server's Prometheus metrics. Gauges that mirror state (runs by status, workers, slots,
 * watchers) are read when scraped, so no hot path pays for them; counters and histograms are
 * bumped where the event happens, once per batch rather than per line.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "flightcontrol_process_" });
  const m = {
    registry,
    dispatchLatency: new Histogram({
      name: "flightcontrol_dispatch_latency_seconds",
      help: "Time from a run becoming dispatchable to its Assign being sent to a worker",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    logLines: new Counter({ name: "flightcontrol_log_lines_ingested_total", help: "Run output items stored", registers: [registry] }),
    logBytes: new Counter({ name: "flightcontrol_log_bytes_ingested_total", help: "Bytes of log text stored", registers: [registry] }),
    runsFinished: new Counter({
      name: "flightcontrol_runs_finished_total",
      help: "Runs that reached a terminal state",
      labelNames: ["status"],
      registers: [registry],
    }),
    rpcs: new Counter({
      name: "flightcontrol_rpc_requests_total",
      help: "RPCs handled",
      labelNames: ["method", "code"],
      registers: [registry],
    }),
    rpcDuration: new Histogram({
      name: "flightcontrol_rpc_duration_seconds",
      help: "Unary RPC handling time (streams: time to open)",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    databaseUp: new Gauge({
      name: "flightcontrol_database_up",
      help: "1 while the database serves, 0 during an outage",
      registers: [registry],
    }),
    unhandledRejections: new Counter({
      name: "flightcontrol_unhandled_rejections_total",
      help: "Promise rejections nobody handled (logged; each is a bug to fix, the server stays up)",
      registers: [registry],
    }),
    /** Registers the scrape-time gauges once the state they read exists. */
    observeState(read: StateReader) {
      const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => Promise<void> | void) =>
        new Gauge({
          name,
          help,
          labelNames,
          registers: [registry],
          async collect() {
            await collect(this);
          },
        });
      // Gauges read from the database show no value while it is down, rather than failing the whole
      // scrape: the process metrics and flightcontrol_database_up are what matters then.
      const fromDatabase = async (g: Gauge, fill: (rows: RunCount[]) => void) => {
        g.reset();
        let rows: RunCount[];
        try {
          rows = await read.runsByStatus();
        } catch {
          return;
        }
        fill(rows);
      };
      // By workspace id too, so an operator sees each team's queue; queue_depth stays the install's total.
      gauge("flightcontrol_runs", "Runs by workspace and status", ["workspace", "status"], (g) =>
        fromDatabase(g, (rows) => {
          for (const { workspace, status, n } of rows) g.set({ workspace, status }, n);
        }),
      );
      gauge("flightcontrol_queue_depth", "Queued runs", [], (g) =>
        fromDatabase(g, (rows) => g.set(rows.reduce((sum, r) => sum + (r.status === "queued" ? r.n : 0), 0))),
      );
      gauge("flightcontrol_workers_connected", "Connected worker sessions", [], (g) => g.set(read.workers().connected));
      gauge("flightcontrol_worker_slots", "Worker run slots", ["state"], (g) => {
        const w = read.workers();
        g.set({ state: "total" }, w.slots);
        g.set({ state: "busy" }, w.busy);
      });
      gauge("flightcontrol_watch_streams", "Open WatchRun streams", [], (g) => g.set(read.watchers()));
    },
  };
  return m;
}

/** How many runs of one workspace (its id) have one status. */
export interface RunCount {
  workspace: string;
  status: string;
  n: number;
}

export interface StateReader {
  runsByStatus(): Promise<RunCount[]>;
  workers(): { connected: number; slots: number; busy: number };
  watchers(): number;
}

export type Metrics = ReturnType<typeof createMetrics>;
