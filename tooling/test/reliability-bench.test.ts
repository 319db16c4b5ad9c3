// tooling/bench/reliability-bench.mjs still runs end to end, tiny: every attack against bond-receiver
// and irlserver's srtla_rec with a live stream through BELABOX srtla_send, a JSON report with a row
// per attack and system, its table and its plots. Timings and losses are never asserted (that is
// what the benchmark is for); only that each run measured what the table shows. Needs the built
// apps and stand, a C compiler, srt-live-transmit and the real peers' sources (../shared/peers);
// skipped visibly without them.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSrtLiveTransmit } from '@bond/stand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEERS_SOURCE } from '../bench/lib/peers.mjs';

interface Options {
  hostile: number;
  settleSeconds: number;
  attacks: { name: string; count: number; pps: number; seconds: number }[];
}
const { parseOptions } = (await import('../bench/reliability-bench.mjs')) as unknown as {
  parseOptions: (argv: string[]) => Options;
};

const root = join(import.meta.dirname, '..', '..');
const built = ['apps/receiver/dist/bin.js', 'tooling/stand/dist/index.js']
  .map((path) => join(root, path))
  .every((path) => existsSync(path));
const hasCompiler = spawnSync('cc', ['--version'], { stdio: 'ignore' }).error === undefined;
const peers = existsSync(join(PEERS_SOURCE, 'build.sh'));
const available =
  built && hasCompiler && peers && hasSrtLiveTransmit() && process.platform === 'linux';

interface SystemRow {
  lost: number | null;
  kernelDrops: number | null;
  replyP99Ms: number | null;
  cpuSeconds: number | null;
  rssBeforeKiB: number | null;
  rssPeakKiB: number | null;
  rssAfterKiB: number | null;
  gotIn: string | null;
}
interface Report {
  benchmark: string;
  systems: string[];
  results: {
    attack: string;
    bond: SystemRow | null;
    irlserver: SystemRow | null;
    ratio: Record<string, number | null>;
  }[];
  runs: { system: string; attack: string; error?: string; hostileSent?: number }[];
}

describe('reliability-bench options', () => {
  it('has the issue-sized defaults, a quick size, and refuses bad values naming the option', () => {
    const defaults = parseOptions([]);
    expect(defaults.attacks.map((a) => a.name)).toEqual([
      'fuzz-steady',
      'fuzz-bursts',
      'reg1-1000',
      'reg1-2000',
      'reg1-5000',
      'new-sender',
    ]);
    expect(defaults.attacks[0]).toMatchObject({ count: 1_000_000, pps: 20_000, seconds: 50 });
    expect(parseOptions(['--quick']).hostile).toBeLessThan(defaults.hostile);
    expect(() => parseOptions(['--attacks', 'fuzz-steady,nope'])).toThrow(/--attacks nope/);
    expect(() => parseOptions(['--sources', '0'])).toThrow(/--sources/);
    expect(defaults.settleSeconds).toBe(10);
    expect(parseOptions(['--settle', '0']).settleSeconds).toBe(0);
    expect(() => parseOptions(['--settle', '-1'])).toThrow(/--settle/);
  });
});

describe.skipIf(!available)(
  'reliability-bench, tiny run (needs pnpm build, cc, srt-live-transmit, ../shared/peers)',
  () => {
    let out = '';
    let run: { status: number | null; stdout: string; stderr: string };
    // Asynchronously: a worker blocked for a minute in spawnSync misses vitest's own messages.
    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'bond-reliability-smoke-'));
      run = await new Promise((resolve) => {
        execFile(
          process.execPath,
          [
            join(root, 'tooling', 'bench', 'reliability-bench.mjs'),
            ...['--hostile', '3000', '--burst', '1000', '--reg1-rates', '1000'],
            ...['--reg1-seconds', '0.5', '--sources', '200', '--new-sender-seconds', '2'],
            ...['--after', '0', '--settle', '0', '--json', join(out, 'reliability.json')],
          ],
          { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 },
          (error, stdout, stderr) => {
            resolve({ status: error === null ? 0 : (error.code as number | null), stdout, stderr });
          },
        );
      });
    }, 250_000);
    afterAll(() => {
      if (out !== '') rmSync(out, { recursive: true, force: true });
    });

    it('measured every attack against both receivers and wrote the table, JSON and plots', () => {
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'reliability.json'), 'utf8')) as Report;
      expect(report.benchmark).toBe('reliability');
      expect(report.systems).toEqual(['bond', 'irlserver']);
      expect(report.runs.filter((r) => r.error !== undefined)).toEqual([]);
      expect(report.results.map((r) => r.attack)).toEqual([
        'fuzz-steady',
        'fuzz-bursts',
        'reg1-1000',
        'new-sender',
      ]);
      for (const row of report.results) {
        for (const system of [row.bond, row.irlserver]) {
          expect(system, row.attack).not.toBeNull();
          expect(system?.rssBeforeKiB).toBeGreaterThan(0);
          expect(system?.rssPeakKiB).toBeGreaterThanOrEqual(system?.rssBeforeKiB ?? Infinity);
          expect(system?.kernelDrops).toBeGreaterThanOrEqual(0);
          expect(system?.cpuSeconds).toBeGreaterThanOrEqual(0);
        }
        // The attack was really sent: every datagram it was asked for.
        for (const each of report.runs.filter((r) => r.attack === row.attack)) {
          expect(each.hostileSent, `${each.attack} ${each.system}`).toBe(
            row.attack.startsWith('fuzz') ? 3000 : row.attack === 'reg1-1000' ? 500 : 4000,
          );
        }
        // Where the live stream was in, its loss was counted.
        if (row.attack !== 'new-sender') {
          expect(row.bond?.lost).toBeGreaterThanOrEqual(0);
          expect(row.irlserver?.lost).toBeGreaterThanOrEqual(0);
        }
      }
      expect(run.stdout).toMatch(/\| fuzz-steady +\| ratio bond\/irlserver \|/);
      expect(readdirSync(out).filter((file) => file.endsWith('.svg')).length).toBeGreaterThan(0);
    });
  },
);
