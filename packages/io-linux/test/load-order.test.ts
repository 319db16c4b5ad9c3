// Which addon file loads: this platform's prebuild first, then the node-gyp source build, else
// unavailable with every file's reason; the status says which file loaded and from where.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { addonCandidates, NativeBackendUnavailableError, selectBackend } from '@bond/io';
import {
  defaultAddonPath,
  linuxAddonCandidates,
  loadLinuxBackend,
  prebuildAddonPath,
} from '@bond/io-linux';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bond-load-order-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const linux = process.platform === 'linux';
const prebuilt = linux && existsSync(prebuildAddonPath());
const sourceBuilt = linux && existsSync(defaultAddonPath());

/** A package folder in `dir` with the given prebuild and source-build files. */
function packageWith(name: string, prebuild: 'corrupt' | 'missing', source: 'built' | 'missing') {
  const packageDir = join(dir, name);
  const candidates = addonCandidates({ packageDir, addon: 'bond_io_linux' });
  const [prebuildFile, sourceFile] = candidates.map((candidate) => candidate.path);
  if (prebuildFile === undefined || sourceFile === undefined) throw new Error('two candidates');
  if (prebuild === 'corrupt') {
    mkdirSync(dirname(prebuildFile), { recursive: true });
    writeFileSync(prebuildFile, 'not an ELF file');
  }
  if (source === 'built') {
    mkdirSync(dirname(sourceFile), { recursive: true });
    copyFileSync(defaultAddonPath(), sourceFile);
  }
  return { candidates, prebuildFile, sourceFile };
}

describe.skipIf(!linux)('addon load order (Linux)', () => {
  it('tries the prebuild for this platform and architecture, then the source build', () => {
    const candidates = linuxAddonCandidates();
    expect(candidates.map((candidate) => candidate.kind)).toEqual(['prebuild', 'source build']);
    expect(candidates[0]?.path).toBe(prebuildAddonPath());
    expect(candidates[0]?.path).toMatch(
      new RegExp(`prebuilds/linux-${process.arch}/bond_io_linux\\.node$`),
    );
    expect(candidates[1]?.path).toBe(defaultAddonPath());
  });

  it.skipIf(!prebuilt)(
    'loads the prebuild first and reports it (skipped: no prebuild for this architecture)',
    async () => {
      const status = loadLinuxBackend();
      expect(status.backend?.name).toBe('linux-mmsg');
      expect(status.addon).toEqual({ kind: 'prebuild', path: prebuildAddonPath() });
      expect(status.attempts).toEqual([]);
      const selection = await selectBackend({ loadNative: () => Promise.resolve(status), env: {} });
      expect(selection.reason).toBe(
        `linux-mmsg: native backend loaded (prebuild ${prebuildAddonPath()})`,
      );
      expect(selection.addon).toEqual(status.addon);
    },
  );

  it.skipIf(!sourceBuilt)(
    'a corrupt prebuild falls back to the source build, listing the prebuild and its error (skipped: no source build)',
    async () => {
      const { candidates, prebuildFile, sourceFile } = packageWith('corrupt', 'corrupt', 'built');
      const status = loadLinuxBackend(candidates);
      expect(status.backend?.name).toBe('linux-mmsg');
      expect(status.addon).toEqual({ kind: 'source build', path: sourceFile });
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]).toMatchObject({ kind: 'prebuild', path: prebuildFile });
      expect(status.attempts[0]?.error.message).toMatch(/invalid ELF header|file too short/);
      const selection = await selectBackend({ loadNative: () => Promise.resolve(status), env: {} });
      expect(selection.reason).toContain(`(source build ${sourceFile})`);
      expect(selection.reason).toContain(`not loaded: prebuild ${prebuildFile}: `);
    },
  );

  it.skipIf(!sourceBuilt)(
    'a missing prebuild falls back to the source build (skipped: no source build)',
    () => {
      const { candidates, prebuildFile, sourceFile } = packageWith('missing', 'missing', 'built');
      const status = loadLinuxBackend(candidates);
      expect(status.addon).toEqual({ kind: 'source build', path: sourceFile });
      expect(status.attempts[0]).toMatchObject({ kind: 'prebuild', path: prebuildFile });
      expect(status.attempts[0]?.error.message).toMatch(/ENOENT/);
    },
  );

  it('with neither file loading, is unavailable and says why for each, never throwing', async () => {
    const { candidates, prebuildFile, sourceFile } = packageWith('none', 'corrupt', 'missing');
    const status = loadLinuxBackend(candidates);
    expect(status.backend).toBeUndefined();
    expect(status.addon).toBeUndefined();
    expect(status.attempts.map((attempt) => attempt.kind)).toEqual(['prebuild', 'source build']);
    expect(status.loadError).toBeInstanceOf(NativeBackendUnavailableError);
    expect(status.loadError?.message).toContain(`prebuild ${prebuildFile}: `);
    expect(status.loadError?.message).toContain(`source build ${sourceFile}: not found (ENOENT)`);
    const cause = status.loadError?.cause;
    expect(cause).toBeInstanceOf(AggregateError);
    expect((cause as AggregateError).errors).toHaveLength(2);
    const selection = await selectBackend({ loadNative: () => Promise.resolve(status), env: {} });
    expect(selection.backend.name).toBe('dgram');
    expect(selection.attempts).toBe(status.attempts);
  });

  it.skipIf(!sourceBuilt)(
    'on musl skips the glibc prebuild, saying so, and loads the source build (skipped: no source build)',
    () => {
      const { prebuildFile, sourceFile } = packageWith('musl', 'missing', 'built');
      // A real prebuild where the musl skip must keep the loader away from it.
      mkdirSync(dirname(prebuildFile), { recursive: true });
      copyFileSync(defaultAddonPath(), prebuildFile);
      const packageDir = join(dir, 'musl');
      const candidates = addonCandidates({ packageDir, addon: 'bond_io_linux', libc: 'musl' });
      const status = loadLinuxBackend(candidates);
      expect(status.addon).toEqual({ kind: 'source build', path: sourceFile });
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]?.path).toBe(prebuildFile);
      expect(status.attempts[0]?.error.message).toMatch(/glibc.*musl/);
    },
  );
});
