// Every benchmark script answers --help with what it measures and its options, and an option it
// does not know with one line naming it (no Node stack trace), before it starts anything. Some
// scripts import the built packages (packages/*/dist), so the runs need `pnpm build` first
// (`pnpm test` builds); without it they are skipped, visibly.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerComment, helpText } from '../bench/lib/command-line.mjs';

const benchDir = join(import.meta.dirname, '..', 'bench');
const scripts = readdirSync(benchDir).filter((name) => name.endsWith('.mjs'));
// The dist entries the scripts import at load (the import lines of tooling/bench/*.mjs).
const built = [
  'packages/cluster/dist/index.js',
  'packages/runtime/dist/index.js',
  'packages/wire/dist/index.js',
  'packages/wire/dist/testing.js',
  'packages/io-linux/dist/index.js',
].every((path) => existsSync(join(benchDir, '..', '..', path)));

function run(script: string, args: string[]) {
  return spawnSync(process.execPath, [join(benchDir, script), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('benchmark command lines', () => {
  it('finds the scripts', () => {
    expect(scripts).toContain('scale-bench.mjs');
    expect(scripts.length).toBeGreaterThanOrEqual(10);
  });

  it.skipIf(!built).each(scripts)(
    '%s --help prints its usage and options (needs pnpm build)',
    (script) => {
      const result = run(script, ['--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/\n\s*-h, --help\s+this text\n$/);
      expect(result.stdout.split('\n')[0]?.trim()).not.toBe('');
    },
  );

  it.skipIf(!built).each(scripts)(
    '%s refuses an unknown option in one line (needs pnpm build)',
    (script) => {
      const result = run(script, ['--no-such-option']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("Unknown option '--no-such-option'");
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('builds the help from the header comment and the options with their defaults', () => {
    const header = headerComment(
      '#!/usr/bin/env node\n// What it does.\n//\n// Usage: x\nimport a;\n// not this',
    );
    expect(header).toBe('What it does.\n\nUsage: x');
    const help = helpText(header, {
      groups: { type: 'string', default: '1,100' },
      quick: { type: 'boolean', default: false },
      svg: { type: 'string' },
    });
    expect(help).toContain('\n      --groups VALUE           (default 1,100)\n');
    expect(help).toContain('\n      --quick\n');
    expect(help).toContain('\n      --svg VALUE\n');
  });
});
