// The command line and the config file: srtla_rec's and the C++ receivers' argument forms, bond's
// own options, defaults, and the messages for what is wrong.
import { describe, expect, it } from 'vitest';
import {
  ConfigFileError,
  DEFAULT_SETTINGS,
  UsageError,
  helpText,
  parseCommandLine,
  parseConfigText,
  resolveSettings,
  type Command,
} from '../src/index.js';

function settingsOf(command: Command) {
  if (command.kind !== 'run' && command.kind !== 'doctor') throw new Error(`got ${command.kind}`);
  return command.settings;
}

describe('bond-receiver command line', () => {
  it('takes srtla_rec positional arguments and fills in the defaults', () => {
    const settings = resolveSettings(settingsOf(parseCommandLine(['5000', 'srt.example', '4001'])));
    expect(settings).toMatchObject({
      srtlaPort: 5000,
      srtHost: 'srt.example',
      srtPort: 4001,
      listen: '::',
      maxGroups: 200,
      maxLinksPerGroup: 16,
      linkTimeoutMs: 15_000,
      groupTimeoutMs: 30_000,
      pendingGroupTimeoutMs: 5000,
      reorder: 'auto',
      http: undefined,
      logLevel: 'info',
    });
  });

  it("takes the C++ receivers' named arguments and bond's own options", () => {
    const command = parseCommandLine([
      '--srtla_port=5001',
      '--srt_hostname',
      '::1',
      '--srt_port',
      '4002',
      '--listen',
      '0.0.0.0',
      '--max-groups',
      '10',
      '--max-links',
      '4',
      '--link-timeout',
      '2.5',
      '--reorder',
      '250',
      '--http',
      '[::1]:8080',
      '--log-level',
      'debug',
      '--log-format',
      'text',
    ]);
    expect(command.kind).toBe('run');
    expect(resolveSettings(settingsOf(command))).toMatchObject({
      srtlaPort: 5001,
      srtHost: '::1',
      srtPort: 4002,
      listen: '0.0.0.0',
      maxGroups: 10,
      maxLinksPerGroup: 4,
      linkTimeoutMs: 2500,
      reorder: { fixedMs: 250 },
      http: { host: '::1', port: 8080 },
      logLevel: 'debug',
      logFormat: 'text',
    });
    expect(settingsOf(parseCommandLine(['--reorder', 'auto', '1', 'h', '2'])).reorder).toBe('auto');
    // `:PORT` is every address (the container's --http :8080); a port alone this machine only.
    expect(settingsOf(parseCommandLine(['--http', ':9000', '1', 'h', '2'])).http).toEqual({
      host: '::',
      port: 9000,
    });
    expect(settingsOf(parseCommandLine(['--http', '9000', '1', 'h', '2'])).http).toEqual({
      host: '127.0.0.1',
      port: 9000,
    });
  });

  it.each([
    [['5000', 'host'], /three arguments/],
    [['70000', 'host', '4001'], /srtla_port must be a UDP port/],
    [['5000', 'host', '4001', '--max-links', '0'], /max-links must be a whole number/],
    [['5000', 'host', '4001', '--reorder', 'sometimes'], /reorder must be off, auto/],
    [['5000', 'host', '4001', '--reorder', '99999'], /fixedMs <= 10000/],
    [
      ['5000', 'host', '4001', '--http', 'localhost'],
      /http must be PORT \(this machine only\), ADDR:PORT/,
    ],
    [['5000', 'host', '4001', '--http-token', 'short'], /http-token must be 16 to 256 characters/],
    [['5000', 'host', '4001', '--log-level', 'loud'], /log-level must be one of/],
    [['5000', 'host', '4001', '--no-such-option'], /Unknown option/],
    [['5000', 'host', '4001', '--link-timeout', '0'], /link-timeout must be a number of seconds/],
  ])('refuses %j with a message saying what is wrong', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it("takes irlserver srtla_rec's defaults when nothing names the ports (5000 -> 127.0.0.1:4001)", () => {
    const settings = resolveSettings(settingsOf(parseCommandLine([])));
    expect(settings).toMatchObject({
      srtlaPort: 5000,
      srtHost: '127.0.0.1',
      srtPort: 4001,
      logLevel: 'info',
    });
  });

  it("takes irlserver srtla_rec's full command line, as --k v and --k=v", () => {
    const spaced = resolveSettings(
      settingsOf(
        parseCommandLine([
          '--srtla_port',
          '5001',
          '--srt_hostname',
          'srt.example',
          '--srt_port',
          '4002',
          '--log_level',
          'trace',
        ]),
      ),
    );
    const equals = resolveSettings(
      settingsOf(
        parseCommandLine([
          '--srtla_port=5001',
          '--srt_hostname=srt.example',
          '--srt_port=4002',
          '--log_level=trace',
        ]),
      ),
    );
    expect(spaced).toMatchObject({
      srtlaPort: 5001,
      srtHost: 'srt.example',
      srtPort: 4002,
      logLevel: 'debug',
    });
    expect(equals).toEqual(spaced);
    // One option left out keeps its irlserver default.
    expect(resolveSettings(settingsOf(parseCommandLine(['--srt_port=4100'])))).toMatchObject({
      srtlaPort: 5000,
      srtHost: '127.0.0.1',
      srtPort: 4100,
    });
  });

  it("maps irlserver's log levels onto bond's and names them when one is wrong", () => {
    const level = (name: string) =>
      resolveSettings(settingsOf(parseCommandLine(['--log_level', name]))).logLevel;
    expect(['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'].map(level)).toEqual([
      'debug',
      'debug',
      'info',
      'warn',
      'error',
      'error',
      'silent',
    ]);
    expect(() => parseCommandLine(['--log_level', 'loud'])).toThrow(UsageError);
    expect(() => parseCommandLine(['--log_level', 'loud'])).toThrow(
      'log_level must be one of trace, debug, info, warn, error, critical or off, got "loud"',
    );
  });

  it('knows --help, --version and --doctor', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-v'])).toEqual({ kind: 'version' });
    expect(parseCommandLine(['--doctor', '1', 'h', '2']).kind).toBe('doctor');
    const help = helpText();
    for (const option of [
      '--srtla_port',
      '--reorder off|auto|MS',
      '--http',
      '--config',
      '--doctor',
      'SIGHUP',
    ]) {
      expect(help).toContain(option);
    }
  });
});

