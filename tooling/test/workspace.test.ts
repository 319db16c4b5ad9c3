// Checks the monorepo's own contracts: every package builds to ESM + CJS with declarations,
// `exports` lists `types` first, the built entry points load in both module systems, publishable
// packages share one changesets `fixed` group, and the apps stay private.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

      it('builds to ESM, CJS and declarations that load in both module systems', async () => {
        const main = pkg.exports['.'] as Record<string, ExportBranch>;
        const files = [main.import, main.require].flatMap((b) => (b ? [b.types, b.default] : []));
        for (const file of files) {
          expect(existsSync(join(dir, file)), `${pkg.name}: ${file} (run pnpm build)`).toBe(true);
        }
        const esmPath = main.import?.default ?? '';
        const cjsPath = main.require?.default ?? '';
        const esm = (await import(pathToFileURL(join(dir, esmPath)).href)) as object;
        // A plain Node process: vitest's workers resolve the `bond-source` condition, which would
        // send a CJS require of a workspace dependency to its TypeScript source.
        const cjsKeys = JSON.parse(
          execFileSync(process.execPath, [
            '-p',
            'JSON.stringify(Object.keys(require(process.argv[1])))',
            join(dir, cjsPath),
          ]).toString(),
        ) as string[];
        expect(Object.keys(esm).sort()).toEqual(cjsKeys.sort());
      });
    });
  }

  it('versions the publishable packages together and never publishes the apps', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8')) as {
      fixed: string[][];
      privatePackages: { version: boolean; tag: boolean };
    };
    const publishable = workspaces.map(readPackage).filter((pkg) => pkg.private !== true);
    const apps = workspaces.map(readPackage).filter((pkg) => pkg.private === true);
    expect(config.fixed).toHaveLength(1);
    expect([...(config.fixed[0] ?? [])].sort()).toEqual(publishable.map((p) => p.name).sort());
    // The apps and what only they share (`apps/common`).
    expect(apps.map((p) => p.name).sort()).toEqual([
      '@bond/app-common',
      '@bond/receiver',
      '@bond/sender',
    ]);
    expect(config.privatePackages).toEqual({ version: true, tag: false });
  });
});
