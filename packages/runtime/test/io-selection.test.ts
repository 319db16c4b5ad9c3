// The runtime's native package loading: an absent package (the installer skipped the optional
// dependency) is reported as not installed, other import failures keep their own error, and
// nothing throws; the dgram fallback warning says why and what to do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createMemoryNetwork, NativeBackendUnavailableError } from '@bond/io';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadPlatformNative,
  NativePackageMissingError,
  selectIoBackend,
  warnOnDgramFallback,
  type NativePackageName,
  type RuntimeLogger,
} from '../src/index.js';

// The error Node itself raises for a package that is not installed, captured in a child process
// run outside the workspace (in tests, vite resolves every import and require to the workspace's
// sources): ESM `import()` (the ESM build) or CJS `require` (the CJS build).
const dir = mkdtempSync(join(tmpdir(), 'bond-io-selection-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function nodeModuleError(specifier: string, system: 'esm' | 'cjs'): Error {
  const report = '(e) => console.log(JSON.stringify({ code: e.code, message: e.message }))';
  const script =
    system === 'esm'
      ? `import(${JSON.stringify(specifier)}).catch(${report})`
      : `try { require(${JSON.stringify(specifier)}) } catch (e) { (${report})(e) }`;
  const output = execFileSync(process.execPath, ['-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
  });
  const { code, message } = JSON.parse(output.toString()) as { code: string; message: string };
  return Object.assign(new Error(message), { code });
}

const absent =
  (system: 'esm' | 'cjs') =>
  (name: NativePackageName): Promise<unknown> =>
    Promise.reject(nodeModuleError(name, system));

interface Logged {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

function recordingLogger(): RuntimeLogger & { readonly lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('loadPlatformNative', () => {
  it.each([
    ['linux', 'esm'],
    ['linux', 'cjs'],
    ['darwin', 'esm'],
    ['darwin', 'cjs'],
  ] as const)(
    'on %s reports an absent native package (%s) as not installed, keeping the import error',
    async (platform, system) => {
      const name = platform === 'linux' ? '@bond/io-linux' : '@bond/io-apple';
      const status = await loadPlatformNative({ platform, importPackage: absent(system) });
      expect(status.backend).toBeUndefined();
      expect(status.loadError).toBeInstanceOf(NativePackageMissingError);
      expect(status.loadError?.message).toMatch(new RegExp(`^package ${name} is not installed`));
      expect((status.loadError?.cause as NodeJS.ErrnoException).code).toBe(
        system === 'esm' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND',
      );
    },
  );

  it('keeps a failure inside the package (its own dependency missing) as that failure', async () => {
    const inner = nodeModuleError('@bond/io-linux-dependency-not-installed', 'esm');
    const status = await loadPlatformNative({
      platform: 'linux',
      importPackage: () => Promise.reject(inner),
    });
    expect(status.loadError).toBe(inner);
  });

  it('reports a platform without a native package, and a package without a loader', async () => {
    const none = await loadPlatformNative({ platform: 'win32' });
    expect(none.loadError?.message).toBe('no native IO backend for win32');
    const odd = await loadPlatformNative({
      platform: 'linux',
      importPackage: () => Promise.resolve({}),
    });
    expect(odd.loadError?.message).toBe('@bond/io-linux has no loadNativeBackend()');
  });

  it('an absent package makes auto fall back to dgram with the reason; native fails', async () => {
    const loadNative = () =>
      loadPlatformNative({ platform: 'linux', importPackage: absent('esm') });
    const selection = await selectIoBackend('auto', {}, loadNative);
    expect(selection.backend.name).toBe('dgram');
    expect(selection.reason).toContain('package @bond/io-linux is not installed');
    await expect(selectIoBackend('native', {}, loadNative)).rejects.toBeInstanceOf(
      NativeBackendUnavailableError,
    );
  });
});

describe('warnOnDgramFallback', () => {
  it('warns once with the reason and how to install the missing package', async () => {
    const logger = recordingLogger();
    const selection = await selectIoBackend('auto', {}, () =>
      loadPlatformNative({ platform: 'linux', importPackage: absent('esm') }),
    );
    expect(warnOnDgramFallback(selection, logger)).toBe(selection);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.level).toBe('warn');
    expect(logger.lines[0]?.message).toMatch(/native IO backend unavailable: using dgram/);
    expect(logger.lines[0]?.fields?.reason).toContain('package @bond/io-linux is not installed');
    expect(logger.lines[0]?.fields?.fix).toMatch(
      /^install @bond\/io-linux .*BOND_IO_BACKEND=dgram/,
    );
  });

  it('for an addon that did not load, says where to build it from source, or to choose dgram', async () => {
    const logger = recordingLogger();
    const broken = new NativeBackendUnavailableError('@bond/io-linux addon did not load: test');
    const attempts = [
      { kind: 'prebuild', path: '/pkg/prebuilds/linux-x64/a.node', error: new Error('musl') },
      { kind: 'source build', path: '/pkg/native/build/Release/a.node', error: new Error('no') },
    ] as const;
    const selection = await selectIoBackend('auto', {}, () =>
      Promise.resolve({ backend: undefined, loadError: broken, attempts }),
    );
    warnOnDgramFallback(selection, logger);
    expect(logger.lines[0]?.fields?.reason).toBe(broken.message);
    expect(logger.lines[0]?.fields?.fix).toBe(
      'no prebuild fits this system and no source build loaded: with a C compiler and Python 3, ' +
        'run `npx node-gyp rebuild` in /pkg/native, or set BOND_IO_BACKEND=dgram to silence this warning',
    );
  });

  it('stays quiet when dgram was asked for, and when the native backend loaded', async () => {
    const logger = recordingLogger();
    const failing = () => Promise.resolve({ backend: undefined, loadError: new Error('no') });
    warnOnDgramFallback(await selectIoBackend('dgram', {}, failing), logger);
    warnOnDgramFallback(
      await selectIoBackend('auto', { BOND_IO_BACKEND: 'dgram' }, failing),
      logger,
    );
    const standIn = createMemoryNetwork().backend;
    const loaded = () => Promise.resolve({ backend: standIn, loadError: undefined });
    warnOnDgramFallback(await selectIoBackend('auto', {}, loaded), logger);
    expect(logger.lines).toEqual([]);
  });
});
