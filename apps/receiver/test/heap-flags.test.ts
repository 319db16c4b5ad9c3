// The V8 settings bond-receiver's executable makes before it loads the program (src/heap-flags.ts),
// against the real V8 of this Node: V8's memory reducer, armed as a process's heap grows, runs its
// "reduce" collections once the process has allocated little for a while, unless they are set;
// with them set it runs none. `--trace-gc` names those collections "Mark-Compact (reduce)". The
// reducer first looks 8 s after it is armed (`--gc-memory-reducer-start-delay-ms`, brought to
// 5.2 s here: it needs about 5 s of little allocation before it collects, or it waits 8 s more).
// V8 behaviour, timed: the waits are generous (a reduce within 15 s), and the test never asserts
// how long anything took.
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  cleanupAfterEach,
  startProcess,
  waitFor,
  type TestProcess,
} from '../../common/test/support/testing.js';
import { RECEIVER_V8_FLAGS } from '../src/heap-flags.js';

vi.setConfig({ testTimeout: 30_000 });

const defer = cleanupAfterEach();

const REDUCE = 'Mark-Compact (reduce)';
const FAST_REDUCER = ['--trace-gc', '--gc-memory-reducer-start-delay-ms=5200'];

// A process that sets FLAGS (JSON) at run time, then grows its heap (what arms the reducer), then
// idles with a timer running until it is stopped (at most 20 s).
const GROW_THEN_IDLE = `
const v8 = require('node:v8');
for (const flag of JSON.parse(process.env.FLAGS)) v8.setFlagsFromString(flag);
const keep = [];
for (let i = 0; i < 60000; i++) keep.push({ i, text: 'x' + i });
console.log('grown', keep.length);
const tick = setInterval(() => {}, 10);
setTimeout(() => clearInterval(tick), 20000);
`;

function growThenIdle(flags: readonly string[]): TestProcess {
  const child = startProcess(process.execPath, [...FAST_REDUCER, '-e', GROW_THEN_IDLE], {
    env: { ...process.env, FLAGS: JSON.stringify(flags) },
  });
  defer(() => child.stop());
  return child;
}

describe("bond-receiver's V8 settings", () => {
  it('without them V8 runs reducing collections in an idle process; with them, none', async () => {
    // Side by side, so the one with the flags idles at least as long as the one that collected
    // (about 5.4 s; if the machine is too busy for V8 to take it for idle, the next try is 8 s on).
    const without = growThenIdle([]);
    const withThem = growThenIdle(RECEIVER_V8_FLAGS);
    await waitFor(
      () => without.output().includes(REDUCE),
      'a reduce collection without the flags',
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(withThem.output()).toContain('grown 60000');
    expect(withThem.child.exitCode).toBeNull();
    expect(withThem.output()).not.toContain(REDUCE);
  });

  const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
  // The executable, with V8's setFlagsFromString wrapped (preloaded, before bin.js) so each call is
  // printed: they must be exactly RECEIVER_V8_FLAGS, before the program prints anything.
  const RECORD_FLAGS = [
    "const v8 = require('node:v8');",
    'const set = v8.setFlagsFromString;',
    "v8.setFlagsFromString = (flag) => { process.stdout.write('set ' + flag + '\\n'); set(flag); };",
    "require('node:module').syncBuiltinESMExports();",
  ].join(' ');
  it.skipIf(!existsSync(BIN))(
    'the executable sets them before it loads the program (needs `pnpm build`)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'bond-heap-flags-'));
      defer(() => rm(dir, { recursive: true, force: true }));
      const preload = join(dir, 'record-flags.cjs');
      await writeFile(preload, RECORD_FLAGS);
      const help = startProcess(process.execPath, ['--require', preload, BIN, '--help']);
      defer(() => help.stop());
      expect(await help.exited).toBe(0);
      const lines = help.output().split('\n');
      const flags = RECEIVER_V8_FLAGS.map((flag) => `set ${flag}`);
      expect(lines.slice(0, flags.length)).toEqual(flags);
      expect(lines[flags.length]).toMatch(/^bond-receiver: the server side of bond/);
      // And before any of bond's code is loaded: bin.js imports only Node's own modules, and the
      // program only through import() after the flags.
      const bin = await readFile(BIN, 'utf8');
      const imported = [...bin.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map(
        (m) => m[1] ?? '',
      );
      expect(imported.length).toBeGreaterThan(0);
      for (const name of imported) expect(builtinModules).toContain(name.replace(/^node:/, ''));
      const flagsAt = bin.indexOf('setFlagsFromString(flag)');
      expect(flagsAt).toBeGreaterThan(0);
      expect(bin.search(/import\(['"]\.\/cli-/)).toBeGreaterThan(flagsAt);
    },
  );
});
