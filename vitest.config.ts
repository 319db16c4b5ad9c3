// One vitest run covers the whole monorepo: a project per package and app, plus tooling's own
// checks. Workspace packages resolve to their sources through the `bond-source` export condition,
// so tests never run against a stale build.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './tooling/vitest/summary-reporter.js';

const root = import.meta.dirname;
const conditions = ['bond-source', 'node', 'import', 'module', 'default'];

const projectDirs = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => `${group}/${name}`))
  .concat('tooling', 'tooling/linkem', 'tooling/stand')
  .filter((dir) => existsSync(join(root, dir, 'package.json')));

export default defineConfig({
  test: {
    projects: projectDirs.map((dir) => ({
      extends: true,
      test: {
        name: dir,
        root: join(root, dir),
        // Slow, timing-dependent suites live under test/slow and run only with `pnpm test:slow`.
        include: process.env.BOND_SLOW === '1' ? ['test/slow/**/*.test.ts'] : ['test/**/*.test.ts'],
        exclude:
          process.env.BOND_SLOW === '1'
            ? ['**/node_modules/**']
            : ['test/slow/**', '**/node_modules/**'],
      },
    })),
    passWithNoTests: process.env.BOND_SLOW === '1',
    reporters: ['default', new SummaryReporter()],
  },
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['bond-source'] } },
});
