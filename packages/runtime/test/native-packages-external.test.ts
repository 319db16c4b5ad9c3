// Regression: with @bond/io-linux and @bond/io-apple moved to optionalDependencies, tsup bundled
// them into runtime's dist/, where they looked for their addon files beside runtime's dist/ and
// never found them. The build must import them as packages.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '..', 'dist');
const files = ['index.js', 'index.cjs'].map((name) => join(dist, name));
const built = files.every((file) => existsSync(file));

describe.skipIf(!built)(
  built ? 'runtime build' : 'runtime build (skipped: run `pnpm build`)',
  () => {
    it.each(files)('%s imports the native packages instead of bundling them', (file) => {
      const code = readFileSync(file, 'utf8');
      expect(code).toMatch(/(import\(|require\()["']@bond\/io-linux["']\)/);
      expect(code).toMatch(/(import\(|require\()["']@bond\/io-apple["']\)/);
      expect(code).not.toContain('bond_io_linux');
      expect(code).not.toContain('bond_io_apple');
    });
  },
);
