// Regression: with @bond/io-linux and @bond/io-apple moved to optionalDependencies, tsup bundled
// them into runtime's dist/, where they looked for their addon files beside runtime's dist/ and
// never found them. The build must import them as packages. The CommonJS entry is a re-export of
// the ES build (one module instance, tooling/tsup), so the ES build is where the imports are.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '..', 'dist');
const esm = join(dist, 'index.js');
const cjs = join(dist, 'index.cjs');
const built = existsSync(esm) && existsSync(cjs);

describe.skipIf(!built)(
  built ? 'runtime build' : 'runtime build (skipped: run `pnpm build`)',
  () => {
    it('imports the native packages instead of bundling them', () => {
      const code = readFileSync(esm, 'utf8');
      expect(code).toMatch(/import\(["']@bond\/io-linux["']\)/);
      expect(code).toMatch(/import\(["']@bond\/io-apple["']\)/);
      expect(code).not.toContain('bond_io_linux');
      expect(code).not.toContain('bond_io_apple');
    });

    it('has a CommonJS entry that re-exports the ES build, bundling nothing', () => {
      const code = readFileSync(cjs, 'utf8');
      expect(code).toMatch(/module\.exports = require\(["']\.\/index\.js["']\)/);
      expect(code).not.toContain('@bond/io-linux');
    });
  },
);
