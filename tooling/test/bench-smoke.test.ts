// `run-all.mjs --smoke` (what CI runs) still runs every benchmark: each exits cleanly, writes its
// JSON report with the fields the plots and docs/performance.md read, its table and its SVG
// plots. Timings are never asserted. Needs the built apps and stand (`pnpm build`), a C compiler
// and Linux; skipped visibly without them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEERS_SOURCE } from '../bench/lib/peers.mjs';
import { failoverTimes } from '../bench/lib/quality.mjs';
import { BENCHMARKS } from '../bench/run-all.mjs';

const root = join(import.meta.dirname, '..', '..');
const PEERS_BUILD_SCRIPT = join(PEERS_SOURCE, 'build.sh');
const built = [
  'apps/receiver/dist/bin.js',
  'apps/sender/dist/bin.js',
  'packages/io/dist/index.js',
  'tooling/stand/dist/index.js',
]
  .map((path) => join(root, path))
  .every((path) => existsSync(path));
const hasCompiler = spawnSync('cc', ['--version'], { stdio: 'ignore' }).error === undefined;
const hasSrtLiveTransmit =
  spawnSync('srt-live-transmit', ['-version'], { stdio: 'ignore' }).error === undefined;
const available = built && hasCompiler && process.platform === 'linux';

interface Summary {
  mode: string;
  benchmarks: { name: string; status: string; files: string[] }[];
}
interface QualityReport {
  benchmark: string;
  sampleMs: number;
  results: {
    scenario: string;
    scheduler: string;
    failed: number;
    offeredMbps: number;
    goodputMbps: number;
    pathP50Ms: number;
    pathP95Ms: number;
    retransmitted: number | null;
  }[];
  verdicts: { scenario: string }[];
  runs: {
    events: { link: string; atS: number; untilS: number }[];
    watch: { link: string } | null;
    timeline: {
      t: number[];
      deliveredMbps: number[];
      links: { name: string; share: (number | null)[] }[];
    };
  }[];
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
      { encoding: 'utf8', timeout: 150_000 },
    );
  }, 160_000);
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

  it("receiver: bond-receiver, irlserver's srtla_rec (when its sources are here) and the C forwarder forwarded the stream", () => {
    const report = read('receiver.json') as {
      benchmark: string;
      systems: string[];
      results: { groups: number; bond: System; 'c-forwarder': System; irlserver?: System }[];
    };
    expect(report.benchmark).toBe('receiver-forwarding');
    expect(report.results).toHaveLength(1);
    // The real peer is built from ../shared/peers (lib/peers.mjs); without those sources the
    // benchmark leaves it out and says so.
    const peers = existsSync(PEERS_BUILD_SCRIPT);
    expect(report.systems.includes('irlserver')).toBe(peers);
    for (const row of report.results) {
      expect(row.bond.deliveredPps).toBeGreaterThan(0);
      expect(row['c-forwarder'].deliveredPps).toBeGreaterThan(0);
      if (peers) expect(row.irlserver?.deliveredPps).toBeGreaterThan(0);
    }
  });

  it("sender: bond-sender, BELABOX's srtla_send (when the real path can run) and the C relay delivered through 3 links, with CPU and memory read", () => {
    const report = read('sender.json') as {
      benchmark: string;
      path: string;
      systems: string[];
      links: number;
      target: { rateMbps: number; cpuPercentOfOneCore: number; ratioToSrtlaSend: number };
      results: {
        rateMbps: number;
        bond: System & { rssKiB: number; cpuPercentOfOneCore: number };
        relay: System & { rssKiB: number };
        srtla_send?: System & { rssKiB: number };
        cpuRatio: number;
        cpuRatioSrtlaSend: number | null;
      }[];
    };
    expect(report.benchmark).toBe('sender-forwarding');
    expect(report.links).toBe(3);
    expect(report.target).toEqual({ rateMbps: 20, cpuPercentOfOneCore: 3, ratioToSrtlaSend: 1 });
    // The real path (srt-live-transmit, BELABOX srtla_rec and srtla_send from ../shared/peers)
    // runs whenever both are here; the C stand-in path otherwise, without srtla_send.
    const real = existsSync(PEERS_BUILD_SCRIPT) && hasSrtLiveTransmit;
    expect(report.path).toBe(real ? 'real' : 'standin');
    expect([...report.systems].sort()).toEqual(
      real ? ['bond', 'relay', 'srtla_send'] : ['bond', 'relay'],
    );
    const [row] = report.results;
    expect(row?.rateMbps).toBe(5);
    const measured = [row?.bond, row?.relay, ...(real ? [row?.srtla_send] : [])];
    for (const system of measured) {
      expect(system?.deliveredPps).toBeGreaterThan(0);
      expect(system?.lossPercent).toBeLessThan(50);
      expect(Number.isFinite(system?.cpuUsPerPacket)).toBe(true);
      expect(system?.rssKiB).toBeGreaterThan(0);
    }
    // The ratio itself is a timing (null when a 0.3 s window read no CPU tick for srtla_send).
    if (real) expect(row).toHaveProperty('cpuRatioSrtlaSend');
    else expect(row?.cpuRatioSrtlaSend).toBeNull();
    // A Node process holds far more resident memory than a small C program.
    expect(row?.bond.rssKiB).toBeGreaterThan(row?.relay.rssKiB ?? Infinity);
  });

  it('quality: the outage run for both schedulers, the dead link silent while black-holed', () => {
    const report = read('quality.json') as QualityReport;
    expect(report.benchmark).toBe('bonding-quality');
    expect(report.results.map((r) => `${r.scenario} ${r.scheduler}`).sort()).toEqual([
      'outage adaptive',
      'outage classic',
    ]);
    for (const result of report.results) {
      expect(result.failed).toBe(0);
      expect(result.goodputMbps).toBeGreaterThan(0);
      expect(result.goodputMbps).toBeLessThanOrEqual(result.offeredMbps * 1.01);
      expect(result.pathP50Ms).toBeGreaterThan(0);
      expect(result.pathP95Ms).toBeGreaterThanOrEqual(result.pathP50Ms);
      expect(typeof result.retransmitted).toBe('number');
    }
    expect(report.verdicts.map((v) => v.scenario)).toEqual(['outage']);
    for (const run of report.runs) {
      const [event] = run.events;
      expect(event?.link).toBe('b');
      expect(run.watch?.link).toBe('b');
      const { t, deliveredMbps, links } = run.timeline;
      expect(t.length).toBeGreaterThan(10);
      const b = links.find((l) => l.name === 'b')?.share ?? [];
      expect(b).toHaveLength(t.length);
      // Windows wholly inside the outage: link b delivered nothing, and the stream went on.
      const dead = t.flatMap((at, i) =>
        at - report.sampleMs / 1000 > (event?.atS ?? 0) + 0.1 && at <= (event?.untilS ?? 0)
          ? [i]
          : [],
      );
      expect(dead.length).toBeGreaterThan(0);
      for (const i of dead) {
        expect(b[i]).toBe(0);
        expect(deliveredMbps[i]).toBeGreaterThan(0);
      }
    }
    const plots = (read('summary.json') as Summary).benchmarks.find(
      (b) => b.name === 'quality',
    )?.files;
    expect(plots).toContain('quality-recovery.svg');
    expect(plots).toContain('quality-outage-adaptive-share.svg');
    expect(plots).toContain('quality-outage-classic-delay.svg');
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
      slopes: {
        from: number;
        to: number;
        rssKiBPerGroup: number;
        rssKiBPerGroupMin: number;
        rssKiBPerGroupMax: number;
      }[];
      runs: number;
      perRun: {
        points: { groups: number; rssKiB: number }[];
        slopes: { rssKiBPerGroup: number }[];
      }[];
    };
    expect(report.benchmark).toBe('scale');
    // Two runs (smoke): each point and slope is the median of the runs, with the spread kept.
    expect(report.runs).toBe(2);
    expect(report.perRun).toHaveLength(2);
    const runSlopes = report.perRun.map((run) => run.slopes[0]?.rssKiBPerGroup ?? NaN);
    const [slope] = report.slopes;
    expect(slope?.rssKiBPerGroupMin).toBe(Math.min(...runSlopes));
    expect(slope?.rssKiBPerGroupMax).toBe(Math.max(...runSlopes));
    expect(slope?.rssKiBPerGroup).toBeCloseTo(
      ((runSlopes[0] ?? NaN) + (runSlopes[1] ?? NaN)) / 2,
      1,
    );
    for (const [i, point] of report.points.entries()) {
      const each = report.perRun.map((run) => run.points[i]?.rssKiB ?? NaN);
      expect(point.rssKiB).toBe(Math.round(((each[0] ?? NaN) + (each[1] ?? NaN)) / 2));
    }
    expect(report.points.map((p) => p.groups)).toEqual([1, 5]);
    for (const point of report.points) {
      expect(point.receiverGroupsActive).toBe(point.groups);
      expect(point.receiverLinks).toBe(point.links);
      expect(point.rssKiB).toBeGreaterThan(0);
    }
    expect(report.slopes.map((s) => [s.from, s.to])).toEqual([[1, 5]]);
  });
});