describe('config file', () => {
  it('uses the option names as keys; the command line wins', () => {
    const file = parseConfigText(
      'receiver.json',
      JSON.stringify({
        srtla_port: 5000,
        srt_hostname: '10.0.0.1',
        srt_port: 4001,
        'max-groups': 20,
        reorder: 'auto',
      }),
    );
    expect(file.names).toEqual(['srtla_port', 'srt_hostname', 'srt_port', 'max-groups', 'reorder']);
    const settings = resolveSettings(
      file.settings,
      settingsOf(parseCommandLine(['--max-groups', '30'])),
    );
    expect(settings).toMatchObject({ srtlaPort: 5000, maxGroups: 30, reorder: 'auto' });
    expect(settings.maxLinksPerGroup).toBe(DEFAULT_SETTINGS.maxLinksPerGroup);
  });

  it.each([
    ['{ not json', /not valid JSON/],
    ['[1, 2]', /one JSON object/],
    ['{"max_groups": 3}', /unknown setting "max_groups"/],
    ['{"srt_port": "high"}', /srt_port must be a UDP port/],
    ['{"reorder": true}', /"reorder" must be a string or a number/],
  ])('refuses %s', (text, message) => {
    expect(() => parseConfigText('bad.json', text)).toThrow(ConfigFileError);
    expect(() => parseConfigText('bad.json', text)).toThrow(message);
  });
});
