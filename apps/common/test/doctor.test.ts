// The --doctor report: its line format and outcome, the bind check on loopback, and the checks both
// apps open with.
import { describe, expect, it } from 'vitest';
import {
  commonDoctorLines,
  createDoctor,
  formatDoctor,
  udpBindError,
  type DoctorLine,
} from '../src/index.js';

const LINES: DoctorLine[] = [
  { check: 'node', ok: true, detail: 'v20' },
  { check: 'srt listener', ok: false, detail: 'refused' },
];

describe('doctor report', () => {
  it('prints ok or FAIL, the check padded to the given width, and the detail', () => {
    expect(formatDoctor(LINES, 13)).toBe('ok   node          v20\nFAIL srt listener  refused\n');
    expect(formatDoctor(LINES.slice(0, 1), 6)).toBe('ok   node   v20\n');
  });
});

describe('createDoctor', () => {
  const doctor = (app: DoctorLine[]) =>
    createDoctor<{ readonly ioBackend?: 'dgram'; readonly name: string }>({
      checkWidth: 11,
      appLines: (settings) =>
        Promise.resolve(
          app.map((line) => ({ ...line, detail: `${line.detail} ${settings.name}` })),
        ),
    });

  it("runs the common checks, then the app's own with its settings", async () => {
    const lines = await doctor([{ check: 'app', ok: true, detail: 'fine' }]).run(
      { ioBackend: 'dgram', name: 'x' },
      {},
    );
    expect(lines.map((line) => line.check)).toEqual(['node', 'io backend', 'ipv6', 'app']);
    expect(lines[1]?.detail).toMatch(/^dgram/);
    expect(lines[3]).toEqual({ check: 'app', ok: true, detail: 'fine x' });
  });

  it('formats in its check width, and passes only when every check passed', async () => {
    const failing = doctor([{ check: 'app', ok: false, detail: 'broken' }]);
    expect(failing.format(LINES)).toBe(formatDoctor(LINES, 11));
    const report = await failing.report({ ioBackend: 'dgram', name: 'y' });
    expect(report.ok).toBe(false);
    expect(report.text).toMatch(/\nFAIL app {9}broken y\n$/);
    expect(report.text).toMatch(/^ok {3}node {8}/);
  });
});

describe('udpBindError', () => {
  it('is undefined for a loopback address and says why for one this host does not have', async () => {
    expect(await udpBindError('127.0.0.1')).toBeUndefined();
    // 192.0.2.0/24 (TEST-NET-1, RFC 5737) is never assigned to a host; binding sends nothing.
    expect(await udpBindError('192.0.2.1')).toMatch(/EADDRNOTAVAIL/);
  });
});

describe('commonDoctorLines', () => {
  it('opens with node, the IO backend asked for, and IPv6', async () => {
    const lines = await commonDoctorLines('dgram', {});
    expect(lines.map((line) => line.check)).toEqual(['node', 'io backend', 'ipv6']);
    expect(lines[0]).toEqual({
      check: 'node',
      ok: true,
      detail: `${process.version} on ${process.platform}/${process.arch}`,
    });
    expect(lines[1]).toMatchObject({ check: 'io backend', ok: true });
    expect(lines[1]?.detail).toMatch(/^dgram/);
  });

  const addonPackage =
    process.platform === 'linux'
      ? { addon: 'bond_io_linux' }
      : process.platform === 'darwin'
        ? { addon: 'bond_io_apple' }
        : undefined;

  it.skipIf(addonPackage === undefined)(
    'with auto, adds an io addon line naming the binary loaded (prebuild or source build), or each one tried (skipped: no native package here)',
    async () => {
      const lines = await commonDoctorLines('auto', {});
      expect(lines.map((line) => line.check)).toEqual(['node', 'io backend', 'io addon', 'ipv6']);
      const addon = lines[2];
      const prebuild = `prebuilds/${process.platform}-${process.arch}/${addonPackage?.addon}.node`;
      // The prebuild is always the first file tried: loaded, or listed with its error.
      expect(addon?.detail).toContain(prebuild);
      if (addon?.ok === true) {
        expect(addon.detail).toMatch(/^(prebuild|source build) \//);
        expect(lines[1]?.detail).toContain(addon.detail.split(' (not loaded first')[0]);
      } else {
        expect(addon?.detail).toMatch(/^none loaded: prebuild .*; source build /);
      }
    },
  );
});
