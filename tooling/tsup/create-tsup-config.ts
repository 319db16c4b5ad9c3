/**
 * The one tsup configuration every publishable package builds with.
 *
 * Output: ESM (`dist/*.js`), CJS (`dist/*.cjs`) and declarations for both (`.d.ts`, `.d.cts`), with
 * source maps, targeting the oldest Node we support. A package's `package.json` `exports` must list
 * `types` first in each branch, pointing at these files.
 *
 * Usage, in `packages/<name>/tsup.config.ts`:
 * ```ts
 * import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';
 * export default createTsupConfig();
 * ```
 */
import { defineConfig, type Options } from 'tsup';

export interface BondTsupOptions {
  /** Entry points relative to the package root. Default: `{ index: 'src/index.ts' }`. */
  entry?: Record<string, string>;
  /** Extra modules never bundled (dependencies are already external). */
  external?: string[];
}

export function createTsupConfig(options: BondTsupOptions = {}) {
  const config: Options = {
    entry: options.entry ?? { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    // 20.19: the oldest Node bond's runtime code supports (DEVELOPERS.md).
    target: 'node20.19',
    platform: 'node',
    dts: {
      // Declarations must be built from the package's own sources; the `bond-source` condition
      // would pull sibling packages' sources into the bundle.
      compilerOptions: { customConditions: [] },
    },
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    shims: false,
    outDir: 'dist',
    external: options.external ?? [],
  };
  return defineConfig(config);
}
