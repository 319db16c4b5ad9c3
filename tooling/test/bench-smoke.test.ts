// `run-all.mjs --smoke` (what CI runs) still runs every benchmark: each exits cleanly, writes its
// JSON report with the fields the plots and docs/performance.md read, its table and its SVG
// plots. Timings are never asserted. Needs the built apps (`pnpm build`), a C compiler and Linux;
// skipped visibly without them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../bench/run-all.mjs';

const root = join(import.meta.dirname, '..', '..');
const built = ['apps/receiver/dist/bin.js', 'apps/sender/dist/bin.js', 'packages/io/dist/index.js']
  .map((path) => join(root, path))
  .every((path) => existsSync(path));
const hasCompiler = spawnSync('cc', ['--version'], { stdio: 'ignore' }).error === undefined;
const available = built && hasCompiler && process.platform === 'linux';

interface Summary {
  mode: string;
  benchmarks: { name: string; status: string; files: string[] }[];
}
interface System {
  deliveredPps: number;
  lossPercent: number;
  cpuUsPerPacket: number;
}

describe.skipIf(!available)('benchmarks, smoke run (needs pnpm build, cc, Linux)', () => {
  let out = '';
  let run: ReturnType<typeof spawnSync>;
  const read = (file: string): unknown => JSON.parse(readFileSync(join(out, file), 'utf8'));

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'bond-bench-smoke-'));
    run = spawnSync(
      process.execPath,
      [join(root, 'tooling', 'bench', 'run-all.mjs'), '--smoke', '--out', out],
      { encoding: 'utf8', timeout: 50_000 },
    );
  }, 55_000);
  afterAll(() => {
    if (out !== '') rmSync(out, { recursive: true, force: true });
  });

  it('runs every benchmark in the list, each successfully', () => {
    expect(run.status, String(run.stderr)).toBe(0);
    const summary = read('summary.json') as Summary;
    expect(summary.mode).toBe('smoke');
    expect(summary.benchmarks.map((b) => b.name)).toEqual(BENCHMARKS.map((b) => b.name));
    for (const benchmark of summary.benchmarks) expect(benchmark.status).toBe('ok');
  });

  it('writes a table, a JSON report and at least one SVG plot per benchmark', () => {
    for (const benchmark of (read('summary.json') as Summary).benchmarks) {
      expect(benchmark.files).toContain(`${benchmark.name}.json`);
      expect(readFileSync(join(out, `${benchmark.name}.txt`), 'utf8')).toMatch(/^\| .* \|$/m);
      const plots = benchmark.files.filter((file) => file.endsWith('.svg'));
      expect(plots.length, benchmark.name).toBeGreaterThan(0);
      for (const plot of plots) {
        const svg = readFileSync(join(out, plot), 'utf8');
        expect(svg.startsWith('<svg ')).toBe(true);
        expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      }
    }
  });

  it('io: both backends measured at the offered rate, in both directions', () => {
    const report = read('io.json') as {
      benchmark: string;
      rows: { direction: string; backend: string; deliveredPps: number }[];
    };
    expect(report.benchmark).toBe('batched-io');
    expect(report.rows.map((r) => `${r.direction} ${r.backend}`).sort()).toEqual([
      'receive dgram',
      'receive linux-mmsg',
      'send dgram',
      'send linux-mmsg',
    ]);
    for (const row of report.rows) expect(row.deliveredPps).toBeGreaterThan(0);
  });

  it('receiver: bond-receiver and the C forwarder both forwarded the stream', () => {
    const report = read('receiver.json') as {
      benchmark: string;
      results: { groups: number; bond: System; 'c-forwarder': System }[];
    };
    expect(report.benchmark).toBe('receiver-forwarding');
    expect(report.results).toHaveLength(1);
    for (const row of report.results) {
      expect(row.bond.deliveredPps).toBeGreaterThan(0);
      expect(row['c-forwarder'].deliveredPps).toBeGreaterThan(0);
    }
  });

  it('sender: bond-sender and the C relay delivered through 3 links, with CPU and memory read', () => {
    const report = read('sender.json') as {
      benchmark: string;
      links: number;
      target: { rateMbps: number; cpuPercentOfOneCore: number };
      results: {
        rateMbps: number;
        bond: System & { rssKiB: number; cpuPercentOfOneCore: number };
        relay: System & { rssKiB: number };
        cpuRatio: number;
      }[];
    };
    expect(report.benchmark).toBe('sender-forwarding');
    expect(report.links).toBe(3);
    expect(report.target).toEqual({ rateMbps: 20, cpuPercentOfOneCore: 3 });
    const [row] = report.results;
    expect(row?.rateMbps).toBe(5);
    for (const system of [row?.bond, row?.relay]) {
      expect(system?.deliveredPps).toBeGreaterThan(0);
      expect(system?.lossPercent).toBeLessThan(50);
      expect(Number.isFinite(system?.cpuUsPerPacket)).toBe(true);
      expect(system?.rssKiB).toBeGreaterThan(0);
    }
    // A Node process holds far more resident memory than a small C program.
    expect(row?.bond.rssKiB).toBeGreaterThan(row?.relay.rssKiB ?? Infinity);
  });

  it('scale: the receiver itself counts every registered group as active', () => {
    const report = read('scale.json') as {
      benchmark: string;
      points: {
        groups: number;
        links: number;
        receiverGroupsActive: number;
        receiverLinks: number;
        rssKiB: number;
      }[];
      slopes: { from: number; to: number; rssKiBPerGroup: number }[];
    };
    expect(report.benchmark).toBe('scale');
    expect(report.points.map((p) => p.groups)).toEqual([1, 5]);
    for (const point of report.points) {
      expect(point.receiverGroupsActive).toBe(point.groups);
      expect(point.receiverLinks).toBe(point.links);
      expect(point.rssKiB).toBeGreaterThan(0);
    }
    expect(report.slopes.map((s) => [s.from, s.to])).toEqual([[1, 5]]);
  });
});
