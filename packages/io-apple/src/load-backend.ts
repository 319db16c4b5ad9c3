/**
 * Loads the addon and wraps it as an `@bond/io` backend, or says why it cannot.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addonUnavailable,
  createBindingBackend,
  loadAddon,
  MAX_BATCH_LIMIT,
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

/** Where node-gyp puts the addon: `<package>/native/build/Release`, the same from `src/` and `dist/`. */
export function defaultAddonPath(): string {
  // `__filename` exists in the CJS build (and under vitest); `import.meta.url` in the ESM build.
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return join(dirname(here), '..', 'native', 'build', 'Release', 'bond_io_apple.node');
}

export interface LoadAppleOptions {
  /** Addon file. Default: the one node-gyp built. */
  addonPath?: string;
  /** Accept the Linux build, whose Apple calls are a shim (tests only). Default false. */
  allowShim?: boolean;
  /** Use plain recvmsg / sendmsg even where the batch calls exist. Default false. */
  plain?: boolean;
}

/** A loaded Apple backend, or the reason there is none. */
export interface AppleBackendStatus extends NativeBackendStatus {
  /** The raw binding (for tests and diagnostics). */
  readonly binding: AppleBinding | undefined;
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
 * Loads the addon. Never throws: a failure is returned as `loadError` (a
 * `NativeBackendUnavailableError` whose `cause` is the loader's error). Off Apple platforms the
 * package loads and reports itself unavailable, unless `allowShim` accepts the Linux test build.
 */
export function loadAppleBackend(options: LoadAppleOptions = {}): AppleBackendStatus {
  const onShim = process.platform === 'linux' && options.allowShim === true;
  if (process.platform !== 'darwin' && !onShim) {
    return unavailable(
      new Error(`@bond/io-apple runs on Apple platforms only, not ${process.platform}`),
    );
  }
  const addonPath = options.addonPath ?? defaultAddonPath();
  const load = loadAddon<AppleBinding>('@bond/io-apple', addonPath, BINDING_FUNCTIONS);
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
