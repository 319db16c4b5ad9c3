/**
 * `bond-receiver --workers N` (issue 14): N receiver processes on one host sharing the SRTLA port.
 *
 * The primary process (`node:cluster`) runs no receiver: it draws the cluster key, forks the
 * workers (node indexes 1..N, in `BOND_WORKER_INDEX`), coordinates them (an in-memory
 * `MemoryCluster`: group leases, routes and stats, reached over the IPC channel), restarts a worker
 * that dies (same index, its leases dropped at once so the others adopt its streams on their next
 * REG2), forwards SIGHUP to every worker, and serves `--http` for all of them: `/api/v1/stats` and
 * the dashboard from the workers' merged stats, `/metrics` with a `node` label on every series, and
 * `/api/v1/cluster`.
 *
 * Each worker is a whole receiver (run.ts) plus a `ClusterNode`: it binds the SRTLA port with
 * SO_REUSEPORT (the kernel spreads senders' addresses over the workers; the `dgram` fallback
 * shares one socket through `node:cluster`), a backplane socket on 127.0.0.1, and forwards a
 * link's datagrams to the worker owning its group. Every worker shares the listening address, so
 * an owner answers links from its own socket.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { IpcCoordinator, MemoryCluster, serveIpcWorker, type MessageChannel } from '@bond/cluster';
import { createLogger, type AppLogger, type LogOutput } from '@bond/runtime';
import type { CliRunning } from '@bond/app-common';
import { resolveClusterConfig } from './cluster-config.js';
import {
  groupsAndLoad,
  runRedisNode,
  startClusterMember,
  type NodeStats,
} from './cluster-member.js';
import { mergeMetrics } from './cluster-metrics.js';
import { startHttpServer, type StatsHttpServer } from './http-server.js';
import { createReceiverMetrics } from './metrics.js';
import { readSettings, run, VERSION, type RunDeps, type RunOptions } from './run.js';
import { SettingError, type ReceiverSettings } from './settings.js';
import type { GroupView, StatsView } from './stats-view.js';

/** The environment variable that makes a forked process worker N. */
export const WORKER_INDEX_ENV = 'BOND_WORKER_INDEX';
/** All workers share one listening address: the key of `sharesListener`. */
const SHARED_LISTENER = 'workers';
/** A worker that dies sooner than this after starting counts as crashing (restart back-off). */
const QUICK_DEATH_MS = 10_000;
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 10_000;
/** How long close() waits for the workers to exit before killing them. */
const CLOSE_TIMEOUT_MS = 10_000;
/** How long the primary waits for a worker's metrics. */
const METRICS_TIMEOUT_MS = 2000;

/** What a worker publishes every second. */
export type WorkerStats = NodeStats;

/** Re-exported for the tests and index.ts: where they lived before cluster-metrics.ts. */
export { clusterMetrics, mergeMetrics } from './cluster-metrics.js';

/**
 * Starts bond-receiver: the primary of `--workers N`, one of its workers, a node of a Redis
 * cluster (`--cluster`), or one process.
 */
export async function start(options: RunOptions, deps: RunDeps): Promise<CliRunning> {
  const index = workerIndex();
  if (index !== undefined) return runWorker(options, deps, index);
  const settings = await readSettings(options, deps);
  if (settings.cluster !== undefined && settings.workers !== 1) {
    throw new SettingError(
      `--cluster and --workers ${settings.workers} do not combine yet: a node of a Redis cluster is one process. Run one bond-receiver per core instead, each with --cluster, its own --backplane port and its own listening address behind the load balancer, or drop --workers`,
    );
  }
  const clusterConfig = await resolveClusterConfig(settings, {
    warn: (message) => {
      createLogger(settings.logLevel, settings.logFormat, deps.logOutput).warn(message);
    },
  });
  if (clusterConfig !== undefined) return runRedisNode(options, deps, settings, clusterConfig);
  if (settings.workers === 1) return run(options, deps);
  if (settings.srtlaPort === 0) {
    throw new SettingError(
      'workers above 1 need a fixed srtla_port: with 0 each worker would listen on a port of its own (give the port senders use, e.g. 5000)',
    );
  }
  return runPrimary(settings, deps);
}

