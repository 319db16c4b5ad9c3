/**
 * The config file (`--config FILE`): a JSON object whose keys are the long option names of the
 * command line (`srt_hostname`, `max-groups`, `reorder`, ...) and whose values are what the option
 * would take (numbers may be JSON numbers):
 *
 * ```json
 * { "srtla_port": 5000, "srt_hostname": "127.0.0.1", "srt_port": 4001, "http": "127.0.0.1:8080" }
 * ```
 *
 * A file that does not parse, or names an unknown setting, or gives a bad value, is refused whole.
 */
import { readFile } from 'node:fs/promises';
import { BondError } from '@bond/wire';
import { SettingError, applySetting, type PartialSettings } from './settings.js';

/** The config file could not be read or is invalid; the message says where and why. */
export class ConfigFileError extends BondError {
  static readonly code = 'BOND_ERR_CONFIG_FILE';
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(ConfigFileError.code, `config file ${path}: ${reason}`, options);
    this.path = path;
  }
}

/** Reads and validates `path`; returns the settings it sets and the names it set. */
export async function loadConfigFile(
  path: string,
): Promise<{ settings: PartialSettings; names: string[] }> {
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
export function parseConfigText(
  path: string,
  text: string,
): { settings: PartialSettings; names: string[] } {
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
  const names: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ConfigFileError(path, `"${name}" must be a string or a number`);
    }
    try {
      applySetting(name, String(value), settings);
    } catch (error) {
      if (error instanceof SettingError) throw new ConfigFileError(path, error.message);
      throw error;
    }
    names.push(name);
  }
  return { settings, names };
}
