/**
 * An app's settings as one table of named settings: each name is a command-line option
 * (`--name VALUE`) and a config-file key (`{ "name": VALUE }`), read by the same parser from text,
 * so the two sources can never disagree. Precedence: defaults < config file < command line.
 *
 * ```ts
 * const SETTINGS: SettingsTable<MySettings> = {
 *   port: { field: 'port', value: 'PORT', help: 'UDP port', parse: (raw) => parsePort('port', raw) },
 * };
 * const draft: SettingsDraft<MySettings> = {};
 * applySetting(SETTINGS, 'port', '5000', draft);
 * const settings = resolveSettings({ defaults, required: { port: 'port (--port)' }, hint }, [draft]);
 * ```
 */
import { BondError } from '@bond/wire';

/** A setting's value was invalid; the message names the setting and what is allowed. */
export class SettingError extends BondError {
  static readonly code = 'BOND_ERR_SETTING';
  constructor(message: string) {
    super(SettingError.code, message);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the sources set so far: any field of `S`, each optional. */
export type SettingsDraft<S> = Partial<Mutable<S>>;

/** One named setting that sets field `K` of the settings `S`. */
export interface FieldSetting<S, K extends keyof S> {
  /** The settings field it sets. */
  readonly field: K;
  /** The value's placeholder in `--help` (`PORT`, `off|auto|MS`). */
  readonly value: string;
  readonly help: string;
  /** May be given more than once (each adds one entry); a config file may give an array. */
  readonly multiple?: boolean;
  /** Can change on reload without a restart ({@link diffSettings} sorts by it). */
  readonly reloadable?: boolean;
  /**
   * Parses the text form (command line, or a config value as a string); `previous` is what an
   * earlier occurrence set (for `multiple`). Must throw {@link SettingError} for a bad value.
   */
  parse(raw: string, previous: S[K] | undefined): S[K];
}

/** A setting of `S` for any one of its fields. */
export type SettingDefinition<S> = { [K in keyof S]-?: FieldSetting<S, K> }[keyof S];

/** The settings an app's sources can set, by name, in `--help` order. */
export type SettingsTable<S> = Readonly<Record<string, SettingDefinition<S>>>;

function applyField<S, K extends keyof S>(
  definition: FieldSetting<S, K>,
  raw: string,
  into: SettingsDraft<S>,
): void {
  const draft = into as Partial<S>;
  draft[definition.field] = definition.parse(raw, draft[definition.field]);
}

/** Applies `name = raw` from a source; throws {@link SettingError} for unknown names or bad values. */
export function applySetting<S>(
  table: SettingsTable<S>,
  name: string,
  raw: string,
  into: SettingsDraft<S>,
): void {
  const definition = table[name];
  if (definition === undefined) {
    throw new SettingError(`unknown setting "${name}" (known: ${Object.keys(table).join(', ')})`);
  }
  applyField<S, keyof S>(definition, raw, into);
}

/** Whether setting `name` may be given more than once. */
export function isMultiple<S>(table: SettingsTable<S>, name: string): boolean {
  return table[name]?.multiple === true;
}

export interface SettingsResolution<S, K extends keyof S> {
  /** Every field but the required ones. */
  readonly defaults: Omit<S, K>;
  /** The fields no default fills, each with how the message names it, in message order. */
  readonly required: Readonly<Record<K, string>>;
  /** Ends the message for missing fields: how to run the app (`run bond-x A B (see --help)`). */
  readonly hint: string;
}

/**
 * Layers `sources` (later wins; undefined values are skipped) over the defaults. Throws
 * {@link SettingError} naming every required field no source set: `missing A, B: <hint>`.
 */
export function resolveSettings<S, K extends keyof S>(
  resolution: SettingsResolution<S, K>,
  sources: readonly SettingsDraft<S>[],
): S {
  const merged: Record<string, unknown> = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  const missing = Object.entries<string>(resolution.required)
    .filter(([key]) => merged[key] === undefined)
    .map(([, label]) => label);
  if (missing.length > 0) {
    throw new SettingError(`missing ${missing.join(', ')}: ${resolution.hint}`);
  }
  // Every required field is set (checked above) and the defaults hold every other one.
  return { ...resolution.defaults, ...merged } as S;
}

/** What a reload changed, by setting name, in table order. */
export interface SettingsDiff {
  /** Changed and reloadable: the caller applies them to the running app. */
  readonly applied: string[];
  /** Changed but not reloadable: they need a restart; the running values stay. */
  readonly needsRestart: string[];
}

/** Compares each table setting's field (as JSON) between `running` and `next`. */
export function diffSettings<S>(table: SettingsTable<S>, running: S, next: S): SettingsDiff {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  // A field two names set (an alias such as irlserver's `log_level` for `log-level`) is reported
  // once, under the first name.
  const seen = new Set<keyof S>();
  for (const [name, definition] of Object.entries(table)) {
    const field = definition.field;
    if (seen.has(field)) continue;
    seen.add(field);
    if (JSON.stringify(next[field]) === JSON.stringify(running[field])) continue;
    (definition.reloadable === true ? applied : needsRestart).push(name);
  }
  return { applied, needsRestart };
}

/**
 * The settings the environment sets: `bindings` maps a variable (`BOND_HTTP_TOKEN`) to the setting
 * it sets (`http-token`), parsed as the command line would; empty variables are skipped. Throws
 * {@link SettingError} naming the variable. It layers between the config file and the command line.
 */
export function settingsFromEnvironment<S>(
  table: SettingsTable<S>,
  bindings: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): SettingsDraft<S> {
  const draft: SettingsDraft<S> = {};
  for (const [variable, name] of Object.entries(bindings)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    try {
      applySetting(table, name, raw, draft);
    } catch (error) {
      if (error instanceof SettingError) {
        throw new SettingError(`environment variable ${variable}: ${error.message}`);
      }
      throw error;
    }
  }
  return draft;
}
