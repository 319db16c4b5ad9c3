// The prebuilds the build cross-compiles with zig for macOS: one per architecture, each a 64-bit
// Mach-O image of that CPU type that Node's dlopen loads (a dylib or a bundle), linking nothing
// but libSystem and declaring a minimum macOS no newer than 11.0.
import { existsSync } from 'node:fs';
import { prebuildAddonPath } from '@bond/io-apple';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  CPU_TYPE_ARM64,
  CPU_TYPE_X86_64,
  MH_BUNDLE,
  MH_DYLIB,
  MH_MAGIC_64,
  readMachOHeader,
  readPrebuild,
  zigInstalled,
} from '../../io-native-core/test/prebuild-files.js';

const TARGETS = [
  { arch: 'x64', cputype: CPU_TYPE_X86_64 },
  { arch: 'arm64', cputype: CPU_TYPE_ARM64 },
] as const;
// 11.0: the oldest macOS zig 0.11 ships headers for, and the oldest the prebuilds may require.
const MACOS_FLOOR = [11, 0, 0];

const zig = zigInstalled();
const title = 'io-apple prebuilds';
describe.skipIf(!zig)(zig ? title : `${title} (skipped: zig not installed)`, () => {
  for (const { arch, cputype } of TARGETS) {
    const path = prebuildAddonPath('darwin', arch);

    describe(`darwin-${arch}`, () => {
      it('exists (built by `pnpm build`, the build:prebuilds task)', () => {
        expect(existsSync(path), path).toBe(true);
      });

      it(`is a 64-bit Mach-O dylib or bundle for cputype 0x${cputype.toString(16)}`, () => {
        const header = readMachOHeader(readPrebuild(path));
        expect(header.magic).toBe(MH_MAGIC_64);
        expect(header.cputype).toBe(cputype);
        // zig 0.11 links dylibs; node-gyp links bundles; process.dlopen loads either.
        expect([MH_DYLIB, MH_BUNDLE]).toContain(header.filetype);
      });

      it('links only libSystem and needs macOS 11.0 at most', () => {
        const header = readMachOHeader(readPrebuild(path));
        expect(header.dylibs).toEqual(['/usr/lib/libSystem.B.dylib']);
        expect(header.minos).toBeDefined();
        expect(compareVersions(header.minos ?? [], MACOS_FLOOR)).toBeLessThanOrEqual(0);
      });
    });
  }
});
