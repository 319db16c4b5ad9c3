/**
 * Scenario files: JSON with the emulator's options plus how long to run. Example:
 *
 * ```json
 * {
 *   "seed": 7,
 *   "duration": 60,
 *   "links": [
 *     {
 *       "name": "lte-1",
 *       "listen": { "address": "127.0.0.1", "port": 6001 },
 *       "target": { "address": "127.0.0.1", "port": 5000 },
 *       "up": { "trace": "../../../packages/core/test/traces/Verizon-LTE-short.up", "queueMs": 1000, "delayMs": 40, "jitterMs": 10 },
 *       "down": { "delayMs": 40 },
 *       "outages": [[20000, 30000]],
 *       "rebindAtMs": [45000]
 *     }
 *   ]
 * }
 * ```
 *
 * `duration` is in seconds (omit it to run until stopped); every other time is in ms. Relative
 * trace paths resolve against the scenario file's directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LinkemConfigError, LinkemScenarioFileError } from './errors.js';
import { resolveOptions, type ResolvedOptions } from './options.js';

export interface Scenario {
  readonly options: ResolvedOptions;
  /** How long to run, ms; undefined: until stopped. */
  readonly durationMs: number | undefined;
}

/**
 * Checks a parsed scenario. `baseDir` resolves relative trace paths.
 *
 * @throws LinkemConfigError naming the first bad field.
 */
export function parseScenario(value: unknown, baseDir: string): Scenario {
  const options = resolveOptions(value, baseDir, ['duration']);
  const duration = (value as { duration?: unknown }).duration;
  if (duration === undefined) return { options, durationMs: undefined };
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration <= 0) {
    throw new LinkemConfigError(
      'duration',
      `must be a number of seconds > 0 (or left out to run until stopped), got ${JSON.stringify(duration)}`,
    );
  }
  return { options, durationMs: duration * 1000 };
}

/**
 * Reads and checks a scenario file.
 *
 * @throws LinkemScenarioFileError when the file cannot be read or is not JSON; LinkemConfigError
 *   (with the file name in its message) when a field is invalid.
 */
export function loadScenario(file: string): Scenario {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new LinkemScenarioFileError(file, `could not be read (${reason}); check the path`, {
      cause,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new LinkemScenarioFileError(file, `is not valid JSON: ${reason}`, { cause });
  }
  try {
    return parseScenario(value, dirname(path));
  } catch (error) {
    if (error instanceof LinkemConfigError) {
      throw new LinkemConfigError(error.path, `${error.problem} (in ${file})`, {
        cause: error,
      });
    }
    throw error;
  }
}
