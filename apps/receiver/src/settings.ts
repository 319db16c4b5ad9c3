/**
 * bond-receiver's settings: one table of named settings, read from the command line (`--name
 * VALUE`) and from the config file (`{ "name": VALUE }`) with the same names and the same parsers,
 * so the two can never disagree. Precedence: defaults < config file < command line.
 */
import { checkReorder, type ReorderSetting } from '@bond/runtime';
import { BondError } from '@bond/wire';

import type { LogFormat, LogLevel } from '@bond/runtime';

export type { LogFormat, LogLevel };
export type IoBackendChoice = 'auto' | 'native' | 'dgram';

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

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
  readonly reorder: ReorderSetting;
  /** Where the HTTP server listens; undefined: no HTTP server. */
  readonly http: HttpAddress | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly ioBackend: IoBackendChoice;
  /** The config file these settings were read from, if any. */
  readonly configFile: string | undefined;
  /** How often an SRT listener that did not answer is probed again, ms. */
  readonly probeIntervalMs: number;
}

/** A setting's value was invalid; the message names the setting and what is allowed. */
export class SettingError extends BondError {
  static readonly code = 'BOND_ERR_SETTING';
  constructor(message: string) {
    super(SettingError.code, message);
  }
}

export const DEFAULT_SETTINGS = {
  listen: '::',
  // protocol.md 4.3: bond's receiver defaults.
  maxGroups: 200,
  maxLinksPerGroup: 16,
  linkTimeoutMs: 15_000,
  groupTimeoutMs: 30_000,
  pendingGroupTimeoutMs: 5000,
  // auto: SRT listeners NAK every reordering between links; holding for the measured skew cuts
  // those spurious retransmissions (tooling/stand tests, docs/performance.md section 4).
  reorder: 'auto',
  http: undefined,
  logLevel: 'info',
  logFormat: 'auto',
  ioBackend: 'auto',
  configFile: undefined,
  probeIntervalMs: 5000,
} as const satisfies Partial<ReceiverSettings>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type PartialSettings = Partial<Mutable<ReceiverSettings>>;

/** One named setting: how it reads from text and what it sets. */
interface SettingDefinition {
  readonly help: string;
  readonly value: string;
  /** Parses the text form (command line) or a config value (number, string or boolean). */
  readonly apply: (raw: string, into: PartialSettings) => void;
  /** Can change on SIGHUP without a restart (run.ts applies it to the running receiver). */
  readonly reloadable?: boolean;
}

function port(name: string, raw: string, allowZero = false): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < (allowZero ? 0 : 1) || value > 65535) {
    throw new SettingError(`${name} must be a UDP port number 1..65535, got "${raw}"`);
  }
  return value;
}

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

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new SettingError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
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

/** `ADDR:PORT`, `[IPV6]:PORT` or `:PORT` (every address). */
export function parseHttpAddress(raw: string): HttpAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d+)$/.exec(raw.trim());
  if (match === null) {
    throw new SettingError(
      `http must be ADDR:PORT, [IPV6]:PORT or :PORT (for example 127.0.0.1:8080), got "${raw}"`,
    );
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '::' : host, port: port('http port', match[3] ?? '') };
}

