/**
 * bond-sender's settings: its table of named settings over `@bond/app-common`'s framework, read
 * from the command line (`--name VALUE`) and from the config file (`{ "name": VALUE }`) with the
 * same names and the same parsers, so the two can never disagree. Precedence: defaults < config
 * file < command line.
 *
 * The config file (`--config FILE`) is a JSON object whose keys are the long option names
 * (`srtla_host`, `scheduler`, `stats-json`, ...) and whose values are what the option would take
 * (numbers may be JSON numbers; repeatable options take an array of strings):
 *
 * ```json
 * { "srt_listen_port": 6000, "srtla_host": "srtla.example", "srtla_port": 5000,
 *   "ips_file": "/etc/bond/uplinks", "link-priority": ["wifi=50"] }
 * ```
 *
 * A file that does not parse, or names an unknown setting, or gives a bad value, is refused whole.
 */
import { isIP } from 'node:net';
import {
  HTTP_ENVIRONMENT,
  HTTP_SETTINGS,
  RUNTIME_SETTINGS,
  SettingError,
  loadConfigFile as loadSettingsFile,
  parseConfigText as parseSettingsText,
  parseOneOf,
  settingsFromEnvironment,
  parsePort,
  resolveSettings as resolveFromSources,
  type HttpAddress,
  type IoBackendChoice,
  type SettingsDraft,
  type SettingsTable,
} from '@bond/app-common';
import type { SchedulerName } from '@bond/runtime';

import type { LogFormat, LogLevel } from '@bond/runtime';

export type { HttpAddress, LogFormat, LogLevel };
export type { IoBackendChoice };

/** `--link-priority NAME|ADDR=PERCENT`: overrides the uplink file's priority for that link. */
export interface LinkPriorityOverride {
  /** A link's name or bind address. */
  readonly link: string;
  readonly priority: number;
}

/** `--link-name ADDR=NAME`: overrides the uplink file's name for that address. */
export interface LinkNameOverride {
  readonly address: string;
  readonly name: string;
}

export interface SenderSettings {
  /** UDP port the encoder (an SRT caller) sends to. */
  readonly srtListenPort: number;
  /** The SRTLA receiver: host name, IPv4 or IPv6 address. */
  readonly srtlaHost: string;
  readonly srtlaPort: number;
  /** The uplink list file (one source address per line). */
  readonly ipsFile: string;
  /** Local address the encoder sends to. */
  readonly listen: string;
  readonly scheduler: SchedulerName;
  readonly linkPriorities: readonly LinkPriorityOverride[];
  readonly linkNames: readonly LinkNameOverride[];
  /** Where NDJSON stats snapshots go: a file path, `-` for stdout; undefined: nowhere. */
  readonly statsJson: string | undefined;
  /** Period of the live view and of NDJSON snapshots, ms. */
  readonly statsIntervalMs: number;
  /** Period of the status log lines when the output is not a terminal, ms. */
  readonly statusIntervalMs: number;
  /** Where the HTTP server (metrics, stats, live page) listens; undefined: no HTTP server. */
  readonly http: HttpAddress | undefined;
  /** The secret the HTTP server asks for (not `/healthz`); undefined: none. */
  readonly httpToken: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly ioBackend: IoBackendChoice;
  /** The config file these settings were read from, if any. */
  readonly configFile: string | undefined;
}

export { SettingError };

export const DEFAULT_SETTINGS = {
  listen: '127.0.0.1',
  scheduler: 'adaptive',
  linkPriorities: [],
  linkNames: [],
  statsJson: undefined,
  statsIntervalMs: 1000,
  statusIntervalMs: 10_000,
  http: undefined,
  httpToken: undefined,
  logLevel: 'info',
  logFormat: 'auto',
  ioBackend: 'auto',
  configFile: undefined,
} as const satisfies Omit<SenderSettings, RequiredField>;

/** The fields no default fills: srtla_send's four arguments. */
type RequiredField = 'srtListenPort' | 'srtlaHost' | 'srtlaPort' | 'ipsFile';

export type PartialSettings = SettingsDraft<SenderSettings>;

function seconds(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0.1 || value > 3600) {
    throw new SettingError(`${name} must be a number of seconds from 0.1 to 3600, got "${raw}"`);
  }
  return Math.round(value * 1000);
}

/** A link priority: a percentage 0..100 (100 normal, 0 carries no data). */
export function parsePriority(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new SettingError(
      `${name} must be a percentage from 0 (carries no data) to 100 (normal), got "${raw}"`,
    );
  }
  return value;
}

function splitPair(name: string, raw: string, form: string): [string, string] {
  const at = raw.lastIndexOf('=');
  const key = raw.slice(0, at).trim();
  const value = raw.slice(at + 1).trim();
  if (at < 0 || key === '' || value === '') {
    throw new SettingError(`${name} must be ${form}, got "${raw}"`);
  }
  return [key, value];
}

