/**
 * Backend selection: `auto` (the native backend when it loads, else `dgram`), `native` (fail when
 * it does not load) or `dgram`, from an option or the `BOND_IO_BACKEND` environment variable (which
 * overrides the option: it is the operator's switch).
 *
 * `@bond/io` never depends on the native packages. The selector loads the one for this platform by
 * package name at run time (`@bond/io-linux`, `@bond/io-apple`), failing soft; a caller whose
 * package manager does not hoist them (pnpm) passes `loadNative`.
 */
import { dgramBackend } from './dgram-socket.js';
import { IoArgumentError, NativeBackendUnavailableError } from './errors.js';
import { describeAttempts, type AddonAttempt, type AddonSource } from './load-addon.js';
import type { BatchSocket, IoBackend, OpenOptions } from './socket.js';

export type BackendChoice = 'auto' | 'native' | 'dgram';

/** What a native package reports from its `loadNativeBackend()`. */
export interface NativeBackendStatus {
  /** The backend, when its addon loaded and works on this system. */
  readonly backend: IoBackend | undefined;
  /** Why it is unavailable, when it is. */
  readonly loadError: Error | undefined;
  /** The addon file that loaded (prebuild or source build, and its path), when one did. */
  readonly addon?: AddonSource | undefined;
  /** The addon files tried that did not load, each with its error. */
  readonly attempts?: readonly AddonAttempt[] | undefined;
}

export interface SelectOptions {
  /** Default: `BOND_IO_BACKEND`, else `auto`. `BOND_IO_BACKEND` wins when both are set. */
  backend?: BackendChoice;
  /** Loads this platform's native backend. Default: import its package by name. */
  loadNative?: () => Promise<NativeBackendStatus>;
  /** Environment to read `BOND_IO_BACKEND` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** The outcome, for `--doctor` output and logs. */
export interface BackendSelection {
  readonly backend: IoBackend;
  readonly choice: BackendChoice;
  /** One line saying what was chosen and why. */
  readonly reason: string;
  /** Why the native backend did not load (kept when `auto` fell back to `dgram`). */
  readonly loadError: Error | undefined;
  /** The native addon file in use (its kind and path), when the native backend was chosen. */
  readonly addon: AddonSource | undefined;
  /** The addon files tried that did not load, each with its error (empty for `dgram`). */
  readonly attempts: readonly AddonAttempt[];
}

const CHOICES: readonly BackendChoice[] = ['auto', 'native', 'dgram'];

/** Chooses a backend. Throws `NativeBackendUnavailableError` only for `native`. */
export async function selectBackend(options: SelectOptions = {}): Promise<BackendSelection> {
  const fromEnv = (options.env ?? process.env).BOND_IO_BACKEND;
  const requested = fromEnv !== undefined && fromEnv !== '' ? fromEnv : (options.backend ?? 'auto');
  if (!(CHOICES as readonly string[]).includes(requested)) {
    throw new IoArgumentError(
      `BOND_IO_BACKEND / backend must be auto, native or dgram, got "${requested}"`,
    );
  }
  const choice = requested as BackendChoice;
  const source = fromEnv !== undefined && fromEnv !== '' ? 'BOND_IO_BACKEND' : 'option';
  if (choice === 'dgram') {
    return {
      backend: dgramBackend,
      choice,
      reason: `dgram: requested (${source})`,
      loadError: undefined,
      addon: undefined,
      attempts: [],
    };
  }
  let status: NativeBackendStatus;
  try {
    status = await (options.loadNative ?? loadNativeByName)();
  } catch (error) {
    status = { backend: undefined, loadError: asError(error) };
  }
  const attempts = status.attempts ?? [];
  if (status.backend !== undefined) {
    const from = status.addon === undefined ? '' : ` (${status.addon.kind} ${status.addon.path})`;
    const after = attempts.length === 0 ? '' : `; not loaded: ${describeAttempts(attempts)}`;
    return {
      backend: status.backend,
      choice,
      reason: `${status.backend.name}: native backend loaded${from}${after}`,
      loadError: undefined,
      addon: status.addon,
      attempts,
    };
  }
  const loadError = status.loadError ?? new Error('no native backend for this platform');
  if (choice === 'native')
    throw new NativeBackendUnavailableError(loadError.message, { cause: loadError });
  return {
    backend: dgramBackend,
    choice,
    reason: `dgram: native backend unavailable (${loadError.message})`,
    loadError,
    addon: undefined,
    attempts,
  };
}

/** Selects a backend (see {@link selectBackend}) and opens a socket on it. */
export async function openSocket(options: OpenOptions & SelectOptions): Promise<BatchSocket> {
  const selection = await selectBackend(options);
  return selection.backend.open(options);
}

/** The native package for this platform, imported by name. */
async function loadNativeByName(): Promise<NativeBackendStatus> {
  const name =
    process.platform === 'linux'
      ? '@bond/io-linux'
      : process.platform === 'darwin'
        ? '@bond/io-apple'
        : undefined;
  if (name === undefined) {
    return {
      backend: undefined,
      loadError: new Error(`no native backend for ${process.platform}`),
    };
  }
  const loaded = (await import(name)) as { loadNativeBackend?: unknown };
  if (typeof loaded.loadNativeBackend !== 'function') {
    return { backend: undefined, loadError: new Error(`${name} has no loadNativeBackend()`) };
  }
  return (loaded.loadNativeBackend as () => NativeBackendStatus)();
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