/** The settings every source can set, by name. */
export const SETTINGS: Readonly<Record<string, SettingDefinition>> = {
  srtla_port: {
    value: 'PORT',
    help: 'UDP port SRTLA senders connect to (as srtla_rec SRTLA_LISTEN_PORT)',
    apply: (raw, into) => {
      into.srtlaPort = port('srtla_port', raw);
    },
  },
  srt_hostname: {
    value: 'HOST',
    help: 'SRT listener to forward to: a host name, IPv4 or IPv6 address',
    reloadable: true,
    apply: (raw, into) => {
      if (raw.trim() === '') throw new SettingError('srt_hostname must not be empty');
      into.srtHost = raw.trim();
    },
  },
  srt_port: {
    value: 'PORT',
    help: "the SRT listener's UDP port",
    reloadable: true,
    apply: (raw, into) => {
      into.srtPort = port('srt_port', raw);
    },
  },
  listen: {
    value: 'ADDR',
    help: `local address to listen on (default ${DEFAULT_SETTINGS.listen}, which takes IPv4 and IPv6; 0.0.0.0: IPv4 only)`,
    apply: (raw, into) => {
      into.listen = raw.trim();
    },
  },
  'max-groups': {
    value: 'N',
    help: `groups (senders) at once, pending ones included (default ${DEFAULT_SETTINGS.maxGroups})`,
    reloadable: true,
    apply: (raw, into) => {
      into.maxGroups = count('max-groups', raw);
    },
  },
  'max-links': {
    value: 'N',
    help: `links per group (default ${DEFAULT_SETTINGS.maxLinksPerGroup})`,
    reloadable: true,
    apply: (raw, into) => {
      into.maxLinksPerGroup = count('max-links', raw);
    },
  },
  'link-timeout': {
    value: 'SECONDS',
    help: `a silent link is dropped after this long (default ${DEFAULT_SETTINGS.linkTimeoutMs / 1000})`,
    reloadable: true,
    apply: (raw, into) => {
      into.linkTimeoutMs = seconds('link-timeout', raw);
    },
  },
  'group-timeout': {
    value: 'SECONDS',
    help: `a group with no activity is dropped after this long (default ${DEFAULT_SETTINGS.groupTimeoutMs / 1000})`,
    reloadable: true,
    apply: (raw, into) => {
      into.groupTimeoutMs = seconds('group-timeout', raw);
    },
  },
  'pending-timeout': {
    value: 'SECONDS',
    help: `a group that never carried data is dropped after this long (default ${DEFAULT_SETTINGS.pendingGroupTimeoutMs / 1000})`,
    reloadable: true,
    apply: (raw, into) => {
      into.pendingGroupTimeoutMs = seconds('pending-timeout', raw);
    },
  },
  reorder: {
    value: 'off|auto|MS',
    help: 'put SRT back in order before the listener: auto (default: hold for the measured delay skew between links), off (pass-through, as srtla_rec), or a fixed hold in ms',
    reloadable: true,
    apply: (raw, into) => {
      into.reorder = parseReorder(raw.trim());
    },
  },
  http: {
    value: 'ADDR:PORT',
    help: 'serve /metrics, /api/v1/stats and the dashboard here (off unless given)',
    apply: (raw, into) => {
      into.http = parseHttpAddress(raw);
    },
  },
  'log-level': {
    value: 'LEVEL',
    help: 'debug, info (default), warn, error or silent',
    reloadable: true,
    apply: (raw, into) => {
      into.logLevel = oneOf('log-level', raw.trim(), ['debug', 'info', 'warn', 'error', 'silent']);
    },
  },
  'log-format': {
    value: 'FORMAT',
    help: 'json, text, or auto (default: text on a terminal, JSON lines otherwise)',
    reloadable: true,
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

/** Whether setting `name` may change on reload without a restart. */
export function isReloadable(name: string): boolean {
  return SETTINGS[name]?.reloadable === true;
}

/** Layers `sources` (later wins) over the defaults; requires the SRTLA port and SRT listener. */
export function resolveSettings(...sources: PartialSettings[]): ReceiverSettings {
  const merged: PartialSettings = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) Object.assign(merged, { [key]: value });
    }
  }
  const { srtlaPort, srtHost, srtPort } = merged;
  if (srtlaPort === undefined || srtHost === undefined || srtPort === undefined) {
    const missing = [
      srtlaPort === undefined ? 'SRTLA listen port (--srtla_port)' : undefined,
      srtHost === undefined ? 'SRT host (--srt_hostname)' : undefined,
      srtPort === undefined ? 'SRT port (--srt_port)' : undefined,
    ].filter((item) => item !== undefined);
    throw new SettingError(
      `missing ${missing.join(', ')}: run bond-receiver SRTLA_LISTEN_PORT SRT_HOST SRT_PORT (see --help)`,
    );
  }
  return {
    ...DEFAULT_SETTINGS,
    ...merged,
    srtlaPort,
    srtHost,
    srtPort,
  };
}
