/**
 * bond-receiver's settings: its table of named settings over `@bond/app-common`'s framework, read
 * from the command line (`--name VALUE`) and from the config file (`{ "name": VALUE }`) with the
 * same names and the same parsers, so the two can never disagree. Precedence: defaults < config
 * file < command line.
 *
 * The config file (`--config FILE`) is a JSON object whose keys are the long option names
 * (`srt_hostname`, `max-groups`, `reorder`, ...) and whose values are what the option would take
 * (numbers may be JSON numbers):
 *
 * ```json
 * { "srtla_port": 5000, "srt_hostname": "127.0.0.1", "srt_port": 4001, "http": "127.0.0.1:8080" }
 * ```
 *
 * A file that does not parse, or names an unknown setting, or gives a bad value, is refused whole.
 */
import {
  HTTP_ENVIRONMENT,
  HTTP_SETTINGS,
  HttpAddressError,
  RUNTIME_SETTINGS,
  SettingError,
  parseHttpAddress as parseHttpAddressText,
  settingsFromEnvironment,
  parseOneOf,
  loadConfigFile as loadSettingsFile,
  parseConfigText as parseSettingsText,
  parsePort,
  resolveSettings as resolveFromSources,
  type ConfigFileSettings,
  type HttpAddress,
  type IoBackendChoice,
  type SettingsDraft,
  type SettingsTable,
} from '@bond/app-common';
import {
  DEFAULT_REORDER,
  DEFAULT_STREAM_LABEL,
  STREAM_LABEL_MODES,
  checkReorder,
  type ReorderSetting,
  type StreamLabelMode,
} from '@bond/runtime';

import { availableParallelism } from 'node:os';
import type { LogFormat, LogLevel } from '@bond/runtime';
import {
  MIN_CLUSTER_KEY_BYTES,
  parseBackplane,
  parseClusterUrl,
  parseNodeId,
  type BackplaneAddress,
} from './cluster-config.js';

export type { LogFormat, LogLevel };
export type { IoBackendChoice };

export type { HttpAddress };

export interface ReceiverSettings {
  /** UDP port senders register on. */
  readonly srtlaPort: number;
  /** The SRT listener's host name or address. */
  readonly srtHost: string;
  readonly srtPort: number;
  /** Address to listen on (`::`: IPv4 and IPv6). */
  readonly listen: string;
  readonly maxGroups: number;
  readonly maxLinksPerGroup: number;
  readonly linkTimeoutMs: number;
  readonly groupTimeoutMs: number;
  readonly pendingGroupTimeoutMs: number;
  /** Groups waiting for their first SRT packet, at once, from one source IP. */
  readonly maxPendingPerIp: number;
  readonly reorder: ReorderSetting;
  /** Where the HTTP server listens; undefined: no HTTP server. */
  readonly http: HttpAddress | undefined;
  /** The secret the HTTP server asks for (not `/healthz`); undefined: none. */
  readonly httpToken: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly ioBackend: IoBackendChoice;
  /** The config file these settings were read from, if any. */
  readonly configFile: string | undefined;
  /** How often the SRT listener is checked while it answers, ms (at most 500 while it does not). */
  readonly probeIntervalMs: number;
  /** How SRT stream ids are shown in logs, the API, metrics and the dashboard. */
  readonly streamLabel: StreamLabelMode;
  /** `--cluster`: the Redis URL of the cluster this node joins; undefined: no cluster. */
  readonly cluster: string | undefined;
  /** `--node-id`: this node's name in the cluster; undefined: the host name. */
  readonly nodeId: string | undefined;
  /** `--backplane`: the address and port the other nodes forward to. */
  readonly backplane: BackplaneAddress | undefined;
  /** `--cluster-key-file`: the file holding the cluster's shared secret. */
  readonly clusterKeyFile: string | undefined;
  /** Receiver processes sharing the port (`--workers`; 1: this process alone). */
  readonly workers: number;
}

export { SettingError };

