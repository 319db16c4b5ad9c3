/**
 * Loads the addon and wraps it as an `@bond/io` backend, or says why it cannot. The one place this
 * package decides which addon file to load: the prebuild for this platform and architecture
 * (`prebuilds/linux-<arch>/bond_io_linux.node`, glibc only), else the node-gyp source build
 * (`native/build/Release/bond_io_linux.node`), else unavailable with each file's reason.
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

const ADDON = 'bond_io_linux';

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
export function linuxAddonCandidates(): AddonCandidate[] {
  return addonCandidates({ packageDir: packageDir(), addon: ADDON });
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

/** A loaded Linux backend and the file it came from, or the reason there is none. */
export interface LinuxBackendStatus extends NativeBackendStatus {
  /** The raw binding (for tests and the benchmark). */
  readonly binding: LinuxBinding | undefined;
  readonly addon: AddonSource | undefined;
  readonly attempts: readonly AddonAttempt[];
}

/**
 * Loads the first addon of `addon` that loads: one file (a path, reported as a `given path`), or
 * candidates in order (default: {@link linuxAddonCandidates}). Never throws: a failure is returned
 * as `loadError` (a `NativeBackendUnavailableError` listing each file tried and its error; its
 * `cause` is that error, or an `AggregateError` of them). On success `addon` says which file
 * loaded (kind and path) and `attempts` which did not before it.
 */
export function loadLinuxBackend(
  addon: string | readonly AddonCandidate[] = linuxAddonCandidates(),
  options: LoadLinuxOptions = {},
): LinuxBackendStatus {
  if (process.platform !== 'linux') {
    return unavailable(new Error(`@bond/io-linux runs on Linux only, not ${process.platform}`));
  }
  const candidates: readonly AddonCandidate[] =
    typeof addon === 'string' ? [{ kind: 'given path', path: addon }] : addon;
  const load = loadFirstAddon<LinuxBinding>('@bond/io-linux', candidates, BINDING_FUNCTIONS);
  if (load.binding === undefined) return { backend: undefined, ...load };
  const binding = load.binding;
  const opened =
    options.gso === false
      ? withOpenSetup(binding, (handle) => {
          binding.disableGso(handle);
        })
      : binding;
  const backend: IoBackend = createBindingBackend('linux-mmsg', opened, MAX_BATCH_LIMIT);
  return { backend, binding, loadError: undefined, addon: load.addon, attempts: load.attempts };
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
  cached ??= loadLinuxBackend(linuxAddonCandidates(), { gso: process.env.BOND_IO_GSO !== 'off' });
  return cached;
}
