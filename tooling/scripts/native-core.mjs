#!/usr/bin/env node
// Copies the C core both N-API addons share (packages/io-native-core: the socket lifetime and
// N-API surface) into `<package>/native/core/` of the native package it runs in.
//
// Why a copy: @bond/io-linux and @bond/io-apple are published on their own, and each must build
// from source out of its own tarball, where nothing outside the package exists. So the core has
// one canonical home in the repository, and each package gets a copy in a gitignored folder
// (native/core/) before anything compiles or packs: `build:native` (build-native.mjs imports this)
// and `prepack` (runs this file). The package's `files` ship native/core/, and binding.gyp compiles
// core/bond_io_core.c from there. Edit the canonical files only; the copy is overwritten each time.
//
// Outside the repository (an unpacked tarball) there is no canonical core: the shipped copy stays.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The canonical core in the repository. */
export const NATIVE_CORE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'io-native-core',
);

/**
 * Replaces `<packageDir>/native/core` with the canonical core's `.c` and `.h` files. Returns the
 * copied file names, or undefined when there is no canonical core (outside the repository).
 */
export function copyNativeCore(packageDir) {
  if (!existsSync(NATIVE_CORE_DIR)) return undefined;
  const target = join(packageDir, 'native', 'core');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const files = readdirSync(NATIVE_CORE_DIR).filter((name) => /\.[ch]$/.test(name));
  for (const name of files) copyFileSync(join(NATIVE_CORE_DIR, name), join(target, name));
  return files;
}

// Run directly (a native package's `prepack`): copy into the current package.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const packageDir = process.cwd();
  const files = copyNativeCore(packageDir);
  if (files === undefined) {
    if (!existsSync(join(packageDir, 'native', 'core', 'bond_io_core.c'))) {
      console.error('native core: neither packages/io-native-core nor native/core/ exists');
      process.exit(1);
    }
  } else {
    console.log(`native core: copied ${files.join(', ')} into native/core/`);
  }
}
