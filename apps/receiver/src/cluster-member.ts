/**
 * One receiver process as a node of a cluster (issue 14), whatever coordinates it: a worker of
 * `--workers N` (the primary over IPC, workers.ts) or a host's process in a Redis cluster
 * (`--cluster redis://...`, {@link runRedisNode}). The set-up is the same for both and lives here
 * once: bind the backplane, join the coordination, put a `ClusterNode` in front of the receiver
 * (run.ts), publish this node's stats every second, and on close leave in order (receiver, node,
 * coordination).
 */
import {
  Backplane,
  ClusterNode,
  ClusterUnavailableError,
  RedisCoordinator,
  type ClusterCoordinator,
  type ClusterNodeStats,
} from '@bond/cluster';
import type { CliRunning, StatsRouteAnswer } from '@bond/app-common';
import { createLogger, selectIoBackend, type AppLogger, type LogOutput } from '@bond/runtime';
import { BondError } from '@bond/wire';
import type { ClusterConfig } from './cluster-config.js';
import { clusterMetrics, mergeMetrics } from './cluster-metrics.js';
import { createReceiverMetrics, type ReceiverMetrics } from './metrics.js';
import { run, VERSION, type RunDeps, type RunOptions, type RunningReceiver } from './run.js';
import type { ReceiverSettings } from './settings.js';
import type { StatsView, StatsViewSource } from './stats-view.js';

/** How often a node publishes its stats to the coordination, ms. */
export const STATS_INTERVAL_MS = 1000;

/** What a node publishes every second (read back by `/api/v1/cluster` and the primary). */
export interface NodeStats {
  readonly pid: number;
  readonly nodeId: string;
  readonly view: StatsView;
  readonly node: ClusterNodeStats;
}

export interface ClusterMemberSpec {
  readonly logOutput: LogOutput;
  /** Where the backplane socket binds (port 0: any). */
  readonly backplane: { readonly address: string; readonly port: number };
  /** Joins the coordination, telling it the bound backplane address (`host:port`). */
  join(backplane: string, logger: AppLogger): Promise<ClusterCoordinator>;
  /** This node's name in stats. */
  nodeId(index: number): string;
  /** Bind the listening port with SO_REUSEPORT (the workers of one host share it). */
  readonly reusePort: boolean;
  /**
   * Serve `--http` from this process with this answer for `/api/v1/cluster` (a Redis node);
   * without it the node serves no HTTP (a worker: the primary serves every worker's).
   */
  readonly clusterRoute?: () => StatsRouteAnswer;
}

export interface ClusterMember {
  readonly running: RunningReceiver;
  readonly node: ClusterNode;
  readonly coordinator: ClusterCoordinator;
  /** The bound backplane address, `host:port`. */
  readonly backplane: string;
  /** What this node publishes. */
  stats(): NodeStats;
  /** This node's Prometheus text (receiver and routing), without the `node` label. */
  metrics(): Promise<string>;
  /** Closes the receiver, the node and leaves the coordination. Idempotent. */
  close(): Promise<void>;
}

/** Starts the receiver as one node: backplane, coordination, node, receiver, stats publishing. */
export async function startClusterMember(
  options: RunOptions,
  deps: RunDeps,
  settings: ReceiverSettings,
  spec: ClusterMemberSpec,
): Promise<ClusterMember> {
  const logger = createLogger(settings.logLevel, settings.logFormat, spec.logOutput);
  const io = deps.io ?? (await selectIoBackend(settings.ioBackend)).backend;
  const backplane = await Backplane.open({
    io,
    address: spec.backplane.address,
    port: spec.backplane.port,
  });
  const backplaneText = backplane.local.toString();
  let coordinator: ClusterCoordinator;
  try {
    coordinator = await spec.join(backplaneText, logger);
  } catch (error) {
    await backplane.close();
    throw error;
  }
  const node = new ClusterNode({ coordinator, backplane, logger });
  const index = coordinator.nodeIndex;
  const base = createReceiverMetrics(VERSION);
  const clusterRoute = spec.clusterRoute;
  let running: RunningReceiver;
  try {
    running = await run(options, {
      ...deps,
      logOutput: spec.logOutput,
      io,
      worker: {
        index,
        cluster: node.receiverCluster(),
        reusePort: spec.reusePort,
        ...(clusterRoute === undefined
          ? {}
          : {
              http: {
                metrics: nodeLabelled(base, index, () => node.stats()),
                nodeId: spec.nodeId(index),
                routes: (path) => (path === '/api/v1/cluster' ? clusterRoute() : undefined),
              },
            }),
      },
    });
  } catch (error) {
    await node.close();
    await coordinator.close();
    throw error;
  }
  const stats = (): NodeStats => ({
    pid: process.pid,
    nodeId: spec.nodeId(index),
    view: running.stats(),
    node: node.stats(),
  });
  const publish = (): void => {
    coordinator.publishStats(stats()).catch(() => undefined);
  };
  publish();
  const timer = setInterval(publish, STATS_INTERVAL_MS);
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    running,
    node,
    coordinator,
    backplane: backplaneText,
    stats,
    metrics: async () => (await receiverText(base, running)) + clusterMetrics(node.stats()),
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await running.close();
        await node.close();
        await coordinator.close();
      })();
      return closing;
    },
  };
}

