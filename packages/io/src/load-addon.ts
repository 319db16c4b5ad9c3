/**
 * Loading a native backend's addon, shared by `@bond/io-linux` and `@bond/io-apple`: require the
 * `.node` file, check that it exports every function the binding needs, and turn any failure into
 * a `NativeBackendUnavailableError` that keeps the loader's error as its cause. Never throws.
 *
 * {@link loadFirstAddon} tries candidates in order (see `addon-candidates.ts`: the prebuild, then
 * the source build) and reports which one loaded, from where, and why each earlier one did not.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddonCandidate, AddonKind } from './addon-candidates.js';
import { NativeBackendUnavailableError } from './errors.js';

/** The file an addon was loaded from. */
export interface AddonSource {
  readonly kind: AddonKind;
  readonly path: string;
}

/** A candidate that did not load, and why (its `skip` reason, or the loader's error). */
export interface AddonAttempt extends AddonSource {
  readonly error: Error;
}

export type AddonLoad<B> =
  | {
      readonly binding: B;
      readonly loadError: undefined;
      /** The file that loaded. */
      readonly addon: AddonSource;
      /** The candidates tried before it, each with its error. */
      readonly attempts: readonly AddonAttempt[];
    }
  | {
      readonly binding: undefined;
      readonly loadError: NativeBackendUnavailableError;
      readonly addon: undefined;
      /** Every candidate, each with its error. */
      readonly attempts: readonly AddonAttempt[];
    };

/**
 * Requires the addon at `addonPath` for `packageName` and checks it exports `functions`.
 * The caller asserts the binding type `B` those functions make up; `kind` is what the file is
 * reported as in `addon` or `attempts`.
 */
export function loadAddon<B>(
  packageName: string,
  addonPath: string,
  functions: readonly string[],
  kind: AddonKind = 'given path',
): AddonLoad<B> {
  const failed = (error: Error): AddonLoad<B> => ({
    ...addonUnavailable(packageName, error, addonPath),
    attempts: [{ kind, path: addonPath, error }],
  });
  let loaded: unknown;
  try {
    loaded = createRequire(addonPath)(addonPath);
  } catch (error) {
    return failed(asError(error));
  }
  const record = loaded as Record<string, unknown> | null;
  const missing = functions.filter((name) => typeof record?.[name] !== 'function');
  if (missing.length > 0) return failed(new Error(`addon lacks ${missing.join(', ')}`));
  return {
    binding: loaded as B,
    loadError: undefined,
    addon: { kind, path: addonPath },
    attempts: [],
  };
}

/**
 * Loads the first of `candidates` that loads and exports `functions`. A candidate with a `skip`
 * reason, or whose file does not exist, is not required. When none loads, `loadError` lists every
 * candidate with its reason, and its `cause` is the single candidate's error, or an
 * `AggregateError` of them all.
 */
export function loadFirstAddon<B>(
  packageName: string,
  candidates: readonly AddonCandidate[],
  functions: readonly string[],
): AddonLoad<B> {
  const attempts: AddonAttempt[] = [];
  for (const candidate of candidates) {
    const source = { kind: candidate.kind, path: candidate.path };
    if (candidate.skip !== undefined) {
      attempts.push({ ...source, error: new Error(candidate.skip) });
      continue;
    }
    try {
      // A missing file is the usual case for a candidate (no prebuild for this platform, no
      // compiler at install): say so plainly rather than with require's stack of importers.
      statSync(candidate.path);
    } catch (error) {
      attempts.push({ ...source, error: asError(error) });
      continue;
    }
    const load = loadAddon<B>(packageName, candidate.path, functions, candidate.kind);
    if (load.binding !== undefined) return { ...load, attempts };
    attempts.push(...load.attempts);
  }
  const errors = attempts.map((attempt) => attempt.error);
  const cause =
    errors.length === 1 && errors[0] !== undefined
      ? errors[0]
      : new AggregateError(errors, `${packageName}: no addon candidate loaded`);
  return {
    binding: undefined,
    loadError: new NativeBackendUnavailableError(
      `${packageName} addon did not load: ${describeAttempts(attempts)}`,
      { cause },
    ),
    addon: undefined,
    attempts,
  };
}

/** `prebuild /p/x.node: reason; source build /p/y.node: reason`, one line; "no candidates" if none. */
export function describeAttempts(attempts: readonly AddonAttempt[]): string {
  if (attempts.length === 0) return 'no candidates';
  return attempts
    .map((attempt) => {
      // The path is already named: drop it from stat's ENOENT and from dlopen's messages.
      const message = firstLine(attempt.error.message);
      const reason =
        (attempt.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'not found (ENOENT)'
          : message.startsWith(`${attempt.path}: `)
            ? message.slice(attempt.path.length + 2)
            : message;
      return `${attempt.kind} ${attempt.path}: ${reason}`;
    })
    .join('; ');
}

/** The failed load of `packageName`'s addon, with `cause` kept. */
export function addonUnavailable(
  packageName: string,
  cause: Error,
  addonPath?: string,
): {
  readonly binding: undefined;
  readonly loadError: NativeBackendUnavailableError;
  readonly addon: undefined;
  readonly attempts: readonly AddonAttempt[];
} {
  const where = addonPath === undefined ? '' : ` from ${addonPath}`;
  return {
    binding: undefined,
    loadError: new NativeBackendUnavailableError(
      `${packageName} addon did not load${where}: ${firstLine(cause.message)}`,
      { cause },
    ),
    addon: undefined,
    attempts: [],
  };
}

function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return end === -1 ? message : message.slice(0, end);
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
