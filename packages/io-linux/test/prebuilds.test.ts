// The prebuilds the build cross-compiles with zig: one per Linux architecture, each the ELF shared
// object that architecture loads, needing no glibc symbol newer than 2.28.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  ROOT,
  versionsNeeded,
  zigInstalled,
  zigPath,
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

/** Versions in `bytes` newer than the ceiling: what the glibc check fails on. */
function tooNew(bytes: Uint8Array): string[] {
  return Object.values(versionsNeeded(bytes))
    .flat()
    .filter((name) => compareVersions(glibcVersion(name) ?? [Infinity], GLIBC_CEILING) > 0);
}

const zig = zigInstalled();
const title = 'io-linux prebuilds';
describe.skipIf(!zig)(zig ? title : `${title} (skipped: zig not installed)`, () => {
  it('the glibc check catches a library that needs a newer glibc (close_range, GLIBC_2.34)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bond-glibc-'));
    try {
      const source = join(dir, 'close-range.c');
      const library = join(dir, 'close-range.so');
      writeFileSync(
        source,
        '#define _GNU_SOURCE\n#include <unistd.h>\n' +
          'int close_above(unsigned int fd) { return close_range(fd, ~0U, 0); }\n',
      );
      const cache = join(ROOT, 'node_modules', '.cache', 'zig');
      execFileSync(
        zigPath(),
        ['cc', '-target', 'x86_64-linux-gnu.2.34', '-shared', '-fPIC', '-o', library, source],
        { env: { ...process.env, ZIG_GLOBAL_CACHE_DIR: cache, ZIG_LOCAL_CACHE_DIR: cache } },
      );
      expect(tooNew(readPrebuild(library))).toEqual(['GLIBC_2.34']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

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
        for (const name of versions) expect(glibcVersion(name), name).toBeDefined();
        expect(tooNew(readPrebuild(path))).toEqual([]);
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
