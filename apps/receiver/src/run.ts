/**
 * `run(options, deps)`: bond-receiver without the process. Reads the config file, starts the
 * receiver (`@bond/runtime`), probes the SRT listener, serves HTTP when asked, and returns a handle
 * to reload and close it. `bin.ts` adds only argument parsing, signals and the exit code.
 */
import type { IoBackend } from '@bond/io';
import { createReceiver, formatEndpoint, type Receiver } from '@bond/runtime';
import packageJson from '../package.json' with { type: 'json' };
import { loadConfigFile } from './config-file.js';
import { startHttpServer, type StatsHttpServer } from './http-server.js';
import { watchSrtListener, type ListenerProbe } from './listener-probe.js';
import { createLogger, type AppLogger, type LogOutput } from '@bond/runtime';
import { createReceiverMetrics } from './metrics.js';
import { resolveSettings, type PartialSettings, type ReceiverSettings } from './settings.js';
import { statsView, type StatsView } from './stats-view.js';

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
}

export interface ReloadOutcome {
  readonly ok: boolean;
  /** Settings now in effect. */
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
  /** Re-reads the config file (SIGHUP); refuses an invalid one and keeps running as before. */
  reload(): Promise<ReloadOutcome>;
  /** Stops the probe, the HTTP server and the receiver. Idempotent. */
  close(): Promise<void>;
}

/** Settings that apply while running, by field, with their option names. */
const RELOADABLE: Partial<Record<keyof ReceiverSettings, string>> = {
  srtHost: 'srt_hostname',
  srtPort: 'srt_port',
  logLevel: 'log-level',
  logFormat: 'log-format',
};

/** Every other setting's option name, for "needs a restart" messages. */
const RESTART_NAMES: Partial<Record<keyof ReceiverSettings, string>> = {
  srtlaPort: 'srtla_port',
  listen: 'listen',
  maxGroups: 'max-groups',
  maxLinksPerGroup: 'max-links',
  linkTimeoutMs: 'link-timeout',
  groupTimeoutMs: 'group-timeout',
  pendingGroupTimeoutMs: 'pending-timeout',
  reorder: 'reorder',
  http: 'http',
  ioBackend: 'io-backend',
};

async function readSettings(options: RunOptions): Promise<ReceiverSettings> {
  const fromFile =
    options.configFile === undefined ? {} : (await loadConfigFile(options.configFile)).settings;
  return resolveSettings(fromFile, options.settings, { configFile: options.configFile });
}

export async function run(options: RunOptions, deps: RunDeps): Promise<RunningReceiver> {
  let settings = await readSettings(options);
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
    reorder: settings.reorder,
    backend: settings.ioBackend,
    logger,
    ...(deps.io === undefined ? {} : { io: deps.io }),
  });
  const probe: ListenerProbe = watchSrtListener(
    () => receiver.upstream(),
    settings.probeIntervalMs,
    logger,
  );
  const view = () => statsView(receiver.stats(), probe.state());
  let http: StatsHttpServer | undefined;
  if (settings.http !== undefined) {
    try {
      http = await startHttpServer(settings.http, view, createReceiverMetrics(VERSION), logger);
    } catch (error) {
      await probe.stop();
      await receiver.close();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  const reload = async (): Promise<ReloadOutcome> => {
    if (options.configFile === undefined) {
      logger.warn('reload asked, but there is no config file (start with --config FILE)');
      return { ok: false, applied: [], needsRestart: [], error: 'no config file' };
    }
    let next: ReceiverSettings;
    try {
      next = await readSettings(options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error('config reload refused: keeping the running configuration', { error: message });
      return { ok: false, applied: [], needsRestart: [], error: message };
    }
    const changed = (key: keyof ReceiverSettings) =>
      JSON.stringify(next[key]) !== JSON.stringify(settings[key]);
    const needsRestart = Object.entries(RESTART_NAMES)
      .filter(([key]) => changed(key as keyof ReceiverSettings))
      .map(([, name]) => name);
    const applied = Object.entries(RELOADABLE)
      .filter(([key]) => changed(key as keyof ReceiverSettings))
      .map(([, name]) => name);
    if (changed('srtHost') || changed('srtPort')) {
      try {
        await receiver.setUpstream(next.srtHost, next.srtPort);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error('config reload refused: keeping the running configuration', {
          error: message,
        });
        return { ok: false, applied: [], needsRestart: [], error: message };
      }
      probe.restart();
    }
    logger.configure(next.logLevel, next.logFormat);
    // Keep the running values of what needs a restart, so a later reload compares against them.
    settings = {
      ...settings,
      srtHost: next.srtHost,
      srtPort: next.srtPort,
      logLevel: next.logLevel,
      logFormat: next.logFormat,
    };
    if (needsRestart.length > 0) {
      logger.warn('config reload: some changes need a restart and were not applied', {
        settings: needsRestart,
      });
    }
    logger.info('config reloaded', { applied, upstream: formatEndpoint(receiver.upstream()) });
    return { ok: true, applied, needsRestart };
  };

  return {
    receiver,
    http,
    logger,
    settings: () => settings,
    stats: view,
    reload,
    close() {
      closing ??= (async () => {
        await probe.stop();
        await http?.close();
        await receiver.close();
      })();
      return closing;
    },
  };
}
