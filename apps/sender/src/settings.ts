/**
 * bond-sender's settings: one table of named settings, read from the command line (`--name VALUE`)
 * and from the config file (`{ "name": VALUE }`) with the same names and the same parsers, so the
 * two can never disagree. Precedence: defaults < config file < command line.
 */
import { isIP } from 'node:net';
import { HttpAddressError, parseHttpAddress, type HttpAddress } from '@bond/app-common';
import type { SchedulerName } from '@bond/runtime';
import { BondError } from '@bond/wire';

import type { LogFormat, LogLevel } from '@bond/runtime';

export type { HttpAddress, LogFormat, LogLevel };
export type IoBackendChoice = 'auto' | 'native' | 'dgram';

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
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly ioBackend: IoBackendChoice;
  /** The config file these settings were read from, if any. */
  readonly configFile: string | undefined;
}

/** A setting's value was invalid; the message names the setting and what is allowed. */
export class SettingError extends BondError {
  static readonly code = 'BOND_ERR_SETTING';
  constructor(message: string) {
    super(SettingError.code, message);
  }
}

export const DEFAULT_SETTINGS = {
  listen: '127.0.0.1',
  scheduler: 'adaptive',
  linkPriorities: [],
  linkNames: [],
  statsJson: undefined,
  statsIntervalMs: 1000,
  statusIntervalMs: 10_000,
  http: undefined,
  logLevel: 'info',
  logFormat: 'auto',
  ioBackend: 'auto',
  configFile: undefined,
} as const satisfies Partial<SenderSettings>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type PartialSettings = Partial<Mutable<SenderSettings>>;

/** One named setting: how it reads from text and what it sets. */
interface SettingDefinition {
  readonly help: string;
  readonly value: string;
  /** May be given more than once (each adds one entry). */
  readonly multiple?: boolean;
  readonly apply: (raw: string, into: PartialSettings) => void;
}

function port(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 65535) {
    throw new SettingError(`${name} must be a UDP port number 1..65535, got "${raw}"`);
  }
  return value;
}

function seconds(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0.1 || value > 3600) {
    throw new SettingError(`${name} must be a number of seconds from 0.1 to 3600, got "${raw}"`);
  }
  return Math.round(value * 1000);
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new SettingError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
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

