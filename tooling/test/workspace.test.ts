// Checks the monorepo's own contracts: every package builds to ESM + CJS with declarations,
// `exports` lists `types` first, the built entry points load in both module systems as one module
// instance, publishable packages (the libraries and both apps) share one changesets `fixed` group,
// and only what the apps share (`apps/common`, bundled into them) stays private.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface ExportBranch {
  types: string;
  default: string;
}
interface PackageJson {
  name: string;
  private?: boolean;
  exports: Record<string, Record<string, ExportBranch | string> | string>;
  engines?: Record<string, string>;
}

// Folders without a package.json (packages/io-native-core: C sources the native packages copy in)
// are not workspace packages, as in vitest.config.ts and pnpm-workspace.yaml.
const workspaces = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .filter((dir) => existsSync(join(dir, 'package.json')));

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

describe('workspace packages', () => {
  it('has the packages and apps the architecture names', () => {
    const names = workspaces.map((dir) => readPackage(dir).name).sort();
    expect(names).toEqual([
      '@bond/app-common',
      '@bond/cluster',
      '@bond/core',
      '@bond/io',
      '@bond/io-apple',
      '@bond/io-linux',
      '@bond/receiver',
      '@bond/runtime',
      '@bond/sender',
      '@bond/wire',
    ]);
  });

  for (const dir of workspaces) {
    const pkg = readPackage(dir);

    describe(pkg.name, () => {
      it('lists types first in each exports branch, and supports Node >= 20.19', () => {
        const main = pkg.exports['.'];
        if (typeof main !== 'object') throw new Error('exports["."] must be an object');
        for (const branch of ['import', 'require'] as const) {
          const entry = main[branch];
          if (typeof entry !== 'object') throw new Error(`exports["."].${branch} missing`);
          expect(Object.keys(entry)[0]).toBe('types');
        }
        expect(pkg.engines?.node).toBe('>=20.19');
      });

      it('builds to ESM, CJS and declarations that load in both module systems as one instance', () => {
        const main = pkg.exports['.'] as Record<string, ExportBranch>;
        const files = [main.import, main.require].flatMap((b) => (b ? [b.types, b.default] : []));
        for (const file of files) {
          expect(existsSync(join(dir, file)), `${pkg.name}: ${file} (run pnpm build)`).toBe(true);
        }
        // A plain Node process: vitest's workers resolve the `bond-source` condition, which would
        // send a CJS require of a workspace dependency to its TypeScript source. It prints the
        // ESM build's export names and those whose CJS value is not the very same object.
        const script = `
          const { pathToFileURL } = require('node:url');
          const required = require(process.argv[1]);
          import(pathToFileURL(process.argv[2]).href).then((imported) => {
            const names = Object.keys(imported);
            const differ = names.filter((name) => required[name] !== imported[name]);
            const extra = Object.keys(required).filter((name) => !(name in imported));
            console.log(JSON.stringify({ names, differ, extra }));
          });`;
        const result = JSON.parse(
          execFileSync(process.execPath, [
            '-e',
            script,
            join(dir, main.require?.default ?? ''),
            join(dir, main.import?.default ?? ''),
          ]).toString(),
        ) as { names: string[]; differ: string[]; extra: string[] };
        expect(result.names.length).toBeGreaterThan(0);
        expect(result.differ).toEqual([]);
        expect(result.extra).toEqual([]);
      });
    });
  }

  it('versions the publishable packages, both apps included, together', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8')) as {
      fixed: string[][];
      privatePackages: { version: boolean; tag: boolean };
    };
    const publishable = workspaces.map(readPackage).filter((pkg) => pkg.private !== true);
    const unpublished = workspaces.map(readPackage).filter((pkg) => pkg.private === true);
    expect(config.fixed).toHaveLength(1);
    expect([...(config.fixed[0] ?? [])].sort()).toEqual(publishable.map((p) => p.name).sort());
    expect(publishable.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@bond/receiver', '@bond/sender']),
    );
    // What only the apps share, bundled into each of them.
    expect(unpublished.map((p) => p.name)).toEqual(['@bond/app-common']);
    expect(config.privatePackages).toEqual({ version: true, tag: false });
  });
});
