// The receiver benchmark still runs (a very short smoke run; timings are never asserted). Needs the
// built receiver (`pnpm build`) and a C compiler; skipped visibly without them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const built = existsSync(join(root, 'apps', 'receiver', 'dist', 'bin.js'));
const hasCompiler = spawnSync('cc', ['--version'], { stdio: 'ignore' }).error === undefined;
const linux = process.platform === 'linux';

describe('receiver benchmark', () => {
  it.skipIf(!(built && hasCompiler && linux))(
    'runs bond-receiver (one process and --workers 2) and the C forwarder side by side and writes JSON (needs pnpm build, cc, Linux)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'bond-receiver-bench-'));
      try {
        const json = join(dir, 'bench.json');
        const result = spawnSync(
          process.execPath,
          [
            join(root, 'tooling', 'bench', 'receiver-bench.mjs'),
            ...['--rates', '2000', '--groups', '1', '--seconds', '0.3', '--rounds', '1'],
            // The real peer runs in the benchmarks' smoke run (bench-smoke.test.ts).
            ...['--systems', 'c-forwarder,bond,bond-workers2'],
            // Another build side by side (here the same one): its row and its ratio to bond.
            ...['--baseline-bin', join(root, 'apps', 'receiver', 'dist', 'bin.js')],
            ...['--json', json],
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain('| groups | offered pps |');
        expect(result.stdout).toContain('CPU ratio bond/bond baseline');
        const report = JSON.parse(readFileSync(json, 'utf8')) as {
          results: {
            groups: number;
            bond: { deliveredPps: number };
            'c-forwarder': { deliveredPps: number };
            'bond-workers2': { deliveredPps: number; backend: string };
            'bond-baseline': { deliveredPps: number };
          }[];
          systems: string[];
        };
        expect(report.results.map((row) => row.groups)).toEqual([1]);
        for (const row of report.results) {
          expect(row.bond.deliveredPps).toBeGreaterThan(0);
          expect(row['c-forwarder'].deliveredPps).toBeGreaterThan(0);
          expect(row['bond-workers2'].deliveredPps).toBeGreaterThan(0);
          expect(row['bond-workers2'].backend).toMatch(/2 workers$/);
          expect(row['bond-baseline'].deliveredPps).toBeGreaterThan(0);
        }
        expect(report.systems).toContain('bond-baseline');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('refuses a --baseline-bin that does not exist, saying what to give', () => {
    const result = spawnSync(
      process.execPath,
      [
        join(root, 'tooling', 'bench', 'receiver-bench.mjs'),
        ...['--baseline-bin', join(root, 'no-such-build', 'bin.js')],
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/--baseline-bin: .*no-such-build.* does not exist/);
  });
});