export const DEFAULT_SETTINGS = {
  // irlserver's srtla_rec: with no arguments it listens on 5000 and forwards to 127.0.0.1:4001.
  srtlaPort: 5000,
  srtHost: '127.0.0.1',
  srtPort: 4001,
  listen: '::',
  // protocol.md 4.3: bond's receiver defaults.
  maxGroups: 200,
  maxLinksPerGroup: 16,
  linkTimeoutMs: 15_000,
  groupTimeoutMs: 30_000,
  pendingGroupTimeoutMs: 5000,
  // A few senders behind one carrier NAT may register at once; one host cannot fill the table.
  maxPendingPerIp: 4,
  // The runtime's default (auto), so an embedded receiver and bond-receiver behave alike.
  reorder: DEFAULT_REORDER,
  http: undefined,
  httpToken: undefined,
  logLevel: 'info',
  logFormat: 'auto',
  ioBackend: 'auto',
  configFile: undefined,
  // 1000: while no group streams, a dead listener is noticed within about a second (ICMP refusal),
  // two when it goes silent (the probe's 1 s wait); a streaming group's refusal is noticed at once.
  // While it is down, checks run every 500 ms. One induction handshake a second costs it nothing.
  probeIntervalMs: 1000,
  // Stream ids carry passwords and stream keys: show the readable path only unless told.
  streamLabel: DEFAULT_STREAM_LABEL,
  // No cluster unless --cluster is given (resolveClusterConfig checks the four together).
  cluster: undefined,
  nodeId: undefined,
  backplane: undefined,
  clusterKeyFile: undefined,
  // One process: a worker per core is asked for (--workers auto), never assumed.
  workers: 1,
} as const satisfies ReceiverSettings;

/** The most worker processes `--workers` takes. */
export const MAX_WORKERS = 256;

/** A `--workers` value: a whole number 1..256, or `auto` (one per core this process may use). */
export function parseWorkers(raw: string): number {
  const text = raw.trim().toLowerCase();
  if (text === 'auto') return Math.min(Math.max(availableParallelism(), 1), MAX_WORKERS);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_WORKERS) {
    throw new SettingError(
      `workers must be auto or a whole number from 1 to ${MAX_WORKERS}, got "${raw}"`,
    );
  }
  return value;
}

export type PartialSettings = SettingsDraft<ReceiverSettings>;

function count(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 1_000_000) {
    throw new SettingError(`${name} must be a whole number from 1 to 1000000, got "${raw}"`);
  }
  return value;
}

function seconds(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new SettingError(
      `${name} must be a number of seconds above 0 (at most 86400), got "${raw}"`,
    );
  }
  return Math.round(value * 1000);
}

