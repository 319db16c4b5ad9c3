/**
 * bond-receiver's command line: srtla_rec's positional form (`SRTLA_LISTEN_PORT SRT_HOST
 * SRT_PORT`), the C++ receivers' `--srtla_port --srt_hostname --srt_port`, and bond's own options
 * (see {@link SETTINGS}), parsed by `@bond/app-common`'s `parseSettingsCommandLine`.
 */
import {
  UsageError,
  helpLine,
  parseSettingsCommandLine,
  settingHelpLines,
  type SettingsCommand,
} from '@bond/app-common';
import { SETTINGS, type ReceiverSettings } from './settings.js';

export { UsageError };

export type Command = SettingsCommand<ReceiverSettings>;

export function parseCommandLine(argv: readonly string[]): Command {
  return parseSettingsCommandLine(
    {
      program: 'bond-receiver',
      table: SETTINGS,
      positionals: ['srtla_port', 'srt_hostname', 'srt_port'],
      positionalForm: 'SRTLA_LISTEN_PORT SRT_HOST SRT_PORT (three arguments)',
    },
    argv,
  );
}

/** The `--help` text. */
export function helpText(): string {
  const lines = [
    'bond-receiver: the server side of bond. Accepts SRTLA senders (bond, BELABOX, Moblin, IRL Pro),',
    "puts each sender's links back into one stream and forwards it to an SRT listener.",
    '',
    'Usage:',
    '  bond-receiver SRTLA_LISTEN_PORT SRT_HOST SRT_PORT [options]        (as srtla_rec)',
    '  bond-receiver [--srtla_port PORT] [--srt_hostname HOST] [--srt_port PORT] [--log_level L]',
    '                                      (as irlserver srtla_rec; --k v or --k=v)',
    '  bond-receiver                       (port 5000, forwarding to 127.0.0.1:4001)',
    '  bond-receiver --config FILE [options]',
    '  bond-receiver --doctor [options]',
    '',
    'Options:',
    ...settingHelpLines(SETTINGS),
    helpLine(
      '--config FILE',
      'JSON object of these settings by option name; command-line options win;',
    ),
    helpLine(
      '',
      'SIGHUP re-reads it: limits, timeouts, reorder and logging apply at once to every',
    ),
    helpLine('', 'group, the SRT listener to new groups; srtla_port, listen, http, stream-label'),
    helpLine('', 'and io-backend need a restart (logged); an invalid file is refused whole'),
    helpLine(
      '--doctor',
      'print what this machine offers (IO backend, IPv6, the SRT listener) and exit',
    ),
    helpLine('-h, --help', 'this text'),
    helpLine('-v, --version', 'the version'),
    '',
    'Signals: SIGTERM and SIGINT close every socket and exit; SIGHUP reloads the config file.',
    'Environment: BOND_IO_BACKEND=auto|native|dgram overrides --io-backend.',
  ];
  return `${lines.join('\n')}\n`;
}
