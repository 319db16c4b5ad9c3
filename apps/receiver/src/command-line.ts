/**
 * bond-receiver's command line: srtla_rec's positional form (`SRTLA_LISTEN_PORT SRT_HOST
 * SRT_PORT`), the C++ receivers' `--srtla_port --srt_hostname --srt_port`, and bond's own options
 * (see {@link SETTINGS}), parsed with `node:util.parseArgs`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BondError } from '@bond/wire';
import { SETTINGS, SettingError, applySetting, type PartialSettings } from './settings.js';

/** The command line could not be understood; the message says what to change. */
export class UsageError extends BondError {
  static readonly code = 'BOND_ERR_USAGE';
  constructor(message: string) {
    super(UsageError.code, `${message} (see bond-receiver --help)`);
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

export function parseCommandLine(argv: readonly string[]): Command {
  const options: NonNullable<ParseArgsConfig['options']> = { ...FLAGS };
  for (const name of Object.keys(SETTINGS)) options[name] = { type: 'string' };
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
    if (positionals.length === 3) {
      const [srtlaPort = '', srtHost = '', srtPort = ''] = positionals;
      applySetting('srtla_port', srtlaPort, settings);
      applySetting('srt_hostname', srtHost, settings);
      applySetting('srt_port', srtPort, settings);
    } else if (positionals.length !== 0) {
      throw new UsageError(
        `expected SRTLA_LISTEN_PORT SRT_HOST SRT_PORT (three arguments), got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    for (const name of Object.keys(SETTINGS)) {
      const value = values[name];
      if (typeof value === 'string') applySetting(name, value, settings);
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
  const lines = [
    'bond-receiver: the server side of bond. Accepts SRTLA senders (bond, BELABOX, Moblin, IRL Pro),',
    "puts each sender's links back into one stream and forwards it to an SRT listener.",
    '',
    'Usage:',
    '  bond-receiver SRTLA_LISTEN_PORT SRT_HOST SRT_PORT [options]        (as srtla_rec)',
    '  bond-receiver --srtla_port PORT --srt_hostname HOST --srt_port PORT [options]',
    '  bond-receiver --config FILE [options]',
    '  bond-receiver --doctor [options]',
    '',
    'Options:',
  ];
  const width = 30;
  for (const [name, definition] of Object.entries(SETTINGS)) {
    lines.push(`  ${`--${name} ${definition.value}`.padEnd(width)}${definition.help}`);
  }
  lines.push(
    `  ${'--config FILE'.padEnd(width)}JSON object of these settings by option name; command-line options win;`,
    `  ${''.padEnd(width)}SIGHUP re-reads it: limits, timeouts, reorder and logging apply at once to every`,
    `  ${''.padEnd(width)}group, the SRT listener to new groups; srtla_port, listen, http and io-backend`,
    `  ${''.padEnd(width)}need a restart (logged); an invalid file is refused whole and logged`,
    `  ${'--doctor'.padEnd(width)}print what this machine offers (IO backend, IPv6, the SRT listener) and exit`,
    `  ${'-h, --help'.padEnd(width)}this text`,
    `  ${'-v, --version'.padEnd(width)}the version`,
    '',
    'Signals: SIGTERM and SIGINT close every socket and exit; SIGHUP reloads the config file.',
    'Environment: BOND_IO_BACKEND=auto|native|dgram overrides --io-backend.',
  );
  return `${lines.join('\n')}\n`;
}
