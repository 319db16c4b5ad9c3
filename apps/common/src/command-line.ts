/**
 * An app's command line over its {@link SettingsTable}, parsed with `node:util.parseArgs`: every
 * setting as `--name VALUE` (repeatable ones more than once), the app's positional form (a fixed
 * list of setting names), and `-h/--help`, `-v/--version`, `--doctor`, `--config FILE`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BondError } from '@bond/wire';
import {
  SettingError,
  applySetting,
  type SettingsDraft,
  type SettingsTable,
} from './settings-table.js';

/** The command line could not be understood; the message says what to change. */
export class UsageError extends BondError {
  static readonly code = 'BOND_ERR_USAGE';
  /** `program` names the executable in the message's `(see PROGRAM --help)`. */
  constructor(program: string, message: string) {
    super(UsageError.code, `${message} (see ${program} --help)`);
  }
}

/** `run` or `--doctor`: what the command line set (the config file and defaults fill the rest). */
export interface SettingsCommandOf<S, Kind extends 'run' | 'doctor'> {
  readonly kind: Kind;
  readonly settings: SettingsDraft<S>;
  readonly configFile: string | undefined;
}

export type SettingsCommand<S> =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | SettingsCommandOf<S, 'run'>
  | SettingsCommandOf<S, 'doctor'>;

export interface CommandLineSpec<S> {
  /** The executable, for usage errors. */
  readonly program: string;
  readonly table: SettingsTable<S>;
  /** The setting names the positional arguments give, in order; all or none must be given. */
  readonly positionals: readonly string[];
  /** What the positional form takes, for its usage error (`A B C (three arguments)`). */
  readonly positionalForm: string;
}

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  doctor: { type: 'boolean' },
  config: { type: 'string' },
} as const;

/** Parses `argv`; throws {@link UsageError} for anything it does not take, bad values included. */
export function parseSettingsCommandLine<S>(
  spec: CommandLineSpec<S>,
  argv: readonly string[],
): SettingsCommand<S> {
  const options: NonNullable<ParseArgsConfig['options']> = { ...FLAGS };
  for (const [name, definition] of Object.entries(spec.table)) {
    options[name] = { type: 'string', multiple: definition.multiple === true };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(spec.program, error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const settings: SettingsDraft<S> = {};
  try {
    if (positionals.length === spec.positionals.length) {
      spec.positionals.forEach((name, index) => {
        applySetting(spec.table, name, positionals[index] ?? '', settings);
      });
    } else if (positionals.length !== 0) {
      throw new UsageError(
        spec.program,
        `expected ${spec.positionalForm}, got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    for (const name of Object.keys(spec.table)) {
      const value = values[name];
      const each = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
      for (const raw of each) {
        if (typeof raw === 'string') applySetting(spec.table, name, raw, settings);
      }
    }
  } catch (error) {
    if (error instanceof SettingError) throw new UsageError(spec.program, error.message);
    throw error;
  }
  const configFile = typeof values.config === 'string' ? values.config : undefined;
  return { kind: values.doctor === true ? 'doctor' : 'run', settings, configFile };
}

// 30: the option column of both apps' --help.
const OPTION_WIDTH = 30;

/** One `--help` option line: `left` in the option column, then `text`. */
export function helpLine(left: string, text: string): string {
  return `  ${left.padEnd(OPTION_WIDTH)}${text}`;
}

/** The `--help` lines of every setting in `table`, in table order. */
export function settingHelpLines<S>(table: SettingsTable<S>): string[] {
  return Object.entries(table).map(([name, definition]) =>
    helpLine(`--${name} ${definition.value}`, definition.help),
  );
}
