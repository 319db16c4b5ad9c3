/**
 * The config file (`--config FILE`) over an app's {@link SettingsTable}: one JSON object whose keys
 * are the long option names and whose values are what the option would take (numbers may be JSON
 * numbers; repeatable options also take an array). A file that does not parse, names an unknown
 * setting, or gives a bad value is refused whole.
 */
import { readFile } from 'node:fs/promises';
import { BondError } from '@bond/wire';
import {
  SettingError,
  applySetting,
  isMultiple,
  type SettingsDraft,
  type SettingsTable,
} from './settings-table.js';

/** The config file could not be read or is invalid; the message says where and why. */
export class ConfigFileError extends BondError {
  static readonly code = 'BOND_ERR_CONFIG_FILE';
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(ConfigFileError.code, `config file ${path}: ${reason}`, options);
    this.path = path;
  }
}

export interface ConfigFileSettings<S> {
  readonly settings: SettingsDraft<S>;
  /** The setting names the file set, in file order. */
  readonly names: string[];
}

/** Reads and validates `path`; throws {@link ConfigFileError}. */
export async function loadConfigFile<S>(
  table: SettingsTable<S>,
  path: string,
): Promise<ConfigFileSettings<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigFileError(path, `cannot read it (${reason})`, { cause: error });
  }
  return parseConfigText(table, path, text);
}

/** Validates config `text` read from `path`; throws {@link ConfigFileError}. */
export function parseConfigText<S>(
  table: SettingsTable<S>,
  path: string,
  text: string,
): ConfigFileSettings<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigFileError(path, `not valid JSON (${reason})`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigFileError(path, 'must hold one JSON object of settings');
  }
  const settings: SettingsDraft<S> = {};
  const names: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const multiple = isMultiple(table, name);
    const values: unknown[] = Array.isArray(value) && multiple ? value : [value];
    for (const each of values) {
      if (typeof each !== 'string' && typeof each !== 'number') {
        throw new ConfigFileError(
          path,
          `"${name}" must be a string or a number${multiple ? ' (or an array of strings)' : ''}`,
        );
      }
      try {
        applySetting(table, name, String(each), settings);
      } catch (error) {
        if (error instanceof SettingError) throw new ConfigFileError(path, error.message);
        throw error;
      }
    }
    names.push(name);
  }
  return { settings, names };
}
