// The command line: srtla_send's positional form, the named form, defaults, repeatable link
// options, and usage errors whose messages say what to change.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  SettingError,
  UsageError,
  helpText,
  parseCommandLine,
  parseConfigText,
  resolveSettings,
  ConfigFileError,
} from '../src/index.js';

function runSettings(argv: string[]) {
  const command = parseCommandLine(argv);
  if (command.kind !== 'run') throw new Error(`expected a run command, got ${command.kind}`);
  return command;
}

describe('parseCommandLine', () => {
  it('reads srtla_send positional arguments and fills the defaults', () => {
    const command = runSettings(['6000', 'srtla.example', '5000', '/etc/bond/uplinks']);
    const settings = resolveSettings(command.settings);
    expect(settings).toMatchObject({
      srtListenPort: 6000,
      srtlaHost: 'srtla.example',
      srtlaPort: 5000,
      ipsFile: '/etc/bond/uplinks',
      listen: '127.0.0.1',
      scheduler: 'adaptive',
      statsJson: undefined,
      logLevel: 'info',
      logFormat: 'auto',
      statsIntervalMs: DEFAULT_SETTINGS.statsIntervalMs,
    });
    expect(command.configFile).toBeUndefined();
  });

  it('reads the named form and bond options, repeatable ones included', () => {
    const command = runSettings([
      '--srt_listen_port=6001',
      '--srtla_host',
      '::1',
      '--srtla_port',
      '5001',
      '--ips_file',
      'ips.txt',
      '--scheduler',
      'classic',
      '--link-priority',
      'wifi=50',
      '--link-priority',
      '10.0.0.2=0',
      '--link-name',
      '10.0.0.2=wwan0',
      '--stats-json',
      '-',
      '--log-level',
      'debug',
      '--log-format',
      'json',
      '--config',
      'sender.json',
    ]);
    expect(command.configFile).toBe('sender.json');
    expect(resolveSettings(command.settings)).toMatchObject({
      srtListenPort: 6001,
      srtlaHost: '::1',
      srtlaPort: 5001,
      ipsFile: 'ips.txt',
      scheduler: 'classic',
      linkPriorities: [
        { link: 'wifi', priority: 50 },
        { link: '10.0.0.2', priority: 0 },
      ],
      linkNames: [{ address: '10.0.0.2', name: 'wwan0' }],
      statsJson: '-',
      logLevel: 'debug',
      logFormat: 'json',
    });
  });

  it('reads --http in every accepted form; no HTTP server by default', () => {
    const positional = ['6000', 'srtla.example', '5000', 'ips'];
    const http = (value: string) =>
      resolveSettings(runSettings([...positional, '--http', value]).settings).http;
    expect(resolveSettings(runSettings(positional).settings).http).toBeUndefined();
    expect(http('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(http('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(http(':9000')).toEqual({ host: '::', port: 9000 });
    expect(http('localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
  });

  it('answers --help, --version and --doctor', () => {
    expect(parseCommandLine(['--help']).kind).toBe('help');
    expect(parseCommandLine(['-v']).kind).toBe('version');
    expect(parseCommandLine(['--doctor']).kind).toBe('doctor');
    const help = helpText();
    expect(help).toContain('bond-sender SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE');
    expect(help).toContain('10.0.0.2  name=wwan0 priority=50 kind=cellular');
    expect(help).toContain('--scheduler NAME');
    expect(help).toMatch(/--http ADDR:PORT +serve the dashboard \/, \/metrics, \/api\/v1\/stats/);
    expect(help).toMatch(/--http-token TOKEN +ask for this secret/);
    expect(help).not.toContain('not available');
  });

  it.each([
    [['6000', 'host', '5000'], /expected SRT_LISTEN_PORT SRTLA_HOST SRTLA_PORT BIND_IPS_FILE/],
    [['0', 'host', '5000', 'f'], /srt_listen_port must be a UDP port number 1\.\.65535, got "0"/],
    [['6000', 'host', '70000', 'f'], /srtla_port must be a UDP port number/],
    [['--scheduler', 'fastest'], /scheduler must be one of adaptive, classic, got "fastest"/],
    [['--link-priority', 'wifi'], /link-priority must be NAME=PERCENT/],
    [['--link-priority', 'wifi=150'], /link-priority must be a percentage from 0/],
    [['--link-name', 'wwan0=x'], /link-name must start with an IP address/],
    [['--listen', 'localhost'], /listen must be an IPv4 or IPv6 address/],
    [['--bogus'], /Unknown option '--bogus'/],
    [
      ['--http', 'localhost'],
      /http must be PORT \(this machine only\), ADDR:PORT, \[IPV6\]:PORT or :PORT/,
    ],
    [['--http', '::1:8080'], /http must be PORT \(this machine only\), ADDR:PORT/],
    [['--http-token', 'too-short'], /http-token must be 16 to 256 characters long, got 9/],
    [['--http', '127.0.0.1:0'], /http port must be 1\.\.65535, got "0"/],
    [['--http', '[10.0.0.1]:80'], /"\[10\.0\.0\.1\]" is not an IPv6 address/],
    [['--http', 'my host:80'], /"my host" is neither an IP address nor a host name/],
  ])('refuses %j with a message', (argv, message) => {
    let caught: unknown;
    try {
      parseCommandLine(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).code).toBe('BOND_ERR_USAGE');
    expect((caught as UsageError).message).toMatch(message);
    expect((caught as UsageError).message).toContain('see bond-sender --help');
  });

  it('names every missing argument', () => {
    const command = runSettings(['--srtla_host', 'h']);
    expect(() => resolveSettings(command.settings)).toThrow(SettingError);
    expect(() => resolveSettings(command.settings)).toThrow(
      /missing SRT listen port \(--srt_listen_port\), SRTLA port \(--srtla_port\), uplink file \(--ips_file\)/,
    );
  });
});

describe('config file', () => {
  it('reads settings by option name, arrays for repeatable ones; the command line wins', () => {
    const fromFile = parseConfigText(
      'sender.json',
      JSON.stringify({
        srt_listen_port: 6000,
        srtla_host: 'a',
        srtla_port: 5000,
        ips_file: 'ips',
        'link-priority': ['wifi=20', 'lte=80'],
        scheduler: 'classic',
        http: '127.0.0.1:8080',
      }),
    );
    const settings = resolveSettings(fromFile, runSettings(['--scheduler', 'adaptive']).settings);
    expect(settings.scheduler).toBe('adaptive');
    expect(settings.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(resolveSettings(fromFile, runSettings(['--http', ':9100']).settings).http).toEqual({
      host: '::',
      port: 9100,
    });
    expect(settings.linkPriorities).toEqual([
      { link: 'wifi', priority: 20 },
      { link: 'lte', priority: 80 },
    ]);
  });

  it('refuses an invalid file whole', () => {
    expect(() => parseConfigText('s.json', '{')).toThrow(ConfigFileError);
    expect(() => parseConfigText('s.json', '{"scheduler":"x"}')).toThrow(
      /config file s\.json: scheduler must be one of/,
    );
    expect(() => parseConfigText('s.json', '{"nope":1}')).toThrow(/unknown setting "nope"/);
    expect(() => parseConfigText('s.json', '{"http":"localhost"}')).toThrow(
      /config file s\.json: http must be PORT \(this machine only\), ADDR:PORT/,
    );
    expect(() => parseConfigText('s.json', '{"http-token":"short"}')).toThrow(
      /config file s\.json: http-token must be 16 to 256 characters long/,
    );
  });
});
