/**
 * The settings both apps take for what `@bond/runtime` runs them with: the logger's level and
 * format, and the IO backend. One definition each, so both apps' `--help`, parsing and messages
 * agree; each app spreads {@link RUNTIME_SETTINGS} at the end of its table.
 */
import type { LogFormat, LogLevel } from '@bond/runtime';
import { parseOneOf } from './setting-values.js';
import type { SettingsTable } from './settings-table.js';

export type IoBackendChoice = 'auto' | 'native' | 'dgram';

/** The fields {@link RUNTIME_SETTINGS} set. */
export interface RuntimeSettings {
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly ioBackend: IoBackendChoice;
}

/**
 * `log-level`, `log-format` (both reloadable: the logger is reconfigured on SIGHUP) and
 * `io-backend` (needs a restart: sockets are opened once).
 */
export const RUNTIME_SETTINGS: SettingsTable<RuntimeSettings> = {
  'log-level': {
    field: 'logLevel',
    value: 'LEVEL',
    help: 'debug, info (default), warn, error or silent',
    reloadable: true,
    parse: (raw) =>
      parseOneOf('log-level', raw.trim(), ['debug', 'info', 'warn', 'error', 'silent']),
  },
  'log-format': {
    field: 'logFormat',
    value: 'FORMAT',
    help: 'json, text, or auto (default: text on a terminal, JSON lines otherwise)',
    reloadable: true,
    parse: (raw) => parseOneOf('log-format', raw.trim(), ['json', 'text', 'auto']),
  },
  'io-backend': {
    field: 'ioBackend',
    value: 'NAME',
    help: 'auto (default: native batched IO when available), native, or dgram; BOND_IO_BACKEND overrides',
    parse: (raw) => parseOneOf('io-backend', raw.trim(), ['auto', 'native', 'dgram']),
  },
};
