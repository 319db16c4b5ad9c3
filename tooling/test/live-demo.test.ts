// The README's first command: the live demo runs to completion (short here) and its summary shows
// the stream delivered. Runs the built pieces, as `pnpm demo` does (`pnpm test` builds first).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failoverTimes, summaryLines } from '../demo/live-demo.mjs';

const root = join(import.meta.dirname, '..', '..');
const demo = join(root, 'tooling', 'demo', 'live-demo.mjs');
const needed = [
  join(root, 'apps', 'sender', 'dist', 'bin.js'),
  join(root, 'apps', 'receiver', 'dist', 'bin.js'),
  join(root, 'tooling', 'stand', 'dist', 'index.js'),
];

interface DemoRun {
  code: number | null;
  output: string;
}

/** Runs the demo; SIGTERM after `timeoutMs` (it then still prints its summary and stops all). */
function runDemo(args: readonly string[], timeoutMs: number): Promise<DemoRun> {
  const missing = needed.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`not built: ${missing.join(', ')}; run npx -y pnpm@10.34.9 build first`);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [demo, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

interface DemoJson {
  report: {
    ends: string;
    stream: { sent: number; delivered: number; duplicates: number };
    links: { name: string; share: number; up: { delivered: number } }[];
  };
  samples: { t: number; links: { name: string; share: number }[] }[];
  failover: { failedLink: string };
}

describe('live demo', () => {
  for (const ends of ['auto', 'builtin'] as const) {
    it(`runs to completion with --ends ${ends} and its summary shows the stream delivered`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bond-demo-'));
      try {
        const json = join(dir, 'demo.json');
        const run = await runDemo(['--duration', '8', '--ends', ends, '--json', json], 60_000);
        expect(run.code, run.output).toBe(0);
        expect(run.output).toMatch(/receiver dashboard: http:\/\/127\.0\.0\.1:\d+\//);
        expect(run.output).toMatch(/>>> lte fails now/);
        expect(run.output).toMatch(/bond demo summary/);
        const delivered = /delivered: (\d+) of (\d+) packets/.exec(run.output);
        expect(delivered, run.output).not.toBeNull();
        const result = JSON.parse(readFileSync(json, 'utf8')) as DemoJson;
        const { stream } = result.report;
        expect(Number(delivered?.[1])).toBe(stream.delivered);
        // 6 Mbit/s for 8 s is about 4,500 payloads. How much of it survives the failure is the
        // benchmarks' business (docs/performance.md); here: the stream got through.
        expect(stream.sent).toBeGreaterThan(3000);
        expect(stream.delivered).toBeGreaterThan(stream.sent * 0.5);
        expect(stream.duplicates).toBe(0);
        if (ends === 'builtin') expect(result.report.ends).toBe('builtin');
        // Every link carried data, and the failed one carried none for a while.
        for (const link of result.report.links) expect(link.up.delivered).toBeGreaterThan(0);
        const idle = result.samples.filter(
          (sample) => (sample.links.find((l) => l.name === 'lte')?.share ?? 1) < 0.02,
        );
        expect(idle.length).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 70_000);
  }

  it('takes its options after the `--` that `pnpm demo -- OPTIONS` passes on', async () => {
    const run = await runDemo(['--', '--help'], 20_000);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/Usage: pnpm demo/);
    expect(run.output).not.toMatch(/Unexpected argument/);
    const bad = await runDemo(['--', '--duration', '2'], 20_000);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/--duration 2: give a number from 6 to 3600/);
  });

  it('refuses a bad option with a message and the help text', async () => {
    const run = await runDemo(['--duration', '2'], 20_000);
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/--duration 2: give a number from 6 to 3600/);
    expect(run.output).toMatch(/Usage: pnpm demo/);
  });
});

describe('live demo summary', () => {
  const sample = (t: number, share: number) => ({ t, links: [{ name: 'lte', share }] });

  it('finds when traffic left the failed link and came back', () => {
    const samples = [
      sample(1, 0.3),
      sample(2, 0.3),
      sample(3, 0.01),
      sample(4, 0),
      sample(5, 0.05),
      sample(6, 0.3),
    ];
    expect(failoverTimes(samples, 'lte', 2.2, 4)).toEqual({ offAfterS: 3 - 2.2, backAfterS: 2 });
    expect(failoverTimes(samples.slice(0, 2), 'lte', 2.2, 4)).toEqual({
      offAfterS: undefined,
      backAfterS: undefined,
    });
  });

  it('reports lost packets as sent minus delivered', () => {
    const lines = summaryLines(
      {
        scheduler: 'adaptive',
        ends: 'builtin',
        durationS: 8,
        stream: {
          sent: 100,
          delivered: 97,
          duplicates: 0,
          outOfOrder: 0,
          delay: { p50Ms: 50, p95Ms: 80, p99Ms: 90, maxMs: 95 },
        },
        srt: { caller: undefined, listener: undefined },
        links: [{ name: 'lte', share: 0.5, up: { delivered: 50, dropped: { queue: 2, loss: 1 } } }],
      },
      { failedLink: 'lte', failAtS: 2, failForS: 2, offAfterS: 1, backAfterS: undefined },
    ).join('\n');
    expect(lines).toMatch(/delivered: 97 of 100 packets \(97\.00%\), lost 3/);
    expect(lines).toMatch(/lte +50% +\(50 datagrams, 3 dropped/);
    expect(lines).toMatch(/came back not within the run/);
  });
});
