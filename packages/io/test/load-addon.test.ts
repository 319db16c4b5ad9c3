// Native addon candidates and loading in order, shared by @bond/io-linux and @bond/io-apple. The
// "addons" here are CommonJS files (require loads them as it loads a .node file), so the order
// and the reports are tested without a compiler; the native packages test real addons.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  addonCandidates,
  describeAttempts,
  detectLibc,
  loadFirstAddon,
  NativeBackendUnavailableError,
  prebuildPath,
  sourceBuildPath,
  type AddonCandidate,
} from '@bond/io';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bond-load-addon-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a CommonJS stand-in exporting `functions` (each returning `tag`) at `path`. */
function standIn(path: string, tag: string, functions: string[] = ['open', 'close']): string {
  mkdirSync(dirname(path), { recursive: true });
  const body = functions.map((name) => `exports.${name} = () => ${JSON.stringify(tag)};`);
  writeFileSync(path, body.join('\n'));
  return path;
}

interface Binding {
  open(): string;
}

describe('addonCandidates', () => {
  it('lists the platform-arch prebuild, then the source build', () => {
    const candidates = addonCandidates({
      packageDir: '/pkg',
      addon: 'bond_io_linux',
      platform: 'linux',
      arch: 'arm64',
      libc: 'glibc',
    });
    expect(candidates).toEqual([
      { kind: 'prebuild', path: join('/pkg', 'prebuilds', 'linux-arm64', 'bond_io_linux.node') },
      {
        kind: 'source build',
        path: join('/pkg', 'native', 'build', 'Release', 'bond_io_linux.node'),
      },
    ]);
    expect(candidates[0]?.path).toBe(prebuildPath('/pkg', 'bond_io_linux', 'linux', 'arm64'));
    expect(candidates[1]?.path).toBe(sourceBuildPath('/pkg', 'bond_io_linux'));
  });

  it('on musl marks the glibc prebuild skipped, with the reason', () => {
    const [prebuild, source] = addonCandidates({
      packageDir: '/pkg',
      addon: 'bond_io_linux',
      platform: 'linux',
      arch: 'x64',
      libc: 'musl',
    });
    expect(prebuild?.skip).toMatch(/built for glibc.*musl/);
    expect(source?.skip).toBeUndefined();
  });

  it('off Linux ignores the C library', () => {
    const candidates = addonCandidates({
      packageDir: '/pkg',
      addon: 'bond_io_apple',
      platform: 'darwin',
      arch: 'arm64',
      libc: 'musl',
    });
    expect(candidates[0]).toEqual({
      kind: 'prebuild',
      path: join('/pkg', 'prebuilds', 'darwin-arm64', 'bond_io_apple.node'),
    });
  });
});

/** What `ldd --version` says this system's C library is (musl's ldd prints to stderr, exit 1). */
function lddLibc(): 'glibc' | 'musl' | undefined {
  const run = spawnSync('ldd', ['--version'], { encoding: 'utf8' });
  const text = `${run.stdout}${run.stderr}`;
  return /musl/i.test(text) ? 'musl' : /GNU libc|GLIBC/i.test(text) ? 'glibc' : undefined;
}

describe('detectLibc', () => {
  const expected = process.platform === 'linux' ? lddLibc() : undefined;
  it.skipIf(process.platform === 'linux' && expected === undefined)(
    "agrees with ldd, and leaves the report's network setting as it was (skipped: no ldd)",
    () => {
      const reporter = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
      const before = reporter.excludeNetwork;
      expect(detectLibc()).toBe(expected);
      expect(reporter.excludeNetwork).toBe(before);
    },
  );
});

describe('loadFirstAddon', () => {
  const functions = ['open', 'close'];

  it('loads the first candidate that loads and reports it, with nothing tried before', () => {
    const first = standIn(join(dir, 'a', 'first.cjs'), 'first');
    const second = standIn(join(dir, 'a', 'second.cjs'), 'second');
    const load = loadFirstAddon<Binding>(
      '@bond/test',
      [
        { kind: 'prebuild', path: first },
        { kind: 'source build', path: second },
      ],
      functions,
    );
    expect(load.binding?.open()).toBe('first');
    expect(load.addon).toEqual({ kind: 'prebuild', path: first });
    expect(load.attempts).toEqual([]);
  });

  it('skips missing, skipped and incomplete candidates, listing each with its reason', () => {
    const missing = join(dir, 'b', 'missing.cjs');
    const skipped = standIn(join(dir, 'b', 'skipped.cjs'), 'skipped');
    const incomplete = standIn(join(dir, 'b', 'incomplete.cjs'), 'incomplete', ['open']);
    const good = standIn(join(dir, 'b', 'good.cjs'), 'good');
    const candidates: AddonCandidate[] = [
      { kind: 'prebuild', path: missing },
      { kind: 'prebuild', path: skipped, skip: 'skipped: not for this system' },
      { kind: 'prebuild', path: incomplete },
      { kind: 'source build', path: good },
    ];
    const load = loadFirstAddon<Binding>('@bond/test', candidates, functions);
    expect(load.binding?.open()).toBe('good');
    expect(load.addon).toEqual({ kind: 'source build', path: good });
    expect(load.attempts.map((attempt) => [attempt.path, attempt.error.message])).toEqual([
      [missing, expect.stringMatching(/^ENOENT/) as unknown],
      [skipped, 'skipped: not for this system'],
      [incomplete, 'addon lacks close'],
    ]);
  });

  it('with none loading, reports every candidate in one line and keeps each error', () => {
    const broken = join(dir, 'c', 'broken.cjs');
    mkdirSync(dirname(broken), { recursive: true });
    writeFileSync(broken, 'this is not JavaScript (');
    const missing = join(dir, 'c', 'missing.cjs');
    const load = loadFirstAddon<Binding>(
      '@bond/test',
      [
        { kind: 'prebuild', path: broken },
        { kind: 'source build', path: missing },
      ],
      functions,
    );
    expect(load.binding).toBeUndefined();
    expect(load.addon).toBeUndefined();
    expect(load.loadError).toBeInstanceOf(NativeBackendUnavailableError);
    expect(load.loadError?.message).toContain(
      `@bond/test addon did not load: prebuild ${broken}: `,
    );
    expect(load.loadError?.message).toContain(`; source build ${missing}: not found (ENOENT)`);
    expect(load.loadError?.message).not.toContain('\n');
    const cause = load.loadError?.cause as AggregateError;
    expect(cause).toBeInstanceOf(AggregateError);
    expect(cause.errors).toEqual(load.attempts.map((attempt) => attempt.error));
    expect(describeAttempts(load.attempts)).toBe(
      load.loadError?.message.split('did not load: ')[1]?.split(' (build it')[0],
    );
  });

  it('with one candidate, keeps its error as the cause', () => {
    const missing = join(dir, 'd', 'missing.cjs');
    const load = loadFirstAddon('@bond/test', [{ kind: 'given path', path: missing }], functions);
    expect((load.loadError?.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
  });
});
