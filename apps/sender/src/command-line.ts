/**
 * bond-sender's command line: srtla_send's positional form (`SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT
 * BIND_IPS_FILE`), the same four as named options, and bond's own options (see {@link SETTINGS}),
 * parsed with `node:util.parseArgs`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BondError } from '@bond/wire';
import {
  DEFAULT_SETTINGS,
  SETTINGS,
  SettingError,
  applySetting,
  type PartialSettings,
} from './settings.js';

/** The command line could not be understood; the message says what to change. */
export class UsageError extends BondError {
  static readonly code = 'BOND_ERR_USAGE';
  constructor(message: string) {
    super(UsageError.code, `${message} (see bond-sender --help)`);
  }
}

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run' | 'doctor';
      /** What the command line set (the config file and defaults fill the rest). */
      readonly settings: PartialSettings;
      readonly configFile: string | undefined;
    };

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  doctor: { type: 'boolean' },
  config: { type: 'string' },
} as const;

const POSITIONAL_NAMES = ['srt_listen_port', 'srtla_host', 'srtla_port', 'ips_file'] as const;

export function parseCommandLine(argv: readonly string[]): Command {
  const options: NonNullable<ParseArgsConfig['options']> = { ...FLAGS };
  for (const [name, definition] of Object.entries(SETTINGS)) {
    options[name] = { type: 'string', multiple: definition.multiple === true };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const settings: PartialSettings = {};
  try {
    if (positionals.length === POSITIONAL_NAMES.length) {
      POSITIONAL_NAMES.forEach((name, index) => {
        applySetting(name, positionals[index] ?? '', settings);
      });
    } else if (positionals.length !== 0) {
      throw new UsageError(
        `expected SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE (four arguments), got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    for (const name of Object.keys(SETTINGS)) {
      const value = values[name];
      const each = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
      for (const raw of each) {
        if (typeof raw === 'string') applySetting(name, raw, settings);
      }
    }
  } catch (error) {
    if (error instanceof SettingError) throw new UsageError(error.message);
    throw error;
  }
  const configFile = typeof values.config === 'string' ? values.config : undefined;
  return { kind: values.doctor === true ? 'doctor' : 'run', settings, configFile };
}

/** The `--help` text. */
export function helpText(): string {
  const width = 30;
  const lines = [
    'bond-sender: the field side of bond. Takes the SRT stream an encoder sends to a local UDP port',
    'and spreads it over every uplink (cellular, Wi-Fi, Ethernet) to an SRTLA receiver.',
    '',
    'Usage:',
    '  bond-sender SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE [options]   (as srtla_send)',
    '  bond-sender --srt_listen_port PORT --srtla_host HOST --srtla_port PORT --ips_file FILE [options]',
    '  bond-sender --config FILE [options]',
    '  bond-sender --doctor [options]',
    '',
    'Options:',
  ];
  for (const [name, definition] of Object.entries(SETTINGS)) {
    lines.push(`  ${`--${name} ${definition.value}`.padEnd(width)}${definition.help}`);
  }
  lines.push(
    `  ${'--config FILE'.padEnd(width)}JSON object of these settings by option name; command-line options win;`,
    `  ${''.padEnd(width)}SIGHUP re-reads its log level and format (the rest needs a restart)`,
    `  ${'--doctor'.padEnd(width)}print what this machine offers (IO backend, IPv6, each uplink address,`,
    `  ${''.padEnd(width)}the receiver's name) and exit`,
    `  ${'-h, --help'.padEnd(width)}this text`,
    `  ${'-v, --version'.padEnd(width)}the version`,
    '',
    'Uplink file (BIND_IPS_FILE): one source address per line, IPv4 or IPv6, each link socket binds it;',
    'optional fields name=NAME, priority=PERCENT (0..100, default 100; 0 carries no data) and',
    'kind=cellular|wifi|ethernet|other; # starts a comment; blank lines are skipped:',
    '',
    '    192.168.1.10',
    '    10.0.0.2  name=wwan0 priority=50 kind=cellular',
    '    2001:db8::7  name=starlink   # IPv6',
    '',
    'Invalid lines are logged with file:line and skipped. The file is re-read on SIGHUP and when it',
    'changes: links whose address stays keep running (priority changes apply at once), removed ones',
    'close, new ones open. A file with no valid address is refused (at start: exit 2; on reload: the',
    'running links stay).',
    '',
    'All links down is reported and waited out, never a reason to exit.',
    `On a terminal, a live status view refreshes every ${DEFAULT_SETTINGS.statsIntervalMs / 1000} s; otherwise a status log line every ${DEFAULT_SETTINGS.statusIntervalMs / 1000} s.`,
    'Signals: SIGTERM and SIGINT close every socket and exit; SIGHUP reloads the uplink file (and --config).',
    'HTTP (--http ADDR:PORT): GET /metrics (Prometheus), /api/v1/stats (the --stats-json document),',
    '/api/v1/events (server-sent events, one snapshot a second) and / (the live page: per-link rate,',
    'share, RTT, queueing delay and state; no network beyond this server). Read-only; off by default.',
    'Environment: BOND_IO_BACKEND=auto|native|dgram overrides --io-backend.',
  );
  return `${lines.join('\n')}\n`;
}