describe('quality-bench: failover times from the samples', () => {
  /** Samples every 250 ms for 10 s of link b's delivered and offered share (a and c share the rest). */
  const samples = (b: (t: number) => { share: number; offeredShare: number }) =>
    Array.from({ length: 40 }, (_, i) => {
      const t = (i + 1) * 0.25;
      const { share, offeredShare } = b(t);
      return {
        t,
        links: [
          { name: 'a', share: (1 - share) / 2, offeredShare: (1 - offeredShare) / 2 },
          { name: 'b', share, offeredShare },
          { name: 'c', share: (1 - share) / 2, offeredShare: (1 - offeredShare) / 2 },
        ],
      };
    });
  const watch = { link: 'b', fairShare: 1 / 3, failAtS: 2, restoreAtS: 6 };

  it('times the first window from which the dead link stays unused, and its sustained return', () => {
    // b fails at 2 s: the sender keeps offering it a third until 2.75 s, stops at 3 s but comes
    // back once at 3.25 s, then leaves; after the restore at 6 s it carries 10% at first, a third
    // from 7.5 s on.
    const times = failoverTimes(
      samples((t) => {
        if (t <= 2) return { share: 1 / 3, offeredShare: 1 / 3 };
        if (t <= 6) {
          const offered = t <= 2.75 || t === 3.25 ? 1 / 3 : 0.01;
          return { share: 0, offeredShare: offered };
        }
        const share = t < 7.5 ? 0.1 : 1 / 3;
        return { share, offeredShare: share };
      }),
      watch,
    );
    expect(times.offAfterS).toBe(1.5); // from 3.5 s on: the 3 s window was not sustained
    expect(times.backAfterS).toBe(1.5);
    expect(times.preShare).toBeCloseTo(1 / 3);
    expect(times.threshold).toBeCloseTo(0.25);
  });

  it('says never (null) when the link is never left or never comes back', () => {
    const times = failoverTimes(
      samples((t) =>
        t <= 2 ? { share: 0.3, offeredShare: 0.3 } : { share: 0.02, offeredShare: 0.3 },
      ),
      watch,
    );
    expect(times.offAfterS).toBeNull();
    expect(times.backAfterS).toBeNull();
  });

  it('holds a link that never had its fair share to 3/4 of the share it had before', () => {
    const times = failoverTimes(
      samples((t) => ({ share: t > 2 && t <= 6.5 ? 0 : 0.2, offeredShare: 0.2 })),
      watch,
    );
    expect(times.threshold).toBeCloseTo(0.15);
    expect(times.backAfterS).toBe(0.75);
  });
});
