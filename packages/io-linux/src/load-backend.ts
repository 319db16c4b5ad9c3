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
} from '@bond/io';

/** The binding this addon exports: @bond/io's interface plus a GSO probe. */
export interface LinuxBinding extends NativeBinding {
  /** Whether the socket sends runs of equal-size datagrams with UDP GSO. */
  gso(handle: NativeHandle): boolean;
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
export function loadLinuxBackend(addonPath: string = defaultAddonPath()): LinuxBackendStatus {
  if (process.platform !== 'linux') {
    return unavailable(new Error(`@bond/io-linux runs on Linux only, not ${process.platform}`));
  }
  const load = loadAddon<LinuxBinding>('@bond/io-linux', addonPath, BINDING_FUNCTIONS);
  if (load.binding === undefined) return { backend: undefined, ...load };
  const backend: IoBackend = createBindingBackend('linux-mmsg', load.binding, MAX_BATCH_LIMIT);
  return { backend, binding: load.binding, loadError: undefined };
}

function unavailable(cause: Error): LinuxBackendStatus {
  return { backend: undefined, ...addonUnavailable('@bond/io-linux', cause) };
}

let cached: LinuxBackendStatus | undefined;

/** The backend `@bond/io`'s selector asks for: loaded once, then cached. */
export function loadNativeBackend(): LinuxBackendStatus {
  cached ??= loadLinuxBackend();
  return cached;
}
