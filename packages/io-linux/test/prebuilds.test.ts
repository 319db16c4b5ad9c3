// The prebuilds the build cross-compiles with zig: one per Linux architecture, each the ELF shared
// object that architecture loads, needing no glibc symbol newer than 2.28.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { prebuildAddonPath } from '@bond/io-linux';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  EM_AARCH64,
  EM_X86_64,
  ET_DYN,
  glibcVersion,
  readElfHeader,
  readPrebuild,
  versionsNeeded,
  zigInstalled,
} from '../../io-native-core/test/prebuild-files.js';

const TARGETS = [
  { arch: 'x64', machine: EM_X86_64 },
  { arch: 'arm64', machine: EM_AARCH64 },
] as const;
// 2.28: the oldest glibc the prebuilds promise to load on (older board images).
const GLIBC_CEILING = [2, 28];

function hasReadelf(): boolean {
  try {
    execFileSync('readelf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const zig = zigInstalled();
const title = 'io-linux prebuilds';
describe.skipIf(!zig)(zig ? title : `${title} (skipped: zig not installed)`, () => {
  for (const { arch, machine } of TARGETS) {
    const path = prebuildAddonPath('linux', arch);

    describe(`linux-${arch}`, () => {
      it('exists (built by `pnpm build`, the build:prebuilds task)', () => {
        expect(existsSync(path), path).toBe(true);
      });

      it(`is a 64-bit little-endian ELF shared object for e_machine 0x${machine.toString(16)}`, () => {
        const header = readElfHeader(readPrebuild(path));
        expect(header).toEqual({
          elf: true,
          class64: true,
          littleEndian: true,
          type: ET_DYN,
          machine,
        });
      });

      it('needs no glibc symbol version newer than 2.28, and only libc and libpthread', () => {
        const needed = versionsNeeded(readPrebuild(path));
        const versions = Object.values(needed).flat();
        expect(versions.length).toBeGreaterThan(0);
        for (const name of versions) {
          const version = glibcVersion(name);
          expect(version, `${name} is a glibc version`).toBeDefined();
          expect(compareVersions(version ?? [], GLIBC_CEILING), name).toBeLessThanOrEqual(0);
        }
        for (const library of Object.keys(needed)) {
          expect(['libc.so.6', 'libpthread.so.0']).toContain(library);
        }
      });

      it.skipIf(!hasReadelf())(
        'reads the same versions as binutils readelf (skipped: no readelf)',
        () => {
          const output = execFileSync('readelf', ['--version-info', '--wide', path]).toString();
          const fromReadelf = [...output.matchAll(/Name: (GLIBC_[\d.]+)/g)].map((m) => m[1]);
          const ours = Object.values(versionsNeeded(readPrebuild(path))).flat();
          expect(ours.sort()).toEqual(fromReadelf.sort());
        },
      );
    });
  }
});