/** The settings every source can set, by name. */
export const SETTINGS: Readonly<Record<string, SettingDefinition>> = {
  srt_listen_port: {
    value: 'PORT',
    help: 'UDP port the encoder sends SRT to (as srtla_send SRT_LISTEN_PORT)',
    apply: (raw, into) => {
      into.srtListenPort = port('srt_listen_port', raw);
    },
  },
  srtla_host: {
    value: 'HOST',
    help: 'the SRTLA receiver: a host name, IPv4 or IPv6 address',
    apply: (raw, into) => {
      if (raw.trim() === '') throw new SettingError('srtla_host must not be empty');
      into.srtlaHost = raw.trim();
    },
  },
  srtla_port: {
    value: 'PORT',
    help: "the SRTLA receiver's UDP port",
    apply: (raw, into) => {
      into.srtlaPort = port('srtla_port', raw);
    },
  },
  ips_file: {
    value: 'FILE',
    help: 'the uplink list (as srtla_send BIND_IPS_FILE; format below)',
    apply: (raw, into) => {
      if (raw.trim() === '') throw new SettingError('ips_file must not be empty');
      into.ipsFile = raw.trim();
    },
  },
  listen: {
    value: 'ADDR',
    help: `local address the encoder sends to (default ${DEFAULT_SETTINGS.listen}; 0.0.0.0 or :: for an encoder on another machine)`,
    apply: (raw, into) => {
      if (isIP(raw.trim()) === 0) {
        throw new SettingError(`listen must be an IPv4 or IPv6 address, got "${raw}"`);
      }
      into.listen = raw.trim();
    },
  },
  scheduler: {
    value: 'NAME',
    help: "adaptive (default: bond's balancer) or classic (the reference sender's, for comparison)",
    apply: (raw, into) => {
      into.scheduler = oneOf('scheduler', raw.trim(), ['adaptive', 'classic']);
    },
  },
  'link-priority': {
    value: 'LINK=PERCENT',
    multiple: true,
    help: "a link's priority by name or address, over the uplink file's (repeatable)",
    apply: (raw, into) => {
      const [link, value] = splitPair('link-priority', raw, 'NAME=PERCENT or ADDRESS=PERCENT');
      const entry = { link, priority: parsePriority('link-priority', value) };
      into.linkPriorities = [...(into.linkPriorities ?? []), entry];
    },
  },
  'link-name': {
    value: 'ADDR=NAME',
    multiple: true,
    help: "a link's name by address, over the uplink file's (repeatable)",
    apply: (raw, into) => {
      const [address, name] = splitPair('link-name', raw, 'ADDRESS=NAME');
      if (isIP(address) === 0) {
        throw new SettingError(`link-name must start with an IP address, got "${address}"`);
      }
      into.linkNames = [...(into.linkNames ?? []), { address, name }];
    },
  },
  'stats-json': {
    value: 'FILE|-',
    help: 'append one JSON stats snapshot per stats interval to FILE (- : stdout)',
    apply: (raw, into) => {
      if (raw.trim() === '') throw new SettingError('stats-json must be a file path or -');
      into.statsJson = raw.trim();
    },
  },
  'stats-interval': {
    value: 'SECONDS',
    help: `refresh of the live view and of --stats-json (default ${DEFAULT_SETTINGS.statsIntervalMs / 1000})`,
    apply: (raw, into) => {
      into.statsIntervalMs = seconds('stats-interval', raw);
    },
  },
  'status-interval': {
    value: 'SECONDS',
    help: `period of the status log lines when not on a terminal (default ${DEFAULT_SETTINGS.statusIntervalMs / 1000})`,
    apply: (raw, into) => {
      into.statusIntervalMs = seconds('status-interval', raw);
    },
  },
  http: {
    value: 'ADDR:PORT',
    help: 'serve /metrics, /api/v1/stats, /api/v1/events and the live page / here (off unless given)',
    apply: (raw, into) => {
      try {
        into.http = parseHttpAddress(raw);
      } catch (error) {
        if (error instanceof HttpAddressError) throw new SettingError(error.message);
        throw error;
      }
    },
  },
  'log-level': {
    value: 'LEVEL',
    help: 'debug, info (default), warn, error or silent',
    apply: (raw, into) => {
      into.logLevel = oneOf('log-level', raw.trim(), ['debug', 'info', 'warn', 'error', 'silent']);
    },
  },
  'log-format': {
    value: 'FORMAT',
    help: 'json, text, or auto (default: text on a terminal, JSON lines otherwise)',
    apply: (raw, into) => {
      into.logFormat = oneOf('log-format', raw.trim(), ['json', 'text', 'auto']);
    },
  },
  'io-backend': {
    value: 'NAME',
    help: 'auto (default: native batched IO when available), native, or dgram; BOND_IO_BACKEND overrides',
    apply: (raw, into) => {
      into.ioBackend = oneOf('io-backend', raw.trim(), ['auto', 'native', 'dgram']);
    },
  },
};

/** Applies `name = raw` from a source; throws `SettingError` for unknown names or bad values. */
export function applySetting(name: string, raw: string, into: PartialSettings): void {
  const definition = SETTINGS[name];
  if (definition === undefined) {
    throw new SettingError(
      `unknown setting "${name}" (known: ${Object.keys(SETTINGS).join(', ')})`,
    );
  }
  definition.apply(raw, into);
}

/** Whether setting `name` may be given more than once. */
export function isMultiple(name: string): boolean {
  return SETTINGS[name]?.multiple === true;
}

/** Layers `sources` (later wins) over the defaults; requires the four srtla_send arguments. */
export function resolveSettings(...sources: PartialSettings[]): SenderSettings {
  const merged: PartialSettings = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) Object.assign(merged, { [key]: value });
    }
  }
  const { srtListenPort, srtlaHost, srtlaPort, ipsFile } = merged;
  if (
    srtListenPort === undefined ||
    srtlaHost === undefined ||
    srtlaPort === undefined ||
    ipsFile === undefined
  ) {
    const missing = [
      srtListenPort === undefined ? 'SRT listen port (--srt_listen_port)' : undefined,
      srtlaHost === undefined ? 'SRTLA host (--srtla_host)' : undefined,
      srtlaPort === undefined ? 'SRTLA port (--srtla_port)' : undefined,
      ipsFile === undefined ? 'uplink file (--ips_file)' : undefined,
    ].filter((item) => item !== undefined);
    throw new SettingError(
      `missing ${missing.join(', ')}: run bond-sender SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE (see --help)`,
    );
  }
  return { ...DEFAULT_SETTINGS, ...merged, srtListenPort, srtlaHost, srtlaPort, ipsFile };
}
