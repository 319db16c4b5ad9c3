/**
 * The config file (`--config FILE`): a JSON object whose keys are the long option names of the
 * command line (`srtla_host`, `scheduler`, `stats-json`, ...) and whose values are what the option
 * would take (numbers may be JSON numbers; repeatable options take an array of strings):
 *
 * ```json
 * { "srt_listen_port": 6000, "srtla_host": "srtla.example", "srtla_port": 5000,
 *   "ips_file": "/etc/bond/uplinks", "link-priority": ["wifi=50"] }
 * ```
 *
 * A file that does not parse, or names an unknown setting, or gives a bad value, is refused whole.
 */
import { readFile } from 'node:fs/promises';
import { BondError } from '@bond/wire';
import { SettingError, applySetting, isMultiple, type PartialSettings } from './settings.js';

/** The config file could not be read or is invalid; the message says where and why. */
export class ConfigFileError extends BondError {
  static readonly code = 'BOND_ERR_CONFIG_FILE';
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(ConfigFileError.code, `config file ${path}: ${reason}`, options);
    this.path = path;
  }
}

/** Reads and validates `path`; returns the settings it sets. */
export async function loadConfigFile(path: string): Promise<PartialSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigFileError(path, `cannot read it (${reason})`, { cause: error });
  }
  return parseConfigText(path, text);
}

/** Validates config text (exported for tests). */
export function parseConfigText(path: string, text: string): PartialSettings {
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
  const settings: PartialSettings = {};
  for (const [name, value] of Object.entries(parsed)) {
    const values: unknown[] = Array.isArray(value) && isMultiple(name) ? value : [value];
    for (const each of values) {
      if (typeof each !== 'string' && typeof each !== 'number') {
        throw new ConfigFileError(
          path,
          `"${name}" must be a string or a number${isMultiple(name) ? ' (or an array of strings)' : ''}`,
        );
      }
      try {
        applySetting(name, String(each), settings);
      } catch (error) {
        if (error instanceof SettingError) throw new ConfigFileError(path, error.message);
        throw error;
      }
    }
  }
  return settings;
}