/** This process's worker index when it is a worker of `--workers`, else undefined. */
function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const value = Number(process.env[WORKER_INDEX_ENV]);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** The IPC channel to the primary, in a worker. */
function primaryChannel(): MessageChannel {
  return {
    send: (message) => {
      process.send?.(message);
    },
    onMessage: (listener) => {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

/** Log lines of worker N say so (`worker=N`, or `"worker":N` in JSON). */
function workerOutput(output: LogOutput, index: number): LogOutput {
  return {
    ...(output.isTTY === undefined ? {} : { isTTY: output.isTTY }),
    write: (line: string) =>
      output.write(
        line.startsWith('{')
          ? `{"worker":${index},${line.slice(1)}`
          : line.endsWith('\n')
            ? `${line.slice(0, -1)} worker=${index}\n`
            : `${line} worker=${index}`,
      ),
  };
}

// ---------------------------------------------------------------- worker

async function runWorker(options: RunOptions, deps: RunDeps, index: number): Promise<CliRunning> {
  const settings = await readSettings(options, deps);
  const logOutput = workerOutput(deps.logOutput, index);
  const channel = primaryChannel();
  const member = await startClusterMember(options, deps, settings, {
    logOutput,
    backplane: { address: '127.0.0.1', port: 0 },
    reusePort: true,
    nodeId: (node) => `worker-${node}`,
    join: (backplane) =>
      IpcCoordinator.join(channel, {
        index,
        backplane,
        nodeId: `worker-${index}`,
        listener: SHARED_LISTENER,
      }),
  });
  const stopRequests = channel.onMessage((message) => {
    const request = message as { bond?: unknown; kind?: unknown; id?: unknown };
    if (request.bond !== 'receiver' || request.kind !== 'metrics') return;
    member.metrics().then(
      (text) => {
        channel.send({ bond: 'receiver', kind: 'metrics', id: request.id, text });
      },
      (error: unknown) => {
        channel.send({ bond: 'receiver', kind: 'metrics', id: request.id, error: String(error) });
      },
    );
  });
  member.running.logger.info('worker running', { node: index, backplane: member.backplane });
  let closing: Promise<void> | undefined;
  return {
    logger: member.running.logger,
    reload: () => member.running.reload(),
    close() {
      closing ??= (async () => {
        stopRequests();
        await member.close();
        // The IPC channel would keep the process alive.
        process.disconnect();
      })();
      return closing;
    },
  };
}

// ---------------------------------------------------------------- primary

interface WorkerSlot {
  readonly index: number;
  worker: Worker | undefined;
  startedAt: number;
  restarts: number;
  /** Consecutive quick deaths (the back-off's exponent). */
  crashes: number;
  joined: boolean;
  stopServing: (() => void) | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

export interface RunningPrimary extends CliRunning {
  readonly logger: AppLogger;
  readonly http: StatsHttpServer | undefined;
  /** The merged stats of every worker (what `/api/v1/stats` serves). */
  stats(): ClusterStatsView;
}

/** `/api/v1/stats` of `--workers`: the workers' views merged, each group with its node. */
export interface ClusterStatsView extends StatsView {
  readonly workers: number;
  readonly groups: readonly (GroupView & { readonly node: number })[];
}

async function runPrimary(settings: ReceiverSettings, deps: RunDeps): Promise<RunningPrimary> {
  const logger = createLogger(settings.logLevel, settings.logFormat, deps.logOutput);
  const coordination = new MemoryCluster({ clusterKey: new Uint8Array(randomBytes(32)) });
  const slots = new Map<number, WorkerSlot>();
  let closing = false;
  let metricsRequest = 1;
  const metricsWaiters = new Map<number, (text: string | undefined) => void>();

  /** Settles once every worker of the first round joined, or one of them failed to start. */
  const firstRound: { resolve?: () => void; reject?: (error: Error) => void } = {};
  const started = new Promise<void>((resolve, reject) => {
    firstRound.resolve = resolve;
    firstRound.reject = reject;
  });

  const spawn = (slot: WorkerSlot): void => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index) });
    slot.worker = worker;
    slot.startedAt = performance.now();
    slot.joined = false;
    // A send to a worker that is exiting fails with EPIPE (an 'error' event): its exit says more.
    worker.on('error', (error) => {
      logger.debug('IPC to a worker failed', { worker: slot.index, error: error.message });
    });
    const channel: MessageChannel = {
      send: (message) => {
        if (worker.isConnected()) worker.send(message as object);
      },
      onMessage: (listener) => {
        worker.on('message', listener);
        return () => worker.off('message', listener);
      },
    };
    slot.stopServing = serveIpcWorker(coordination, channel, slot.index, () => {
      slot.joined = true;
      logger.info('worker joined', { worker: slot.index, pid: worker.process.pid });
      if ([...slots.values()].every((each) => each.joined)) firstRound.resolve?.();
    });
    worker.on(
      'message',
      (message: { bond?: unknown; kind?: unknown; id?: unknown; text?: unknown }) => {
        if (message.bond !== 'receiver' || message.kind !== 'metrics') return;
        const waiter = metricsWaiters.get(Number(message.id));
        waiter?.(typeof message.text === 'string' ? message.text : undefined);
      },
    );
    worker.on('exit', (code, signal) => {
      slot.stopServing?.();
      slot.stopServing = undefined;
      slot.worker = undefined;
      if (closing) return;
      const how = (signal as string | null) === null ? `exit code ${code}` : `signal ${signal}`;
      if (!slot.joined && firstRound.reject !== undefined) {
        firstRound.reject(
          new Error(
            `worker ${slot.index} of ${settings.workers} failed to start (${how}); its error is above`,
          ),
        );
        return;
      }
      const lived = performance.now() - slot.startedAt;
      slot.crashes = lived < QUICK_DEATH_MS ? slot.crashes + 1 : 0;
      const delay = Math.min(
        FIRST_RESTART_DELAY_MS * 2 ** Math.max(slot.crashes - 1, 0),
        MAX_RESTART_DELAY_MS,
      );
      logger.warn(
        'worker died: its streams move to the other workers on their next registration; restarting it',
        {
          worker: slot.index,
          reason: how,
          restartInMs: delay,
        },
      );
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (closing) return;
        slot.restarts++;
        spawn(slot);
      }, delay);
    });
  };

  for (let index = 1; index <= settings.workers; index++) {
    const slot: WorkerSlot = {
      index,
      worker: undefined,
      startedAt: 0,
      restarts: 0,
      crashes: 0,
      joined: false,
      stopServing: undefined,
      restartTimer: undefined,
    };
    slots.set(index, slot);
    spawn(slot);
  }

  const stopWorkers = async (): Promise<void> => {
    closing = true;
    const exits: Promise<void>[] = [];
    for (const slot of slots.values()) {
      if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
      const worker = slot.worker;
      if (worker === undefined) continue;
      exits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            worker.process.kill('SIGKILL');
          }, CLOSE_TIMEOUT_MS);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(exits);
  };

  try {
    await started;
  } catch (error) {
    await stopWorkers();
    throw error;
  }
  delete firstRound.resolve;
  delete firstRound.reject;
  logger.info('receiver workers running', {
    workers: settings.workers,
    srtlaPort: settings.srtlaPort,
    upstream: `${settings.srtHost}:${settings.srtPort}`,
  });

  const workerStats = (): Map<number, WorkerStats> => {
    const all = new Map<number, WorkerStats>();
    for (const [index, stats] of coordination.clusterStats()) all.set(index, stats as WorkerStats);
    return all;
  };
  const view = (): ClusterStatsView => mergeViews(workerStats(), settings.workers);
  const metrics = {
    contentType: createReceiverMetrics(VERSION).contentType,
    async render(): Promise<string> {
      const texts = await Promise.all(
        [...slots.values()].map(async (slot) => {
          const worker = slot.worker;
          if (worker?.isConnected() !== true || !slot.joined) return undefined;
          const id = metricsRequest++;
          const text = await new Promise<string | undefined>((resolve) => {
            const timer = setTimeout(() => {
              metricsWaiters.delete(id);
              resolve(undefined);
            }, METRICS_TIMEOUT_MS);
            metricsWaiters.set(id, (answer) => {
              clearTimeout(timer);
              metricsWaiters.delete(id);
              resolve(answer);
            });
            worker.send({ bond: 'receiver', kind: 'metrics', id });
          });
          return text === undefined ? undefined : { node: slot.index, text };
        }),
      );
      return mergeMetrics(texts.filter((each) => each !== undefined));
    },
  };
  let http: StatsHttpServer | undefined;
  if (settings.http !== undefined) {
    try {
      http = await startHttpServer(
        settings.http,
        settings.httpToken,
        view,
        metrics,
        () => {
          const views = [...workerStats().values()].map((stats) => stats.view);
          const answered = views.find((each) => each.srtListener.answered === true);
          const probe = (answered ?? views[0])?.srtListener;
          if (probe === undefined) return { healthy: false, reason: 'no worker has reported yet' };
          return probe.answered === true
            ? { healthy: true, details: { srtListener: probe.target } }
            : { healthy: false, reason: `SRT listener ${probe.target}: ${probe.detail}` };
        },
        logger,
        (path) =>
          path === '/api/v1/cluster'
            ? {
                status: 200,
                contentType: 'application/json',
                body: `${JSON.stringify(clusterDocument(slots, workerStats(), coordination), null, 2)}\n`,
              }
            : undefined,
      );
    } catch (error) {
      await stopWorkers();
      throw error;
    }
  }

  let closed: Promise<void> | undefined;
  return {
    logger,
    http,
    stats: view,
    reload: () => {
      for (const slot of slots.values()) slot.worker?.process.kill('SIGHUP');
      return Promise.resolve({ ok: true });
    },
    close() {
      closed ??= (async () => {
        await stopWorkers();
        await http?.close();
      })();
      return closed;
    },
  };
}

