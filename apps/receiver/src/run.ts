/**
 * `run(options, deps)`: bond-receiver without the process. Reads the config file, starts the
 * receiver (`@bond/runtime`), probes the SRT listener, serves HTTP when asked, and returns a handle
 * to reload and close it. `cli.ts` adds only argument parsing, signals and the exit code (and
 * `bin.ts`, V8's flags).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ConfigFileError, diffSettings, type StatsRoutes } from '@bond/app-common';
import type { IoBackend } from '@bond/io';
import {
  createReceiver,
  receiverChannels,
  type Receiver,
  type ReceiverClusterOptions,
  type ReceiverDiagnostic,
} from '@bond/runtime';
import packageJson from '../package.json' with { type: 'json' };
import { listenerHealth, startHttpServer, type StatsHttpServer } from './http-server.js';
import { watchSrtListener, type ListenerProbe } from './listener-probe.js';
import { createLogger, type AppLogger, type LogOutput } from '@bond/runtime';
import { createReceiverMetrics, type ReceiverMetrics } from './metrics.js';
import {
  SETTINGS,
  environmentSettings,
  loadConfigFile,
  resolveSettings,
  type PartialSettings,
  type ReceiverSettings,
} from './settings.js';
import { statsView, statsViewSource, type StatsView, type StatsViewSource } from './stats-view.js';

export const VERSION: string = packageJson.version;

export interface RunOptions {
  /** What the command line set; it wins over the config file. */
  readonly settings: PartialSettings;
  readonly configFile: string | undefined;
}

export interface RunDeps {
  /** Where log lines go (the process's stderr). */
  readonly logOutput: LogOutput;
  /** Open sockets on this backend instead of choosing one (tests). */
  readonly io?: IoBackend;
  /** Where `BOND_HTTP_TOKEN` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run as one node of a cluster (cluster-member.ts): the node's cluster hooks; for a worker of
   * `--workers N` the listening port shared with the other workers (`reusePort`) and no HTTP
   * server of its own (the primary serves every worker's stats); for a node of a Redis cluster
   * its own HTTP server with these metrics (a `node` label) and routes (`/api/v1/cluster`).
   */
  readonly worker?: {
    readonly index: number;
    readonly cluster: ReceiverClusterOptions;
    readonly reusePort: boolean;
    readonly http?: {
      readonly metrics: ReceiverMetrics;
      readonly routes: StatsRoutes;
      /** This node's name (`--node-id`): `/api/v1/stats` names it, with its index, on each group. */
      readonly nodeId?: string;
    };
  };
}

export interface ReloadOutcome {
  readonly ok: boolean;
  /** Settings (option names) that changed in the file and now apply to the running receiver. */
  readonly applied: readonly string[];
  /** Settings that changed in the file but need a restart; the running values stay. */
  readonly needsRestart: readonly string[];
  readonly error?: string;
}

export interface RunningReceiver {
  readonly receiver: Receiver;
  readonly http: StatsHttpServer | undefined;
  readonly logger: AppLogger;
  settings(): ReceiverSettings;
  stats(): StatsView;
  /** {@link stats} group by group: what `/metrics` reads (see `StatsViewSource`). */
  readonly statsSource: StatsViewSource;
  /**
   * Re-reads the config file (SIGHUP) and applies what can change while running: limits, timeouts,
   * reorder, log level and format to every group, the SRT listener to new groups. Changes that need
   * a restart are logged and left as they run. An invalid file is refused whole, with a message
   * naming the file and the setting; the receiver keeps running as before.
   */
  reload(): Promise<ReloadOutcome>;
  /** Stops the probe, the HTTP server and the receiver. Idempotent. */
  close(): Promise<void>;
}

/** What a refused reload tells the operator to do. */
const REFUSED_HINT = 'fix the file and send SIGHUP again; the receiver keeps its running settings';

/** Defaults < config file < environment (`BOND_HTTP_TOKEN`) < command line. */
export async function readSettings(options: RunOptions, deps: RunDeps): Promise<ReceiverSettings> {
  const fromFile =
    options.configFile === undefined ? {} : (await loadConfigFile(options.configFile)).settings;
  const fromEnvironment = environmentSettings(deps.env ?? process.env);
  return resolveSettings(fromFile, fromEnvironment, options.settings, {
    configFile: options.configFile,
  });
}

