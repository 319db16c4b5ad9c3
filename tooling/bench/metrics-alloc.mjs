#!/usr/bin/env node
// What one bond-receiver /metrics scrape allocates (issue 15), in-process: the receiver's stats
// view and /metrics renderer from this checkout's sources (bundled with esbuild) fed a synthetic
// snapshot of --groups groups shaped as scale-bench's (group g has 2 + g % 3 links), each part
// measured alone over --rounds scrapes (V8 heap bytes, with a young generation large enough that
// no collection runs inside a scrape; medians). --profile adds who allocates (V8's sampling heap
// profiler, collected objects included); --text FILE writes bond's series of the last scrape, to
// compare two builds byte for byte (cmp).
//
// Usage: node tooling/bench/metrics-alloc.mjs [--groups 1000] [--rounds 5] [--profile] [--text FILE]
// Needs `pnpm install` (esbuild comes with tsup). No network, no child but one node process.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { benchArgs } from './lib/command-line.mjs';
import { rootDir } from './lib/processes.mjs';
import { requireOption } from './lib/results.mjs';

const { values } = benchArgs(import.meta.url, {
  options: {
    groups: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
    text: { type: 'string' },
  },
});
const groups = Number(values.groups);
const rounds = Number(values.rounds);
requireOption(Number.isInteger(groups) && groups >= 1 && groups <= 100_000, '--groups 1..100000');
requireOption(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50, '--rounds 1..50');

const require = createRequire(import.meta.url);
const esbuild = createRequire(require.resolve('tsup'))('esbuild');
// Beside apps/common's dependencies, so the bundle finds prom-client (left out of it).
const dir = join(rootDir, 'apps/common/node_modules/.cache');
mkdirSync(dir, { recursive: true });
const bundle = join(dir, 'metrics-alloc.mjs');
esbuild.buildSync({
  entryPoints: [join(rootDir, 'tooling/bench/lib/metrics-alloc-entry.mjs')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  conditions: ['bond-source'],
  external: ['prom-client'],
  outfile: bundle,
  logLevel: 'warning',
});
const child = spawnSync(
  process.execPath,
  [
    '--expose-gc',
    '--max-semi-space-size=1024',
    '--min-semi-space-size=1024',
    bundle,
    String(groups),
    String(rounds),
  ],
  {
    stdio: 'inherit',
    timeout: 300_000,
    env: {
      ...process.env,
      ...(values.profile ? { ALLOC_PROFILE: '1' } : {}),
      ...(values.text === undefined ? {} : { ALLOC_TEXT: values.text }),
    },
  },
);
process.exitCode = child.status ?? 1;
