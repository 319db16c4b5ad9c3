/**
 * Loads the addon and wraps it as an `@bond/io` backend, or says why it cannot. The one place this
 * package decides which addon file to load: the prebuild for this platform and architecture
 * (`prebuilds/darwin-<arch>/bond_io_apple.node`), else the node-gyp source build
 * (`native/build/Release/bond_io_apple.node`), else unavailable with each file's reason.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addonCandidates,
  addonUnavailable,
  createBindingBackend,
  loadFirstAddon,
  MAX_BATCH_LIMIT,
  prebuildPath,
  sourceBuildPath,
  type AddonAttempt,
  type AddonCandidate,
  type AddonSource,
  type NativeBackendStatus,
  type NativeBinding,
  type NativeHandle,
  withOpenSetup,
} from '@bond/io';

/** The binding this addon exports: @bond/io's interface plus its batch-mode switches. */
export interface AppleBinding extends NativeBinding {
  /** True in the Linux build, where the Apple calls are a shim over recvmmsg/sendmmsg. */
  readonly shim: boolean;
  /** Whether recvmsg_x / sendmsg_x resolved and may be used on this system. */
  msgxAvailable(): boolean;
  /** Whether this socket uses recvmsg_x / sendmsg_x. */
  batched(handle: NativeHandle): boolean;
  /** Makes this socket use plain recvmsg / sendmsg. */
  usePlain(handle: NativeHandle): void;
}

const ADDON = 'bond_io_apple';

/** The package's root folder, the same from `src/` and `dist/`. */
function packageDir(): string {
  // `__filename` exists in the CJS build (and under vitest); `import.meta.url` in the ESM build.
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return join(dirname(here), '..');
}

/** Where node-gyp puts the addon (the source build): `<package>/native/build/Release`. */
export function defaultAddonPath(): string {
  return sourceBuildPath(packageDir(), ADDON);
}

/** Where the prebuild for `platform`-`arch` (default: this process's) is shipped. */
export function prebuildAddonPath(
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  return prebuildPath(packageDir(), ADDON, platform, arch);
}

/** The addon files `loadNativeBackend()` tries, in order: this platform's prebuild, the source build. */
export function appleAddonCandidates(): AddonCandidate[] {
  return addonCandidates({ packageDir: packageDir(), addon: ADDON });
}

export interface LoadAppleOptions {
  /** One addon file to load (reported as a `given path`). Overrides `candidates`. */
  addonPath?: string;
  /** Addon files to try in order. Default: {@link appleAddonCandidates}. */
  candidates?: readonly AddonCandidate[];
  /** Accept the Linux build, whose Apple calls are a shim (tests only). Default false. */
  allowShim?: boolean;
  /** Use plain recvmsg / sendmsg even where the batch calls exist. Default false. */
  plain?: boolean;
}

/** A loaded Apple backend and the file it came from, or the reason there is none. */
export interface AppleBackendStatus extends NativeBackendStatus {
  /** The raw binding (for tests and diagnostics). */
  readonly binding: AppleBinding | undefined;
  readonly addon: AddonSource | undefined;
  readonly attempts: readonly AddonAttempt[];
}

const BINDING_FUNCTIONS = [
  'open',
  'connect',
  'localAddress',
  'bufferSizes',
  'setWatching',
  'send',
  'close',
  'batched',
  'usePlain',
  'msgxAvailable',
] as const;

/**
 * Loads the first addon file that loads (see {@link LoadAppleOptions}). Never throws: a failure is
 * returned as `loadError` (a `NativeBackendUnavailableError` listing each file tried and its
 * error; its `cause` is that error, or an `AggregateError` of them). On success `addon` says which
 * file loaded (kind and path) and `attempts` which did not before it. Off Apple platforms the
 * package loads and reports itself unavailable, unless `allowShim` accepts the Linux test build.
 */
export function loadAppleBackend(options: LoadAppleOptions = {}): AppleBackendStatus {
  const onShim = process.platform === 'linux' && options.allowShim === true;
  if (process.platform !== 'darwin' && !onShim) {
    return unavailable(
      new Error(`@bond/io-apple runs on Apple platforms only, not ${process.platform}`),
    );
  }
  const candidates: readonly AddonCandidate[] =
    options.addonPath !== undefined
      ? [{ kind: 'given path', path: options.addonPath }]
      : (options.candidates ?? appleAddonCandidates());
  const load = loadFirstAddon<AppleBinding>('@bond/io-apple', candidates, BINDING_FUNCTIONS);
  if (load.binding === undefined) return { backend: undefined, ...load };
  const binding = load.binding;
  const opened =
    options.plain === true
      ? withOpenSetup(binding, (handle) => {
          binding.usePlain(handle);
        })
      : binding;
  return {
    backend: createBindingBackend('apple-msgx', opened, MAX_BATCH_LIMIT),
    binding,
    loadError: undefined,
    addon: load.addon,
    attempts: load.attempts,
  };
}

function unavailable(cause: Error): AppleBackendStatus {
  return { backend: undefined, ...addonUnavailable('@bond/io-apple', cause) };
}

let cached: AppleBackendStatus | undefined;

/** The backend `@bond/io`'s selector asks for: loaded once, then cached. */
export function loadNativeBackend(): AppleBackendStatus {
  cached ??= loadAppleBackend();
  return cached;
}
