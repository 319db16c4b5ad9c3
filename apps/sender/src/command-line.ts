/**
 * bond-sender's command line: srtla_send's positional form (`SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT
 * BIND_IPS_FILE`), the same four as named options, and bond's own options (see {@link SETTINGS}),
 * parsed by `@bond/app-common`'s `parseSettingsCommandLine`.
 */
import {
  UsageError,
  helpLine,
  parseSettingsCommandLine,
  settingHelpLines,
  type SettingsCommand,
} from '@bond/app-common';
import { DEFAULT_SETTINGS, SETTINGS, type SenderSettings } from './settings.js';

export { UsageError };

export type Command = SettingsCommand<SenderSettings>;

export function parseCommandLine(argv: readonly string[]): Command {
  return parseSettingsCommandLine(
    {
      program: 'bond-sender',
      table: SETTINGS,
      positionals: ['srt_listen_port', 'srtla_host', 'srtla_port', 'ips_file'],
      positionalForm: 'SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE (four arguments)',
    },
    argv,
  );
}

/** The `--help` text. */
export function helpText(): string {
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
    ...settingHelpLines(SETTINGS),
    helpLine(
      '--config FILE',
      'JSON object of these settings by option name; command-line options win;',
    ),
    helpLine('', 'SIGHUP re-reads its log level and format (the rest needs a restart)'),
    helpLine('--doctor', 'print what this machine offers (IO backend, IPv6, each uplink address,'),
    helpLine('', "the receiver's name) and exit"),
    helpLine('-h, --help', 'this text'),
    helpLine('-v, --version', 'the version'),
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
  ];
  return `${lines.join('\n')}\n`;
}
