#!/usr/bin/env node
// Runs every benchmark one after the other and collects their output in one folder: per
// benchmark its JSON report (NAME.json), its printed table (NAME.txt) and its SVG plots; plus
// summary.json (what ran, how long, what it wrote, whether it failed). Three sizes:
//   --quick  the `pnpm bench` run: every benchmark short, a few minutes in all on 2 cores
//   --smoke  seconds each, for CI: proves every benchmark still runs; asserts nothing about timings
//   (none)   every benchmark with its own defaults, as docs/performance.md reports them
// A benchmark that fails is reported and the others still run; the exit code is 1 if any failed.
//
// Usage: node tooling/bench/run-all.mjs [--quick | --smoke] [--out bench-results] [--only a,b]
// Needs `pnpm build` first and a C compiler; Linux only. Loopback only.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { benchDir, rootDir } from './lib/processes.mjs';
import { benchArgs } from './lib/command-line.mjs';

/**
 * Every benchmark, in run order. Adding one is one entry: its script must take `--json FILE` and
 * `--svg DIR`, and lib/figures.mjs must know its report's `benchmark` name.
 *   name     file stem of its outputs; section: of benchmarks.md
 *   quick    arguments for --quick; smoke: for --smoke (full runs use the script's defaults)
 *   budget   seconds the quick run may take before it is stopped (smoke runs get 60 s)
 */
export const BENCHMARKS = [
  {
    name: 'io',
    section: 1,
    script: 'io-bench.mjs',
    quick: ['--rates', '50000,200000,400000', '--seconds', '1', '--rounds', '2'],
    smoke: ['--rates', '20000', '--seconds', '0.2', '--rounds', '1'],
    budget: 120,
  },
  {
    name: 'receiver',
    section: 2,
    script: 'receiver-bench.mjs',
    quick: [
      '--rates',
      '20000,100000,200000',
      '--groups',
      '1,100',
      '--seconds',
      '1',
      '--rounds',
      '2',
    ],
    smoke: ['--rates', '2000', '--groups', '1', '--seconds', '0.3', '--rounds', '1'],
    budget: 150,
  },
  {
    name: 'sender',
    section: 3,
    script: 'sender-bench.mjs',
    quick: ['--rates', '10,20,50', '--seconds', '2', '--rounds', '2'],
    smoke: ['--rates', '5', '--seconds', '0.3', '--warmup', '0.2', '--rounds', '1'],
    budget: 150,
  },
  {
    name: 'quality',
    section: 4,
    script: 'quality-bench.mjs',
    quick: ['--seconds', '10', '--rounds', '1'],
    smoke: ['--scenarios', 'outage', '--seconds', '2', '--rounds', '1', '--latency', '400'],
    budget: 330,
  },
  {
    name: 'scale',
    section: 5,
    script: 'scale-bench.mjs',
    quick: [
      ...['--groups', '1,100,1000', '--seconds', '1', '--windows', '3', '--settle', '1'],
      ...['--runs', '1'],
    ],
    smoke: [
      ...['--groups', '1,5', '--data-pps', '200', '--seconds', '0.3'],
      ...['--windows', '1', '--settle', '0.2', '--runs', '2'],
    ],
    budget: 120,
  },
];

/**
 * Runs one benchmark; resolves with its exit code (null if it was stopped at its budget) and the
 * files it wrote (its "wrote PATH" lines, plus the saved table).
 */
function runOne(entry, args, out, budgetSeconds) {
  return new Promise((done) => {
    const files = [`${entry.name}.txt`];
    let text = '';
    const log = createWriteStream(join(out, `${entry.name}.txt`));
    const child = spawn(
      process.execPath,
      [
        join(benchDir, entry.script),
        ...args,
        ...['--json', join(out, `${entry.name}.json`), '--svg', out],
      ],
      { cwd: rootDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      log.write(chunk);
      text += chunk.toString();
    });
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
    });
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, budgetSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const [, path] of text.matchAll(/^wrote (.+)$/gm)) files.push(relative(out, path));
      log.end(() => done({ code: stopped ? null : code, files }));
    });
  });
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  const { values } = benchArgs(import.meta.url, {
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string', default: join(rootDir, 'bench-results') },
      only: { type: 'string' },
    },
  });
  if (values.quick && values.smoke) throw new Error('give --quick or --smoke, not both');
  const mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const only = values.only?.split(',');
  const unknown = only?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `--only: no benchmark named ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
  }
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const started = performance.now();
  const summary = { mode, started: new Date().toISOString(), benchmarks: [] };
  for (const entry of BENCHMARKS) {
    if (only !== undefined && !only.includes(entry.name)) continue;
    const args = mode === 'full' ? [] : entry[mode];
    // Full runs take as long as their defaults need; they are bounded by each script's own limits.
    const budget = mode === 'smoke' ? 60 : mode === 'quick' ? entry.budget : 3600;
    console.log(`\n=== section ${entry.section}: ${entry.script} ${args.join(' ')}`);
    const t0 = performance.now();
    const { code, files } = await runOne(entry, args, out, budget);
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    const status =
      code === 0 ? 'ok' : code === null ? `stopped after ${budget} s` : `failed (exit ${code})`;
    summary.benchmarks.push({ name: entry.name, section: entry.section, status, seconds, files });
    console.log(`=== ${entry.name}: ${status} in ${seconds} s`);
  }
  summary.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nbenchmarks (${mode}) in ${summary.seconds} s; results in ${out}`);
  for (const b of summary.benchmarks)
    console.log(`  ${b.name.padEnd(10)} ${b.status} (${b.seconds} s)`);
  if (summary.benchmarks.some((b) => b.status !== 'ok')) process.exitCode = 1;
}
