// The command line over a settings table: options and the positional form set the same fields,
// repeatable options add up, the built-in flags, and usage errors that name the program.
import { describe, expect, it } from 'vitest';
import {
  UsageError,
  helpLine,
  parseSettingsCommandLine,
  settingHelpLines,
  type CommandLineSpec,
  type SettingsCommand,
} from '../src/index.js';
import { DEMO_SETTINGS, type DemoSettings } from './settings-fixture.js';

const SPEC: CommandLineSpec<DemoSettings> = {
  program: 'demo',
  table: DEMO_SETTINGS,
  positionals: ['port', 'host'],
  positionalForm: 'PORT HOST (two arguments)',
};

const parse = (argv: readonly string[]) => parseSettingsCommandLine(SPEC, argv);

function settingsOf(command: SettingsCommand<DemoSettings>) {
  if (command.kind !== 'run' && command.kind !== 'doctor') throw new Error(`got ${command.kind}`);
  return command;
}

function usageError(argv: readonly string[]): UsageError {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
}

describe('parseSettingsCommandLine', () => {
  it('reads the positional form and the named form into the same fields', () => {
    expect(settingsOf(parse(['5000', 'h'])).settings).toEqual({ port: 5000, host: 'h' });
    expect(settingsOf(parse(['--port=5000', '--host', 'h'])).settings).toEqual({
      port: 5000,
      host: 'h',
    });
  });

  it('adds up a repeatable option in order, and takes --config and --doctor', () => {
    const command = settingsOf(
      parse(['--tag', 'a', '--tag', 'b', '--config', 'f.json', '--doctor']),
    );
    expect(command).toEqual({
      kind: 'doctor',
      settings: { tags: ['a', 'b'] },
      configFile: 'f.json',
    });
    expect(settingsOf(parse([])).configFile).toBeUndefined();
    expect(parse([]).kind).toBe('run');
  });

  it('answers help and version before reading anything else', () => {
    expect(parse(['--help', '--port', 'bad'])).toEqual({ kind: 'help' });
    expect(parse(['-h'])).toEqual({ kind: 'help' });
    expect(parse(['-v', '--port', 'bad'])).toEqual({ kind: 'version' });
  });

  it.each([
    [['--bogus'], /^Unknown option '--bogus'/],
    [['5000'], /^expected PORT HOST \(two arguments\), got 1: 5000 /],
    [['1', '2', '3'], /^expected PORT HOST \(two arguments\), got 3: 1 2 3 /],
    [['0', 'h'], /^port must be a UDP port number 1\.\.65535, got "0" /],
    [['--level', 'mid'], /^level must be one of low, high, got "mid" /],
    [['--port'], /argument missing/],
  ])('refuses %j with a UsageError naming the program', (argv, message) => {
    const error = usageError(argv);
    expect(error.code).toBe('BOND_ERR_USAGE');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/\(see demo --help\)$/);
  });
});

describe('help lines', () => {
  it('puts each setting in table order with its value in a 30-column option column', () => {
    const lines = settingHelpLines(DEMO_SETTINGS);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`  ${'--port PORT'.padEnd(30)}the port`);
    expect(lines[2]).toBe(`  --tag TAG${' '.repeat(21)}a tag (repeatable)`);
    expect(helpLine('', 'more')).toBe(`${' '.repeat(32)}more`);
  });
});