/** `/api/v1/cluster`: every node, its state, its groups and streams, and its load. */
function clusterDocument(
  slots: ReadonlyMap<number, WorkerSlot>,
  stats: ReadonlyMap<number, WorkerStats>,
  coordination: MemoryCluster,
) {
  return {
    version: 1,
    time: new Date().toISOString(),
    mode: 'workers',
    nodes: [...slots.values()].map((slot) => {
      const worker = stats.get(slot.index);
      return {
        index: slot.index,
        nodeId: `worker-${slot.index}`,
        state: slot.worker === undefined ? 'restarting' : slot.joined ? 'up' : 'starting',
        pid: slot.worker?.process.pid ?? null,
        restarts: slot.restarts,
        leases: coordination.leasesOf(slot.index).length,
        ...groupsAndLoad(worker?.view),
        routing: worker?.node ?? null,
      };
    }),
  };
}

type Counters = Readonly<Record<string, number>>;

function sumCounters<T extends Counters>(parts: readonly T[]): T {
  const total: Record<string, number> = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (typeof value === 'number') total[key] = (total[key] ?? 0) + value;
    }
  }
  return total as T;
}

/** The workers' views as one: totals summed, groups concatenated with their node. */
export function mergeViews(
  stats: ReadonlyMap<number, WorkerStats>,
  workers: number,
): ClusterStatsView {
  const entries = [...stats].sort(([a], [b]) => a - b);
  const views = entries.map(([, each]) => each.view);
  const first = views[0];
  const rejections = new Map<number, StatsView['srtRejections'][number]>();
  for (const view of views) {
    for (const rejection of view.srtRejections) {
      const known = rejections.get(rejection.code);
      rejections.set(
        rejection.code,
        known === undefined ? rejection : { ...known, streams: known.streams + rejection.streams },
      );
    }
  }
  const empty = { answered: undefined, target: '', detail: 'no worker has reported yet' };
  return {
    version: 1,
    time: new Date().toISOString(),
    uptimeSeconds: Math.max(0, ...views.map((view) => view.uptimeSeconds)),
    listen: first?.listen ?? '',
    backend: first?.backend ?? '',
    upstream: first?.upstream ?? '',
    srtListener:
      views.find((view) => view.srtListener.answered === true)?.srtListener ??
      first?.srtListener ??
      (empty as unknown as StatsView['srtListener']),
    reorder: first?.reorder ?? '',
    streamLabel: first?.streamLabel ?? 'redacted',
    limits: first?.limits ?? ({} as StatsView['limits']),
    registration: sumCounters(views.map((view) => view.registration)),
    dropped: sumCounters(views.map((view) => view.dropped)),
    srtRejections: [...rejections.values()].sort((a, b) => a.code - b.code),
    totals: sumCounters(views.map((view) => view.totals)),
    workers,
    groups: entries.flatMap(([node, each]) =>
      each.view.groups.map((group) => ({ ...group, node })),
    ),
  };
}