export async function run(options: RunOptions, deps: RunDeps): Promise<RunningReceiver> {
  let settings = await readSettings(options, deps);
  const logger = createLogger(settings.logLevel, settings.logFormat, deps.logOutput);
  const receiver = await createReceiver({
    port: settings.srtlaPort,
    address: settings.listen,
    upstream: { host: settings.srtHost, port: settings.srtPort },
    maxGroups: settings.maxGroups,
    maxLinksPerGroup: settings.maxLinksPerGroup,
    linkTimeoutMs: settings.linkTimeoutMs,
    groupTimeoutMs: settings.groupTimeoutMs,
    pendingGroupTimeoutMs: settings.pendingGroupTimeoutMs,
    maxPendingGroupsPerIp: settings.maxPendingPerIp,
    reorder: settings.reorder,
    streamLabel: settings.streamLabel,
    backend: settings.ioBackend,
    logger,
    ...(deps.io === undefined ? {} : { io: deps.io }),
    ...(deps.worker === undefined
      ? {}
      : { cluster: deps.worker.cluster, reusePort: deps.worker.reusePort }),
  });
  const probe: ListenerProbe = watchSrtListener(
    {
      target: () => receiver.upstream(),
      fromListener: () => receiver.listenerTraffic(),
    },
    settings.probeIntervalMs,
    logger,
  );
  const listenName = receiver.local.toString();
  const onUpstreamError = (message: unknown): void => {
    const diagnostic = message as ReceiverDiagnostic;
    if (diagnostic.receiver !== listenName || diagnostic.errno !== 'ECONNREFUSED') return;
    probe.refused("refused a stream's datagrams (ECONNREFUSED): nothing listens on that UDP port");
  };
  subscribe(receiverChannels.upstreamError, onUpstreamError);
  const stopWatching = async (): Promise<void> => {
    unsubscribe(receiverChannels.upstreamError, onUpstreamError);
    await probe.stop();
  };
  const view = () => statsView(receiver.stats(), probe.state());
  const source = statsViewSource(
    (visit) => receiver.statsEach(visit),
    () => probe.state(),
  );
  let http: StatsHttpServer | undefined;
  const serveHttp = deps.worker === undefined || deps.worker.http !== undefined;
  if (settings.http !== undefined && serveHttp) {
    try {
      http = await startHttpServer(
        settings.http,
        settings.httpToken,
        deps.worker?.http === undefined
          ? view
          : ownedBy(view, deps.worker.index, deps.worker.http.nodeId),
        liveMetrics(deps.worker?.http?.metrics ?? createReceiverMetrics(VERSION), source),
        () => listenerHealth(probe.state()),
        logger,
        deps.worker?.http?.routes,
      );
    } catch (error) {
      await stopWatching();
      await receiver.close();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  const refuse = (file: string, error: unknown): ReloadOutcome => {
    let message = error instanceof Error ? error.message : String(error);
    // ConfigFileError names the file already; a setting missing from the merged result does not.
    if (!(error instanceof ConfigFileError)) message = `config file ${file}: ${message}`;
    logger.error('config reload refused: keeping the running configuration', {
      file,
      error: message,
      hint: REFUSED_HINT,
    });
    return { ok: false, applied: [], needsRestart: [], error: message };
  };
  const reloadOnce = async (): Promise<ReloadOutcome> => {
    const file = options.configFile;
    if (file === undefined) {
      logger.warn('reload asked, but there is no config file (start with --config FILE)');
      return { ok: false, applied: [], needsRestart: [], error: 'no config file' };
    }
    let next: ReceiverSettings;
    try {
      next = await readSettings(options, deps);
    } catch (error) {
      return refuse(file, error);
    }
    const running = settings;
    // Every setting of the table, by its `reloadable` flag; the others need a restart (the
    // listening socket, the HTTP server and the IO backend are opened once).
    const { applied, needsRestart } = diffSettings(SETTINGS, running, next);
    const limits = (from: ReceiverSettings) => ({
      maxGroups: from.maxGroups,
      maxLinksPerGroup: from.maxLinksPerGroup,
      linkTimeoutMs: from.linkTimeoutMs,
      groupTimeoutMs: from.groupTimeoutMs,
      pendingGroupTimeoutMs: from.pendingGroupTimeoutMs,
      maxPendingGroupsPerIp: from.maxPendingPerIp,
      reorder: from.reorder,
    });
    // All or nothing: the limits are checked before any applies, and undone if the SRT listener's
    // new name does not resolve.
    try {
      receiver.configure(limits(next));
    } catch (error) {
      return refuse(file, error);
    }
    if (next.srtHost !== running.srtHost || next.srtPort !== running.srtPort) {
      try {
        await receiver.setUpstream(next.srtHost, next.srtPort);
      } catch (error) {
        receiver.configure(limits(running));
        return refuse(file, error);
      }
      probe.restart();
    }
    // Keep the running values of what needs a restart, so a later reload compares against them.
    settings = {
      ...next,
      srtlaPort: running.srtlaPort,
      listen: running.listen,
      http: running.http,
      httpToken: running.httpToken,
      ioBackend: running.ioBackend,
      configFile: running.configFile,
      probeIntervalMs: running.probeIntervalMs,
      streamLabel: running.streamLabel,
      workers: running.workers,
    };
    if (needsRestart.length > 0) {
      logger.warn('config reload: some changes need a restart and were not applied', {
        file,
        settings: needsRestart,
        hint: 'restart bond-receiver to apply them; until then the running values stay',
      });
    }
    logger.configure(next.logLevel, next.logFormat);
    const snapshot = receiver.stats();
    logger.info('config reloaded', {
      file,
      applied,
      upstream: snapshot.upstream,
      reorder: snapshot.reorder,
      limits: snapshot.limits,
    });
    return { ok: true, applied, needsRestart };
  };
  // One reload at a time: a second SIGHUP while the first resolves the SRT host waits its turn.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<ReloadOutcome> => {
    const outcome = reloading.then(reloadOnce);
    reloading = outcome.catch(() => undefined);
    return outcome;
  };

  return {
    receiver,
    http,
    logger,
    settings: () => settings,
    stats: view,
    statsSource: source,
    reload,
    close() {
      closing ??= (async () => {
        await stopWatching();
        await http?.close();
        await receiver.close();
      })();
      return closing;
    },
  };
}

/** `metrics` answering `/metrics` from `source` group by group, when it can. */
function liveMetrics(metrics: ReceiverMetrics, source: StatsViewSource): ReceiverMetrics {
  const render = metrics.renderBodyFrom;
  if (render === undefined) return metrics;
  return { ...metrics, renderLive: () => render(source) };
}

/**
 * A Redis cluster node's `/api/v1/stats`: each group names the node that owns it (every group a
 * node's engine holds is its own), as `--workers` mode's merged stats do.
 */
function ownedBy(view: () => StatsView, node: number, nodeId: string | undefined): () => StatsView {
  return () => {
    const stats = view();
    return {
      ...stats,
      groups: stats.groups.map((group) => ({
        ...group,
        node,
        ...(nodeId === undefined ? {} : { nodeId }),
      })),
    };
  };
}