/** The receiver's exposition text, read group by group when `metrics` can. */
async function receiverText(metrics: ReceiverMetrics, running: RunningReceiver): Promise<string> {
  const render = metrics.renderBodyFrom;
  if (render === undefined) return metrics.render(running.stats());
  return new TextDecoder().decode(await render(running.statsSource));
}

/** The receiver's metrics plus the node's routing counters, every series labelled `node`. */
function nodeLabelled(
  base: ReceiverMetrics,
  index: number,
  nodeStats: () => ClusterNodeStats,
): ReceiverMetrics {
  const labelled = (text: string) =>
    mergeMetrics([{ node: index, text: text + clusterMetrics(nodeStats()) }]);
  const render = base.renderBodyFrom;
  return {
    contentType: base.contentType,
    render: async (view) => labelled(await base.render(view)),
    ...(render === undefined
      ? {}
      : {
          renderBodyFrom: async (source: StatsViewSource) =>
            new TextEncoder().encode(labelled(new TextDecoder().decode(await render(source)))),
        }),
  };
}

// ---------------------------------------------------------------- a node of a Redis cluster

/** How often `/api/v1/cluster` of a Redis node re-reads the cluster's stats, ms. */
const CLUSTER_VIEW_INTERVAL_MS = 1000;

/**
 * `bond-receiver --cluster redis://...`: this process joins the cluster (a node index allocated
 * in Redis, the backplane on `--backplane`), serves its senders and forwards to the other nodes,
 * and serves `--http` itself: its own stats, `/metrics` with its `node` label, and
 * `/api/v1/cluster` for the whole cluster from the stats every node publishes.
 */
export async function runRedisNode(
  options: RunOptions,
  deps: RunDeps,
  settings: ReceiverSettings,
  config: ClusterConfig,
): Promise<CliRunning> {
  let document: unknown = { version: 1, mode: 'redis', redis: config.redis, nodes: [] };
  const member = await startClusterMember(options, deps, settings, {
    logOutput: deps.logOutput,
    backplane: { address: config.backplane.host, port: config.backplane.port },
    reusePort: false,
    nodeId: () => config.nodeId,
    join: async (backplane, logger) => {
      try {
        return await RedisCoordinator.start({
          url: config.url,
          clusterKey: config.clusterKey,
          backplane,
          nodeId: config.nodeId,
          logger,
        });
      } catch (error) {
        if (!(error instanceof ClusterUnavailableError)) throw error;
        // The store's message speaks of a running node; at start nothing runs yet.
        const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
        throw new BondError(
          ClusterUnavailableError.code,
          `cannot join the cluster: Redis at ${config.redis} does not answer${cause}. Check that redis-server runs there and that --cluster names it (host, port, password); bond-receiver did not start`,
          { cause: error },
        );
      }
    },
    clusterRoute: () => ({
      status: 200,
      contentType: 'application/json',
      body: `${JSON.stringify(document, null, 2)}\n`,
    }),
  });
  const { coordinator } = member;
  let refreshing = false;
  const refresh = async (): Promise<void> => {
    if (refreshing) return;
    refreshing = true;
    try {
      const all = await coordinator.clusterStats();
      document = redisClusterDocument(config.redis, coordinator, all);
    } catch {
      // Redis away: the last document stays (its `state` says degraded once the poll notices).
    } finally {
      refreshing = false;
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), CLUSTER_VIEW_INTERVAL_MS);
  timer.unref();
  return {
    logger: member.running.logger,
    reload: () => member.running.reload(),
    close() {
      clearInterval(timer);
      return member.close();
    },
  };
}

/** `/api/v1/cluster` of a Redis node: every live node, its groups and load, from its stats. */
export function redisClusterDocument(
  redis: string,
  coordinator: Pick<ClusterCoordinator, 'nodeIndex' | 'state' | 'nodes'>,
  published: ReadonlyMap<number, unknown>,
) {
  return {
    version: 1,
    time: new Date().toISOString(),
    mode: 'redis',
    redis,
    self: coordinator.nodeIndex,
    state: coordinator.state(),
    nodes: [...coordinator.nodes()]
      .sort((a, b) => a.index - b.index)
      .map((view) => {
        const stats = published.get(view.index) as NodeStats | undefined;
        return {
          index: view.index,
          nodeId: view.nodeId,
          backplane: view.backplane,
          state: stats === undefined ? 'starting' : 'up',
          pid: stats?.pid ?? null,
          ...groupsAndLoad(stats?.view),
          routing: stats?.node ?? null,
        };
      }),
  };
}

/** A node's groups and load, as `/api/v1/cluster` shows them, from its stats view. */
export function groupsAndLoad(view: StatsView | undefined) {
  const groups = view?.groups ?? [];
  return {
    groups: groups.map((group) => ({
      id: group.id,
      tag: group.tag,
      stream: group.stream,
      state: group.state,
      links: group.links.length,
      bitrateBitsPerSecond: group.bitrateBitsPerSecond,
    })),
    load: {
      groups: groups.length,
      links: groups.reduce((sum, group) => sum + group.links.length, 0),
      bitrateBitsPerSecond: groups.reduce((sum, group) => sum + group.bitrateBitsPerSecond, 0),
      datagramsReceived: view?.totals.datagramsReceived ?? 0,
    },
  };
}