/** `off`, `auto`, or a whole number of milliseconds. */
export function parseReorder(raw: string): ReorderSetting {
  if (raw === 'off' || raw === 'auto') return raw;
  if (/^\d+$/.test(raw)) {
    try {
      return checkReorder({ fixedMs: Number(raw) });
    } catch (error) {
      throw new SettingError(`reorder: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new SettingError(`reorder must be off, auto or a hold in milliseconds, got "${raw}"`);
}

/**
 * An `--http` value: `PORT` (this machine only), `ADDR:PORT`, `[IPV6]:PORT` or `:PORT` (every
 * address). Throws {@link SettingError}.
 */
export function parseHttpAddress(raw: string): HttpAddress {
  try {
    return parseHttpAddressText(raw);
  } catch (error) {
    if (error instanceof HttpAddressError) throw new SettingError(error.message);
    throw error;
  }
}

/**
 * The settings every source can set, by name. `reloadable`: SIGHUP applies it to the running
 * receiver (run.ts); the others need a restart.
 */
export const SETTINGS: SettingsTable<ReceiverSettings> = {
  srtla_port: {
    value: 'PORT',
    help: `UDP port SRTLA senders connect to (as srtla_rec SRTLA_LISTEN_PORT; default ${DEFAULT_SETTINGS.srtlaPort})`,
    field: 'srtlaPort',
    parse: (raw) => parsePort('srtla_port', raw),
  },
  srt_hostname: {
    value: 'HOST',
    help: `SRT listener to forward to: a host name, IPv4 or IPv6 address (default ${DEFAULT_SETTINGS.srtHost})`,
    reloadable: true,
    field: 'srtHost',
    parse: (raw) => {
      if (raw.trim() === '') throw new SettingError('srt_hostname must not be empty');
      return raw.trim();
    },
  },
  srt_port: {
    value: 'PORT',
    help: `the SRT listener's UDP port (default ${DEFAULT_SETTINGS.srtPort})`,
    reloadable: true,
    field: 'srtPort',
    parse: (raw) => parsePort('srt_port', raw),
  },
  listen: {
    value: 'ADDR',
    help: `local address to listen on (default ${DEFAULT_SETTINGS.listen}, which takes IPv4 and IPv6; 0.0.0.0: IPv4 only)`,
    field: 'listen',
    parse: (raw) => raw.trim(),
  },
  'max-groups': {
    value: 'N',
    help: `groups (senders) at once, pending ones included (default ${DEFAULT_SETTINGS.maxGroups})`,
    reloadable: true,
    field: 'maxGroups',
    parse: (raw) => count('max-groups', raw),
  },
  'max-links': {
    value: 'N',
    help: `links per group (default ${DEFAULT_SETTINGS.maxLinksPerGroup})`,
    reloadable: true,
    field: 'maxLinksPerGroup',
    parse: (raw) => count('max-links', raw),
  },
  'link-timeout': {
    value: 'SECONDS',
    help: `a silent link is dropped after this long (default ${DEFAULT_SETTINGS.linkTimeoutMs / 1000})`,
    reloadable: true,
    field: 'linkTimeoutMs',
    parse: (raw) => seconds('link-timeout', raw),
  },
  'group-timeout': {
    value: 'SECONDS',
    help: `a group with no activity is dropped after this long (default ${DEFAULT_SETTINGS.groupTimeoutMs / 1000})`,
    reloadable: true,
    field: 'groupTimeoutMs',
    parse: (raw) => seconds('group-timeout', raw),
  },
  'pending-timeout': {
    value: 'SECONDS',
    help: `a group with no stream yet is dropped after this long without data, or this long after its encoder's first SRT packet if the SRT server has not accepted it (default ${DEFAULT_SETTINGS.pendingGroupTimeoutMs / 1000})`,
    reloadable: true,
    field: 'pendingGroupTimeoutMs',
    parse: (raw) => seconds('pending-timeout', raw),
  },
  'max-pending-per-ip': {
    value: 'N',
    help: `registered groups still waiting for their first SRT packet, at once, from one IP address; a newer registration from it replaces its oldest (default ${DEFAULT_SETTINGS.maxPendingPerIp}; one per address and port always)`,
    reloadable: true,
    field: 'maxPendingPerIp',
    parse: (raw) => count('max-pending-per-ip', raw),
  },
  reorder: {
    value: 'off|auto|MS',
    help: 'put SRT back in order before the listener: auto (default: hold for the measured delay skew between links), off (pass-through, as srtla_rec), or a fixed hold in ms',
    reloadable: true,
    field: 'reorder',
    parse: (raw) => parseReorder(raw.trim()),
  },
  ...HTTP_SETTINGS,
  http: {
    value: 'ADDR:PORT',
    help: 'serve /metrics, /api/v1/stats and the dashboard here (off unless given)',
    field: 'http',
    parse: (raw) => parseHttpAddress(raw),
  },
  'stream-label': {
    value: 'MODE',
    help: "how SRT stream ids name streams in logs, /api/v1/stats, /metrics and the dashboard: redacted (default: the readable path only, e.g. 'publish:live/feed1:user:pass' shows as live/feed1), hashed (sid- and 8 hex digits) or full (everything, passwords included)",
    field: 'streamLabel',
    parse: (raw) => parseOneOf('stream-label', raw.trim(), STREAM_LABEL_MODES),
  },
  cluster: {
    value: 'redis://HOST:PORT',
    help: 'join a cluster of receivers on several hosts through this Redis (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS); needs --backplane and --cluster-key-file; not with --workers above 1 yet (off unless given; see docs/cluster.md)',
    field: 'cluster',
    parse: (raw) => parseClusterUrl(raw),
  },
  'node-id': {
    value: 'ID',
    help: "this node's name in the cluster's logs, stats and dashboard, 1-64 of A-Z a-z 0-9 _ . - (default: the host name)",
    field: 'nodeId',
    parse: (raw) => parseNodeId(raw),
  },
  backplane: {
    value: 'ADDR:PORT',
    help: "with --cluster: this node's own address and UDP port the other nodes forward datagrams to (for example 10.0.0.5:7000; not 0.0.0.0)",
    field: 'backplane',
    parse: (raw) => parseBackplane(raw),
  },
  'cluster-key-file': {
    value: 'PATH',
    help: `with --cluster: the secret every node shares (at least ${MIN_CLUSTER_KEY_BYTES} random bytes; create it with head -c 32 /dev/urandom > cluster.key, chmod 600, copy it to every node)`,
    field: 'clusterKeyFile',
    parse: (raw) => {
      if (raw.trim() === '') throw new SettingError('cluster-key-file must not be empty');
      return raw.trim();
    },
  },
  workers: {
    value: 'N|auto',
    help: `receiver processes sharing srtla_port (default ${DEFAULT_SETTINGS.workers}; auto: one per core). Each worker serves the senders the kernel hands it and forwards a link's datagrams to the worker that owns its stream; a worker that dies is restarted and its streams re-register; --http covers every worker (Linux and macOS share the port with SO_REUSEPORT, dgram through node:cluster); not with --cluster yet`,
    field: 'workers',
    parse: (raw) => parseWorkers(raw),
  },
  ...RUNTIME_SETTINGS,
  log_level: {
    field: 'logLevel',
    value: 'LEVEL',
    help: "as --log-level, with irlserver srtla_rec's names: trace (= debug), critical (= error)",
    reloadable: true,
    parse: (raw) => parseIrlLogLevel(raw),
  },
};

/** irlserver srtla_rec's `--log_level` names, as bond's levels. */
const IRL_LOG_LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  critical: 'error',
  off: 'silent',
  silent: 'silent',
};

function parseIrlLogLevel(raw: string): LogLevel {
  const level = IRL_LOG_LEVELS[raw.trim().toLowerCase()];
  if (level === undefined) {
    throw new SettingError(
      `log_level must be one of trace, debug, info, warn, error, critical or off, got "${raw}"`,
    );
  }
  return level;
}

/**
 * Layers `sources` (later wins) over the defaults; as irlserver's srtla_rec, nothing is required
 * (port 5000, forwarding to 127.0.0.1:4001).
 */
export function resolveSettings(...sources: PartialSettings[]): ReceiverSettings {
  return resolveFromSources<ReceiverSettings, never>(
    {
      defaults: DEFAULT_SETTINGS,
      required: {},
      hint: 'run bond-receiver SRTLA_LISTEN_PORT SRT_HOST SRT_PORT (see --help)',
    },
    sources,
  );
}

/** What the environment sets (`BOND_HTTP_TOKEN`); throws {@link SettingError} naming the variable. */
export function environmentSettings(
  env: Readonly<Record<string, string | undefined>>,
): PartialSettings {
  return settingsFromEnvironment(SETTINGS, HTTP_ENVIRONMENT, env);
}

/** Reads and validates the config file `path`; returns the settings it sets and the names it set. */
export function loadConfigFile(path: string): Promise<ConfigFileSettings<ReceiverSettings>> {
  return loadSettingsFile(SETTINGS, path);
}

/** Validates config text (exported for tests). */
export function parseConfigText(path: string, text: string): ConfigFileSettings<ReceiverSettings> {
  return parseSettingsText(SETTINGS, path, text);
}