/** The settings every source can set, by name. Only the log settings apply on SIGHUP (run.ts). */
export const SETTINGS: SettingsTable<SenderSettings> = {
  srt_listen_port: {
    value: 'PORT',
    help: 'UDP port the encoder sends SRT to (as srtla_send SRT_LISTEN_PORT)',
    field: 'srtListenPort',
    parse: (raw) => parsePort('srt_listen_port', raw),
  },
  srtla_host: {
    value: 'HOST',
    help: 'the SRTLA receiver: a host name, IPv4 or IPv6 address',
    field: 'srtlaHost',
    parse: (raw) => {
      if (raw.trim() === '') throw new SettingError('srtla_host must not be empty');
      return raw.trim();
    },
  },
  srtla_port: {
    value: 'PORT',
    help: "the SRTLA receiver's UDP port",
    field: 'srtlaPort',
    parse: (raw) => parsePort('srtla_port', raw),
  },
  ips_file: {
    value: 'FILE',
    help: 'the uplink list (as srtla_send BIND_IPS_FILE; format below)',
    field: 'ipsFile',
    parse: (raw) => {
      if (raw.trim() === '') throw new SettingError('ips_file must not be empty');
      return raw.trim();
    },
  },
  listen: {
    value: 'ADDR',
    help: `local address the encoder sends to (default ${DEFAULT_SETTINGS.listen}; 0.0.0.0 or :: for an encoder on another machine)`,
    field: 'listen',
    parse: (raw) => {
      if (isIP(raw.trim()) === 0) {
        throw new SettingError(`listen must be an IPv4 or IPv6 address, got "${raw}"`);
      }
      return raw.trim();
    },
  },
  scheduler: {
    value: 'NAME',
    help: "adaptive (default: bond's balancer) or classic (the reference sender's, for comparison)",
    field: 'scheduler',
    parse: (raw) => parseOneOf('scheduler', raw.trim(), ['adaptive', 'classic']),
  },
  'link-priority': {
    value: 'LINK=PERCENT',
    multiple: true,
    help: "a link's priority by name or address, over the uplink file's (repeatable)",
    field: 'linkPriorities',
    parse: (raw, previous) => {
      const [link, value] = splitPair('link-priority', raw, 'NAME=PERCENT or ADDRESS=PERCENT');
      const entry = { link, priority: parsePriority('link-priority', value) };
      return [...(previous ?? []), entry];
    },
  },
  'link-name': {
    value: 'ADDR=NAME',
    multiple: true,
    help: "a link's name by address, over the uplink file's (repeatable)",
    field: 'linkNames',
    parse: (raw, previous) => {
      const [address, name] = splitPair('link-name', raw, 'ADDRESS=NAME');
      if (isIP(address) === 0) {
        throw new SettingError(`link-name must start with an IP address, got "${address}"`);
      }
      return [...(previous ?? []), { address, name }];
    },
  },
  'stats-json': {
    value: 'FILE|-',
    help: 'append one JSON stats snapshot per stats interval to FILE (- : stdout)',
    field: 'statsJson',
    parse: (raw) => {
      if (raw.trim() === '') throw new SettingError('stats-json must be a file path or -');
      return raw.trim();
    },
  },
  'stats-interval': {
    value: 'SECONDS',
    help: `refresh of the live view and of --stats-json (default ${DEFAULT_SETTINGS.statsIntervalMs / 1000})`,
    field: 'statsIntervalMs',
    parse: (raw) => seconds('stats-interval', raw),
  },
  'status-interval': {
    value: 'SECONDS',
    help: `period of the status log lines when not on a terminal (default ${DEFAULT_SETTINGS.statusIntervalMs / 1000})`,
    field: 'statusIntervalMs',
    parse: (raw) => seconds('status-interval', raw),
  },
  ...HTTP_SETTINGS,
  ...RUNTIME_SETTINGS,
};

/** Layers `sources` (later wins) over the defaults; requires the four srtla_send arguments. */
export function resolveSettings(...sources: PartialSettings[]): SenderSettings {
  return resolveFromSources(
    {
      defaults: DEFAULT_SETTINGS,
      required: {
        srtListenPort: 'SRT listen port (--srt_listen_port)',
        srtlaHost: 'SRTLA host (--srtla_host)',
        srtlaPort: 'SRTLA port (--srtla_port)',
        ipsFile: 'uplink file (--ips_file)',
      },
      hint: 'run bond-sender SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE (see --help)',
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

/** Reads and validates the config file `path`; returns the settings it sets. */
export async function loadConfigFile(path: string): Promise<PartialSettings> {
  return (await loadSettingsFile(SETTINGS, path)).settings;
}

/** Validates config text (exported for tests). */
export function parseConfigText(path: string, text: string): PartialSettings {
  return parseSettingsText(SETTINGS, path, text).settings;
}
