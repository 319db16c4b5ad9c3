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
  type IoBackend,
  type NativeBackendStatus,
  type NativeBinding,
  type NativeHandle,
  withOpenSetup,
} from '@bond/io';

/** The binding this addon exports: @bond/io's interface plus a GSO probe and switch. */
export interface LinuxBinding extends NativeBinding {
  /** Whether the socket sends runs of equal-size datagrams with UDP GSO. */
  gso(handle: NativeHandle): boolean;
  /** Makes the socket send every datagram as its own message, never as a GSO run. */
  disableGso(handle: NativeHandle): void;
}

export interface LoadLinuxOptions {
  /**
   * Send runs of equal-size datagrams to one destination as UDP GSO messages where the kernel
   * supports it. Default true. Turn it off for a path that drops or mangles segmented sends
   * without reporting EINVAL/EIO (those already turn GSO off for the socket).
   */
  gso?: boolean;
}

/** Where node-gyp puts the addon: `<package>/native/build/Release`, the same from `src/` and `dist/`. */
export function defaultAddonPath(): string {
  // `__filename` exists in the CJS build (and under vitest); `import.meta.url` in the ESM build.
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return join(dirname(here), '..', 'native', 'build', 'Release', 'bond_io_linux.node');
}

const BINDING_FUNCTIONS = [
  'open',
  'connect',
  'localAddress',
  'bufferSizes',
  'setWatching',
  'send',
  'close',
  'gso',
  'disableGso',
] as const;

/** A loaded Linux backend, or the reason there is none. */
export interface LinuxBackendStatus extends NativeBackendStatus {
  /** The raw binding (for tests and the benchmark). */
  readonly binding: LinuxBinding | undefined;
}

/**
 * Loads the addon at `addonPath` (default: the one node-gyp built). Never throws: a failure is
 * returned as `loadError` (a `NativeBackendUnavailableError` whose `cause` is the loader's error).
 */
export function loadLinuxBackend(
  addonPath: string = defaultAddonPath(),
  options: LoadLinuxOptions = {},
): LinuxBackendStatus {
  if (process.platform !== 'linux') {
    return unavailable(new Error(`@bond/io-linux runs on Linux only, not ${process.platform}`));
  }
  const load = loadAddon<LinuxBinding>('@bond/io-linux', addonPath, BINDING_FUNCTIONS);
  if (load.binding === undefined) return { backend: undefined, ...load };
  const binding = load.binding;
  const opened =
    options.gso === false
      ? withOpenSetup(binding, (handle) => {
          binding.disableGso(handle);
        })
      : binding;
  const backend: IoBackend = createBindingBackend('linux-mmsg', opened, MAX_BATCH_LIMIT);
  return { backend, binding, loadError: undefined };
}

function unavailable(cause: Error): LinuxBackendStatus {
  return { backend: undefined, ...addonUnavailable('@bond/io-linux', cause) };
}

let cached: LinuxBackendStatus | undefined;

/**
 * The backend `@bond/io`'s selector asks for: loaded once, then cached. `BOND_IO_GSO=off` in the
 * environment at that first load turns UDP GSO off for every socket (any other value leaves it on).
 */
export function loadNativeBackend(): LinuxBackendStatus {
  cached ??= loadLinuxBackend(defaultAddonPath(), { gso: process.env.BOND_IO_GSO !== 'off' });
  return cached;
}
