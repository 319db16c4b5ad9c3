/**
 * The one tsup configuration every publishable package builds with.
 *
 * Output: ESM (`dist/*.js`, the one implementation), a CommonJS entry per entry point
 * (`dist/*.cjs`) that only re-exports the ESM build, and declarations for both (`.d.ts`, `.d.cts`),
 * with source maps, targeting the oldest Node we support. A package's `package.json` `exports` must
 * list `types` first in each branch, pointing at these files.
 *
 * One instance per module, whatever the module system: `dist/<entry>.cjs` is
 * `module.exports = require('./<entry>.js')`, so `require('@bond/x')` and `import '@bond/x'` share
 * the ESM module instance, its classes and its state. Node loads ES modules with `require()`, with
 * no flag and no warning, from 20.19 on the 20.x line and from 22.12 on the 22.x line (22.0 to
 * 22.11 need `--experimental-require-module`; their `import` users are unaffected). A second,
 * CommonJS copy of the code would give `instanceof` checks and module state (loaded addons,
 * caches) two answers: the dual-package hazard. The ESM build splits code shared by several
 * entries into chunks, for the same reason within a package (`@bond/io` and `@bond/io/testing`
 * share one `ReceiveBatch`). Contract for every built module: no top-level `await` (`require()` of
 * an ES module refuses it) and no default export (`require()` then returns the namespace object
 * itself, named exports as properties); the workspace test checks both through the built entries.
 *
 * Usage, in `packages/<name>/tsup.config.ts`:
 * ```ts
 * import { createTsupConfig } from '../../tooling/tsup/create-tsup-config.js';
 * export default createTsupConfig();
 * ```
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';

export interface BondTsupOptions {
  /** Entry points relative to the package root. Default: `{ index: 'src/index.ts' }`. */
  entry?: Record<string, string>;
  /** Extra modules never bundled (dependencies are already external). */
  external?: string[];
  /**
   * Modules bundled although listed in `package.json` (a private workspace package an app ships
   * inside its own dist, kept in `devDependencies`).
   */
  noExternal?: string[];
}

/** Plugin type taken from tsup's options (tsup does not export it by name). */
type TsupPlugin = NonNullable<Options['plugins']>[number];

/** The whole CommonJS entry for `dist/<name>.cjs`: it loads `dist/<name>.js`, the ESM build. */
function cjsReexport(entryName: string): string {
  return (
    `'use strict';\n` +
    `// ${entryName}.cjs: CommonJS consumers get the ES module itself (one instance; Node >= 20.19).\n` +
    `module.exports = require('./${entryName}.js');\n`
  );
}

/**
 * Overwrites each CommonJS entry tsup wrote with {@link cjsReexport} and removes its source map
 * (no line of a re-export comes from a source file). tsup still compiles the CommonJS format so
 * that its declaration build writes the `.d.cts` files; the code it bundled there is dropped.
 */
function cjsReexportPlugin(entryNames: readonly string[]): TsupPlugin {
  return {
    name: 'bond-cjs-reexport',
    async buildEnd({ writtenFiles }) {
      if (this.format !== 'cjs') return;
      const written = new Set(writtenFiles.map((file) => resolve(file.name)));
      for (const name of entryNames) {
        const entry = resolve(this.options.outDir, `${name}.cjs`);
        if (!written.has(entry)) throw new Error(`bond-cjs-reexport: tsup wrote no ${entry}`);
        await writeFile(entry, cjsReexport(name));
        await rm(`${entry}.map`, { force: true });
      }
    },
  };
}

/**
 * TypeScript `paths` from each named workspace package's import specifiers to its sources (the
 * `bond-source` condition of each of its `exports`), resolved from the package being built.
 */
function sourcePaths(names: readonly string[]): Record<string, string[]> {
  const require = createRequire(join(process.cwd(), 'package.json'));
  const paths: Record<string, string[]> = {};
  for (const name of names) {
    const manifest = require.resolve(`${name}/package.json`);
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports?: Record<string, { 'bond-source'?: string } | string>;
    };
    for (const [subpath, target] of Object.entries(exports ?? {})) {
      if (typeof target !== 'object' || target['bond-source'] === undefined) continue;
      paths[name + subpath.slice(1)] = [join(dirname(manifest), target['bond-source'])];
    }
  }
  return paths;
}

export function createTsupConfig(options: BondTsupOptions = {}) {
  const entry = options.entry ?? { index: 'src/index.ts' };
  const config: Options = {
    entry,
    format: ['esm', 'cjs'],
    // 20.19: the oldest Node bond's runtime code supports (DEVELOPERS.md); also the first 20.x
    // that loads ES modules with require(), which the CommonJS entries rely on.
    target: 'node20.19',
    platform: 'node',
    dts: {
      // Declarations must be built from the package's own sources; the `bond-source` condition
      // would pull sibling packages' sources into the bundle.
      // A bundled package's types are inlined from its sources too: the published declarations
      // must not name it (its built declarations split into chunks the bundle cannot follow).
      compilerOptions: { customConditions: [], paths: sourcePaths(options.noExternal ?? []) },
      resolve: options.noExternal ?? [],
    },
    sourcemap: true,
    clean: true,
    // Left to tsup: code splitting for ESM (shared chunks between entries), none for CommonJS
    // (whose entries are re-exports).
    treeshake: true,
    shims: false,
    outDir: 'dist',
    external: options.external ?? [],
    noExternal: options.noExternal ?? [],
    plugins: [cjsReexportPlugin(Object.keys(entry))],
  };
  return defineConfig(config);
}
