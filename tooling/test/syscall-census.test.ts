// tooling/bench/syscall-census.mjs counts what it says: run against a Node process that only runs
// a 5 ms interval, its system-call table must show that process's epoll_pwait calls, all of them
// empty (nothing but the timer wakes it), a total equal to the rows' sum, and a main thread that
// slept. Needs Linux (x64 or arm64), perf, and the right to trace (root or perf_event_paranoid
// <= 1); skipped visibly without them.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const census = join(import.meta.dirname, '..', 'bench', 'syscall-census.mjs');
const run = promisify(execFile);

function perfUsable(): boolean {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(arch())) return false;
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) return false;
  if (process.getuid?.() === 0) return true;
  try {
    return Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8')) <= 1;
  } catch {
    return false;
  }
}

/** The cells of the Markdown row whose first cell is `name` (an error naming the output if none). */
function row(output: string, name: string): string[] {
  for (const line of output.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells[1] === name) return cells.slice(1, -1);
  }
  throw new Error(`no row "${name}" in the census's output:\n${output}`);
}

/** Cell `index` of a row as a number (NaN when missing, which fails every comparison below). */
const cell = (cells: string[], index: number): number => Number(cells[index] ?? NaN);

let target: ChildProcess | undefined;
afterEach(() => {
  target?.kill('SIGKILL');
  target = undefined;
});

describe.skipIf(!perfUsable())('syscall-census', () => {
  it('counts a timer-only process: every wait empty, rows summing to the total', async () => {
    const marker = `census-target-${randomBytes(6).toString('hex')}`;
    target = spawn(process.execPath, ['-e', 'setInterval(() => {}, 5)', marker], {
      stdio: 'ignore',
    });
    const { stdout } = await run(
      process.execPath,
      [census, '--match', `${marker}$`, '--after', '0.3', '--seconds', '1', '--pps', '100'],
      { timeout: 60_000 },
    );
    expect(stdout).toContain(`(pid ${target.pid})`);
    const waits = row(stdout, 'epoll_pwait');
    const calls = cell(waits, 1);
    // 5 ms turns for 1 s, each a 0-timeout poll and a sleeping one: well above 50 calls.
    expect(calls).toBeGreaterThan(50);
    expect(cell(waits, 2)).toBeCloseTo(calls / 100, 2);
    // Nothing is ever ready on this process's descriptors: (almost) every wait returned nothing.
    expect(cell(waits, 3)).toBeGreaterThanOrEqual(calls - 3);
    const callRows = stdout
      .split('\n')
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .filter((cells) => cells.length === 6 && /^\d+$/.test(cells[2] ?? '') && cells[1] !== 'all');
    const total = cell(row(stdout, 'all'), 1);
    expect(callRows.reduce((sum, cells) => sum + Number(cells[2]), 0)).toBe(total);
    const main = row(stdout, `${target.pid} (main) node`);
    expect(cell(main, 5)).toBeGreaterThan(50); // sleeps: one per 5 ms turn
  }, 90_000);

  it('says which process it could not find', async () => {
    let stderr = '';
    try {
      await run(process.execPath, [
        census,
        '--match',
        `^no-such-process-${Date.now()}$`,
        '--wait',
        '0.5',
      ]);
    } catch (error) {
      stderr = String((error as { stderr?: unknown }).stderr);
    }
    expect(stderr).toContain('no process matching');
  }, 30_000);
});
