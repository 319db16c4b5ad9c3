#!/usr/bin/env node
// Redraws the plots of saved benchmark reports: each JSON file written by a benchmark's
// `--json FILE` (or by run-all.mjs) gets its SVG plots, drawn by lib/figures.mjs from the JSON
// alone, next to it or into --svg DIR. run-all's summary.json is skipped.
//
// Usage: node tooling/bench/plot.mjs [--svg DIR] REPORT.json...
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFigures } from './lib/results.mjs';
import { benchArgs } from './lib/command-line.mjs';

const { values, positionals } = benchArgs(import.meta.url, {
  options: { svg: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length === 0) {
  console.error('usage: node tooling/bench/plot.mjs [--svg DIR] REPORT.json...');
  process.exit(2);
}
for (const file of positionals) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file}: not a benchmark JSON report (${error.message}); give files written by --json`,
    );
  }
  if (report.benchmark === undefined && Array.isArray(report.benchmarks)) {
    console.log(`${file}: a run-all summary, no plots of its own`);
    continue;
  }
  for (const path of writeFigures(report, values.svg ?? dirname(file))) {
    console.log(`wrote ${path}`);
  }
}
