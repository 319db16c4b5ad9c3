/**
 * Where a native package's addon may be, in the order its loader tries them:
 *
 * 1. the prebuild for this platform and architecture, `<package>/prebuilds/<platform>-<arch>/
 *    <addon>.node` (the prebuildify / node-gyp-build layout; cross-compiled for glibc, so skipped
 *    on a musl Linux),
 * 2. the node-gyp source build, `<package>/native/build/Release/<addon>.node`.
 *
 * {@link loadFirstAddon} tries them and reports which one loaded, or why each did not.
 */
import { join } from 'node:path';

/** What a candidate file is: shipped prebuilt, compiled at install, or named by the caller. */
export type AddonKind = 'prebuild' | 'source build' | 'given path';

/** One file an addon may be loaded from. */
export interface AddonCandidate {
  readonly kind: AddonKind;
  /** Absolute path of the `.node` file. */
  readonly path: string;
  /** Why this candidate must not be tried on this system; the loader lists it as not loaded. */
  readonly skip?: string;
}

/** The C library a Linux system's Node runs on. */
export type LibcFamily = 'glibc' | 'musl';

export interface AddonCandidateOptions {
  /** The native package's root folder (holding `prebuilds/` and `native/`). */
  readonly packageDir: string;
  /** The addon's file name without `.node`, for example `bond_io_linux`. */
  readonly addon: string;
  /** Default `process.platform`. */
  readonly platform?: string;
  /** Default `process.arch`. */
  readonly arch?: string;
  /** Linux only. Default: {@link detectLibc}. */
  readonly libc?: LibcFamily | undefined;
}

/**
 * The C library this Linux process runs on: `glibc` when Node's diagnostic report names a glibc
 * runtime version, else `musl` (Alpine and the like). `undefined` off Linux, or when the report is
 * unavailable (the prebuild is then tried: a mismatch fails to load and is reported, never thrown).
 */
export function detectLibc(): LibcFamily | undefined {
  if (process.platform !== 'linux') return undefined;
  // The report's network section resolves the names of open sockets' peers, which can stall on a
  // host with broken DNS: leave it out while reading the header, then restore the caller's choice.
  // (`excludeNetwork`: Node >= 20.13, not in @types/node 20.)
  const reporter = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
  const excluded = reporter.excludeNetwork;
  try {
    reporter.excludeNetwork = true;
    const report = reporter.getReport() as { header?: { glibcVersionRuntime?: unknown } };
    return typeof report.header?.glibcVersionRuntime === 'string' ? 'glibc' : 'musl';
  } catch {
    return undefined;
  } finally {
    if (excluded !== undefined) reporter.excludeNetwork = excluded;
  }
}

/** The prebuild's path: `<packageDir>/prebuilds/<platform>-<arch>/<addon>.node`. */
export function prebuildPath(
  packageDir: string,
  addon: string,
  platform: string,
  arch: string,
): string {
  return join(packageDir, 'prebuilds', `${platform}-${arch}`, `${addon}.node`);
}

/** The node-gyp source build's path: `<packageDir>/native/build/Release/<addon>.node`. */
export function sourceBuildPath(packageDir: string, addon: string): string {
  return join(packageDir, 'native', 'build', 'Release', `${addon}.node`);
}

/** The candidates in load order: this platform's prebuild, then the source build. */
export function addonCandidates(options: AddonCandidateOptions): AddonCandidate[] {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const prebuild = prebuildPath(options.packageDir, options.addon, platform, arch);
  const libc =
    platform !== 'linux'
      ? undefined
      : 'libc' in options
        ? options.libc
        : platform === process.platform
          ? detectLibc()
          : 'glibc';
  const source: AddonCandidate = {
    kind: 'source build',
    path: sourceBuildPath(options.packageDir, options.addon),
  };
  if (libc === 'musl') {
    const skip = 'skipped: prebuilds are built for glibc and this system uses musl';
    return [{ kind: 'prebuild', path: prebuild, skip }, source];
  }
  return [{ kind: 'prebuild', path: prebuild }, source];
}
