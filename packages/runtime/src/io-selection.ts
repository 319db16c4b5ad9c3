/**
 * Picks the IO backend the runtime opens its sockets with: the native one for this platform when it
 * loads (`@bond/io-linux`, `@bond/io-apple`), else `dgram`, per `@bond/io`'s `selectBackend`
 * (`BOND_IO_BACKEND=auto|native|dgram` overrides the option). The runtime takes the native
 * packages as optional dependencies and hands their loader to `@bond/io`, because pnpm does not
 * hoist them where `@bond/io` could import them by name; a package the installer skipped (another
 * platform, `--no-optional`) is reported as not installed, never thrown.
 */
import { dirname } from 'node:path';
import {
  selectBackend,
  type AddonAttempt,
  type BackendChoice,
  type BackendSelection,
  type NativeBackendStatus,
} from '@bond/io';
import { NativePackageMissingError } from './errors.js';
import type { RuntimeLogger } from './logger.js';

/** The native IO package for each platform that has one. */
const NATIVE_PACKAGES: Partial<Record<NodeJS.Platform, NativePackageName>> = {
  linux: '@bond/io-linux',
  darwin: '@bond/io-apple',
};

export type NativePackageName = '@bond/io-linux' | '@bond/io-apple';

export interface PlatformNativeOptions {
  /** Default `process.platform`. */
  readonly platform?: NodeJS.Platform;
  /** Imports a native package. Default: `import()` of the package (tests pass a stand-in). */
  readonly importPackage?: (name: NativePackageName) => Promise<unknown>;
}

function importNativePackage(name: NativePackageName): Promise<unknown> {
  // Literal specifiers, so bundlers and the CJS build see each import.
  return name === '@bond/io-linux' ? import('@bond/io-linux') : import('@bond/io-apple');
}

/**
 * This platform's native backend, loaded on first use; never throws. A package that does not
 * import because it is absent is a `NativePackageMissingError` load error.
 */
export async function loadPlatformNative(
  options: PlatformNativeOptions = {},
): Promise<NativeBackendStatus> {
  const platform = options.platform ?? process.platform;
  const name = NATIVE_PACKAGES[platform];
  if (name === undefined) {
    return { backend: undefined, loadError: new Error(`no native IO backend for ${platform}`) };
  }
  let loaded: unknown;
  try {
    loaded = await (options.importPackage ?? importNativePackage)(name);
  } catch (error) {
    const loadError = asError(error);
    return {
      backend: undefined,
      loadError: isMissingPackage(loadError, name)
        ? new NativePackageMissingError(name, { cause: loadError })
        : loadError,
    };
  }
  const load = (loaded as { loadNativeBackend?: unknown } | null)?.loadNativeBackend;
  if (typeof load !== 'function') {
    return { backend: undefined, loadError: new Error(`${name} has no loadNativeBackend()`) };
  }
  try {
    return (load as () => NativeBackendStatus)();
  } catch (error) {
    return { backend: undefined, loadError: asError(error) };
  }
}

/**
 * Whether `error` is the module system saying `name` itself cannot be found (ESM
 * `ERR_MODULE_NOT_FOUND`, CJS `MODULE_NOT_FOUND`), not one of its own imports.
 */
function isMissingPackage(error: Error, name: string): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    error.message.includes(`'${name}'`)
  );
}

/** What `openSocket` with `auto` would choose here, and why (for `--doctor` and logs). */
export function selectIoBackend(
  choice: BackendChoice = 'auto',
  env: Record<string, string | undefined> = process.env,
  loadNative: () => Promise<NativeBackendStatus> = () => loadPlatformNative(),
): Promise<BackendSelection> {
  return selectBackend({ backend: choice, env, loadNative });
}

/**
 * Logs one warning when `selection` fell back to `dgram` because the native backend did not load
 * (not when `dgram` was asked for): the reason, and what to do about it. Call once per start.
 * Returns `selection`.
 */
export function warnOnDgramFallback<
  S extends Pick<BackendSelection, 'backend' | 'choice' | 'loadError' | 'attempts'>,
>(selection: S, logger: RuntimeLogger): S {
  const { loadError } = selection;
  if (selection.backend.name !== 'dgram' || selection.choice === 'dgram') return selection;
  if (loadError === undefined) return selection;
  logger.warn('native IO backend unavailable: using dgram (fewer datagrams per system call)', {
    reason: loadError.message,
    fix: fallbackFix(loadError, selection.attempts),
  });
  return selection;
}

const SILENCE = 'or set BOND_IO_BACKEND=dgram to silence this warning';

/** What the operator can do: install the package, or build the addon where node-gyp expects it. */
function fallbackFix(loadError: Error, attempts: readonly AddonAttempt[]): string {
  if (loadError instanceof NativePackageMissingError) {
    return `install ${loadError.packageName} (an optional dependency of @bond/runtime), ${SILENCE}`;
  }
  const source = attempts.find((attempt) => attempt.kind === 'source build');
  // <package>/native/build/Release/<addon>.node: node-gyp runs in <package>/native.
  const nativeDir = source === undefined ? undefined : dirname(dirname(dirname(source.path)));
  const build =
    nativeDir === undefined
      ? 'build the addon from source with a C compiler and Python 3'
      : `with a C compiler and Python 3, run \`npx node-gyp rebuild\` in ${nativeDir}`;
  return `no prebuild fits this system and no source build loaded: ${build}, ${SILENCE}`;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
