// The V8 settings bond-receiver's executable makes before it loads the program (src/heap-flags.ts),
// against the real V8 of this Node: V8's memory reducer, armed as a process's heap grows, runs its
// "reduce" collections once the process has allocated little for a while, unless they are set;
// with them set it runs none. `--trace-gc` names those collections "Mark-Compact (reduce)". The
// reducer first looks 8 s after it is armed (`--gc-memory-reducer-start-delay-ms`, brought to
// 5.2 s here: it needs about 5 s of little allocation before it collects, or it waits 8 s more).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cleanupAfterEach, startProcess } from '../../common/test/support/testing.js';
import { RECEIVER_V8_FLAGS } from '../src/heap-flags.js';

vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

const REDUCE = /Mark-Compact \(reduce\)/;
const FAST_REDUCER = ['--trace-gc', '--gc-memory-reducer-start-delay-ms=5200'];

// A process that sets FLAGS (JSON) at run time, then grows its heap (what arms the reducer), then
// idles with a timer running for 7 s (the reducer collects at about 5.4 s).
const GROW_THEN_IDLE = `
const v8 = require('node:v8');
for (const flag of JSON.parse(process.env.FLAGS)) v8.setFlagsFromString(flag);
const keep = [];
for (let i = 0; i < 60000; i++) keep.push({ i, text: 'x' + i });
const tick = setInterval(() => {}, 10);
setTimeout(() => { clearInterval(tick); console.log('kept', keep.length); }, 7000);
`;

async function growThenIdle(flags: readonly string[]): Promise<string> {
  const child = startProcess(process.execPath, [...FAST_REDUCER, '-e', GROW_THEN_IDLE], {
    env: { ...process.env, FLAGS: JSON.stringify(flags) },
  });
  defer(() => child.stop());
  expect(await child.exited).toBe(0);
  expect(child.output()).toContain('kept 60000');
  return child.output();
}

describe("bond-receiver's V8 settings", () => {
  it('without them V8 runs reducing collections in an idle process; with them, none', async () => {
    // Side by side: about 7 s together.
    const [without, withThem] = await Promise.all([
      growThenIdle([]),
      growThenIdle(RECEIVER_V8_FLAGS),
    ]);
    expect(without).toMatch(REDUCE);
    expect(withThem).not.toMatch(REDUCE);
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
    },
  );
});
