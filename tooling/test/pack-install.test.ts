// bond as a new user gets it: every publishable package packed with `pnpm pack`, installed with
// plain npm into a fresh project outside the workspace (and the two CLIs with `npm install -g`
// into a temporary prefix), then used from there:
// - `require()` and `import` of every package give the same module instance (the dual-package
//   hazard made `createReceiver` fail from CommonJS with BOND_ERR_IO_ARGUMENT);
// - every TypeScript/JavaScript example in the packages' READMEs runs as written, as ESM and as
//   CommonJS, on loopback, and ends by itself;
// - a TypeScript consumer type-checks with `moduleResolution` `node16` (ESM and CommonJS files)
//   and `bundler`;
// - `bond-receiver` and `bond-sender` from the global install answer `--help`, `--version` and
//   `--doctor`, and carry a real SRT stream (srt-live-transmit at both ends) over two loopback
//   uplinks with every payload delivered once and in order, on the IO backend the installed
//   `@bond/io-linux` provides (`linux-mmsg` when it ships a `.node` addon, else `dgram`).
//
// Runs against the built packages (`pnpm test` builds first; a missing dist is built here). npm
// fetches the third-party dependencies (protobufjs, prom-client) from its cache or the registry.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StreamMeter,
  freeTcpPort,
  freeUdpPort,
  hasSrtLiveTransmit,
  openStreamEnds,
  stampedPayload,
  startProcess,
  type StartedProcess,
  type StreamEnds,
} from '@bond/stand';

const root = join(import.meta.dirname, '..', '..');
const PNPM = ['-y', 'pnpm@10.34.9'];
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The packages users install: every workspace package under packages/ and apps/ not private. */
const PUBLISHED = [
  '@bond/cluster',
  '@bond/core',
  '@bond/io',
  '@bond/io-apple',
  '@bond/io-linux',
  '@bond/receiver',
  '@bond/runtime',
  '@bond/sender',
  '@bond/wire',
];
const APPS = ['@bond/receiver', '@bond/sender'];

interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  readonly version: string;
  readonly private: boolean;
  /** Whether npm installs it here: its `os` and `cpu` fields (if any) name this platform. */
  readonly installable: boolean;
}

function workspacePackages(): WorkspacePackage[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group)).flatMap((entry) => {
      const manifest = join(root, group, entry, 'package.json');
      if (!existsSync(manifest)) return [];
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name: string;
        version: string;
        private?: boolean;
        os?: string[];
        cpu?: string[];
      };
      return [
        {
          name: json.name,
          dir: join(root, group, entry),
          version: json.version,
          private: json.private === true,
          installable:
            (json.os?.includes(process.platform) ?? true) &&
            (json.cpu?.includes(process.arch) ?? true),
        },
      ];
    }),
  );
}

const packages = workspacePackages().filter((p) => !p.private);
/** What npm installs here (not @bond/io-apple on Linux: npm refuses it, EBADPLATFORM). */
const installable = packages.filter((p) => p.installable).map((p) => p.name);

/** A fenced `ts` or `js` block of a README: the examples users copy. */
function readmeExamples(readme: string): string[] {
  return [...readme.matchAll(/^```(?:ts|js)\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

/** Examples per library package, read from the workspace (the run reads the installed copy). */
const examples = packages
  .filter((p) => !APPS.includes(p.name))
  .flatMap((p) => {
    const readme = join(p.dir, 'README.md');
    const blocks = existsSync(readme) ? readmeExamples(readFileSync(readme, 'utf8')) : [];
    return blocks.map((_, index) => ({ name: p.name, index, installable: p.installable }));
  });

interface Run {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Every child started by `run`, killed in afterAll if a failure left one running. */
const children = new Set<ChildProcess>();
/** Every long-running process of the stream test, stopped in its `finally` and in afterAll. */
const processes: StartedProcess[] = [];

/** npm and node see none of pnpm's npm_config_* settings (vitest may run under `pnpm test`). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(key)) env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}

/** Runs a command to its end, killed (SIGKILL) after `timeoutMs`. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const done = (code: number | string) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    };
    child.on('exit', (code, signal) => {
      done(code ?? signal ?? 'unknown');
    });
    child.on('error', (error) => {
      done(error.message);
    });
  });
}

function describeRun(what: string, result: Run): string {
  return `${what}: exit ${result.code}\n--- stdout\n${result.stdout.slice(-3000)}\n--- stderr\n${result.stderr.slice(-3000)}`;
}

/** Files under `dir` (recursively) whose name ends with `suffix`. */
function filesEnding(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith(suffix))
    .sort();
}

let workDir = '';
let project = '';
let prefix = '';
const tarballs = new Map<string, string>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'bond-pack-'));
  const packs = join(workDir, 'packs');
  project = join(workDir, 'project');
  prefix = join(workDir, 'global');
  mkdirSync(packs);
  mkdirSync(project);

  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, 'dist', 'index.js')));
  if (unbuilt.length > 0) {
    const build = await run('npx', [...PNPM, 'build'], { cwd: root, timeoutMs: 240_000 });
    if (build.code !== 0) throw new Error(describeRun('pnpm build', build));
  }

  for (const p of packages) {
    const pack = await run('npx', [...PNPM, 'pack', '--pack-destination', packs], {
      cwd: p.dir,
      timeoutMs: 60_000,
      env: process.env,
    });
    if (pack.code !== 0) throw new Error(describeRun(`pnpm pack ${p.name}`, pack));
    const tarball = pack.stdout.trim().split('\n').pop() ?? '';
    if (!existsSync(tarball)) throw new Error(`pnpm pack ${p.name} made no ${tarball}`);
    tarballs.set(p.name, tarball);
  }
  for (const [name, tarball] of tarballs) {
    console.log(
      `packed ${name}: ${basename(tarball)} ${(statSync(tarball).size / 1024).toFixed(1)} KiB`,
    );
  }

  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'bond-consumer', version: '1.0.0', private: true }, null, 2),
  );
  const npmArgs = ['--prefer-offline', '--no-audit', '--no-fund'];
  // Only this platform's: @bond/runtime's optional native packages for other platforms are
  // skipped by npm as they would be from the registry.
  const here = installable.map((name) => tarballs.get(name) ?? '');
  const elsewhere = packages.filter((p) => !p.installable).map((p) => p.name);
  console.log(`not for ${process.platform}-${process.arch}: ${elsewhere.join(', ') || 'none'}`);
  const install = await run('npm', ['install', ...npmArgs, ...here], {
    cwd: project,
    timeoutMs: 180_000,
  });
  if (install.code !== 0) throw new Error(describeRun('npm install (project)', install));
  console.log(
    `npm install of ${here.length} tarballs into a fresh project: ${install.ms.toFixed(0)} ms`,
  );
  // Every tarball at once: the apps' @bond/* dependencies are not on the registry yet.
  const global = await run(
    'npm',
    ['install', '--global', '--prefix', prefix, ...npmArgs, ...here],
    { cwd: workDir, timeoutMs: 180_000 },
  );
  if (global.code !== 0) throw new Error(describeRun('npm install --global', global));
  console.log(`npm install --global of the tarballs: ${global.ms.toFixed(0)} ms`);
}, 600_000);

afterAll(async () => {
  for (const started of processes.splice(0)) await started.stop();
  for (const child of children) child.kill('SIGKILL');
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

describe('bond from its tarballs, installed with npm', { timeout: 300_000 }, () => {
  it('packs every publishable package: the libraries and both apps', () => {
    expect([...tarballs.keys()].sort()).toEqual(PUBLISHED);
    for (const name of APPS) {
      const installed = join(project, 'node_modules', name);
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      expect(Object.keys(manifest.dependencies ?? {})).not.toContain('@bond/app-common');
      // @bond/app-common is bundled: no shipped module imports it, and npm did not install it.
      const files = [
        ...filesEnding(join(installed, 'dist'), '.js'),
        ...filesEnding(join(installed, 'dist'), '.cjs'),
        ...filesEnding(join(installed, 'dist'), '.ts'),
      ];
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        expect(readFileSync(join(installed, 'dist', file), 'utf8'), file).not.toMatch(
          /(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"]@bond\/app-common/,
        );
      }
    }
    expect(existsSync(join(project, 'node_modules', '@bond', 'app-common'))).toBe(false);
  });

  it('gives require() and import the same module instance of every package', async () => {
    const script = join(project, 'one-instance.cjs');
    writeFileSync(
      script,
      `'use strict';
const names = ${JSON.stringify(installable)};
(async () => {
  const problems = [];
  for (const name of names) {
    const required = require(name);
    const imported = await import(name);
    const keys = Object.keys(imported);
    if (keys.length === 0) problems.push(name + ': exports nothing');
    for (const key of keys) if (required[key] !== imported[key]) problems.push(name + '.' + key);
  }
  console.log(JSON.stringify(problems));
})();
`,
    );
    const result = await run(process.execPath, [script], { cwd: project, timeoutMs: 30_000 });
    expect(result.code, describeRun('one-instance.cjs', result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
    // Node >= 20.19 loads ES modules with require() without an experimental warning.
    expect(result.stderr).not.toMatch(/ExperimentalWarning/);
  });

  it('ships a README with a runnable example in every library package', async () => {
    for (const p of packages.filter((candidate) => !APPS.includes(candidate.name))) {
      // Read from the tarball: packages for other platforms are not installed here.
      const readme = await run('tar', ['-xzOf', tarballs.get(p.name) ?? '', 'package/README.md'], {
        cwd: workDir,
        timeoutMs: 20_000,
      });
      expect(readme.code, `${p.name} ships README.md`).toBe(0);
      const shipped = readmeExamples(readme.stdout);
      expect(shipped.length, `${p.name}'s README has a ts example`).toBeGreaterThan(0);
      expect(shipped.length).toBe(examples.filter((e) => e.name === p.name).length);
    }
  });

  describe.each(examples)('$name README example $index', ({ name, index, installable: here }) => {
    const source = (): string => {
      const readme = readFileSync(join(project, 'node_modules', name, 'README.md'), 'utf8');
      const block = readmeExamples(readme)[index];
      if (block === undefined) throw new Error(`${name} README has no example ${index}`);
      return block;
    };
    const file = (extension: string): string =>
      join(project, `example-${name.replace(/[@/]/g, '_')}-${index}.${extension}`);

    it.skipIf(!here)('runs as written as an ES module', async () => {
      const output = ts.transpileModule(source(), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(file('mjs'), output);
      const result = await run(process.execPath, [file('mjs')], {
        cwd: project,
        timeoutMs: 30_000,
      });
      expect(result.code, describeRun(file('mjs'), result)).toBe(0);
      expect(result.stderr).not.toMatch(/ExperimentalWarning/);
    });

    it.skipIf(!here)(
      'runs as CommonJS (require), top-level await in an async function',
      async () => {
        const output = ts.transpileModule(source(), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        expect(output).toMatch(/require\("@bond\//);
        writeFileSync(
          file('cjs'),
          `(async () => {\n${output}\n})().catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`,
        );
        const result = await run(process.execPath, [file('cjs')], {
          cwd: project,
          timeoutMs: 30_000,
        });
        expect(result.code, describeRun(file('cjs'), result)).toBe(0);
        expect(result.stderr).not.toMatch(/ExperimentalWarning/);
      },
    );
  });

  it('type-checks a TypeScript consumer with moduleResolution node16 and bundler', async () => {
    const types = join(project, 'types');
    mkdirSync(types, { recursive: true });
    // One import from every package installed here (io-apple only where npm installs it).
    const imported = [
      ['ClusterStore', '@bond/cluster'],
      ['SenderEngine', '@bond/core'],
      ['openSocket', '@bond/io'],
      ['loadNativeBackend as loadApple', '@bond/io-apple'],
      ['loadNativeBackend as loadLinux', '@bond/io-linux'],
      ['parseCommandLine as parseReceiverCommandLine', '@bond/receiver'],
      ['createReceiver, createSender, type CreateSenderOptions', '@bond/runtime'],
      ['parseCommandLine as parseSenderCommandLine', '@bond/sender'],
      ['Address, WireDecodeError', '@bond/wire'],
    ].filter(([, from]) => installable.includes(from ?? ''));
    expect(imported.map(([, from]) => from).sort()).toEqual([...installable].sort());
    const imports = `${imported.map(([names, from]) => `import { ${names} } from '${from}';`).join('\n')}

export const options: CreateSenderOptions = {
  listen: { port: 0 },
  receiver: { host: '127.0.0.1', port: 5000 },
  links: [{ bindAddress: '127.0.0.1', name: 'lo' }],
};
export const used = [${imported
      .flatMap(([names]) => (names ?? '').split(', '))
      .filter((name) => !name.startsWith('type '))
      .map((name) => name.split(' as ').pop())
      .join(', ')}];
export const address: Address | undefined = Address.parse('127.0.0.1', 5000);
`;
    writeFileSync(join(types, 'consumer.mts'), imports);
    writeFileSync(join(types, 'consumer.cts'), imports);
    writeFileSync(join(types, 'consumer.ts'), imports);
    const exampleFiles: string[] = [];
    for (const { name, index } of examples.filter((example) => example.installable)) {
      const readme = readFileSync(join(project, 'node_modules', name, 'README.md'), 'utf8');
      const fileName = `example-${name.replace(/[@/]/g, '_')}-${index}.mts`;
      writeFileSync(join(types, fileName), `${readmeExamples(readme)[index] ?? ''}\nexport {};\n`);
      exampleFiles.push(fileName);
    }
    const base = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'es2022',
      lib: ['es2023'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    };
    const configs = {
      // .mts: ESM, resolved with `import`; .cts: CommonJS, resolved with `require` (.d.cts).
      node16: {
        compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' },
        files: ['consumer.mts', 'consumer.cts', ...exampleFiles],
      },
      bundler: {
        compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' },
        files: ['consumer.ts', ...exampleFiles],
      },
    };
    for (const [mode, config] of Object.entries(configs)) {
      const path = join(types, `tsconfig.${mode}.json`);
      writeFileSync(path, JSON.stringify(config, null, 2));
      const result = await run(process.execPath, [TSC, '-p', path], {
        cwd: types,
        timeoutMs: 120_000,
      });
      expect(result.code, describeRun(`tsc (${mode})`, result)).toBe(0);
    }
  });

  describe.each([
    { app: '@bond/receiver', bin: 'bond-receiver' },
    { app: '@bond/sender', bin: 'bond-sender' },
  ])('$bin installed with npm install --global', ({ app, bin }) => {
    const version = (): string =>
      (
        JSON.parse(
          readFileSync(join(prefix, 'lib', 'node_modules', app, 'package.json'), 'utf8'),
        ) as { version: string }
      ).version;

    it('answers --help and --version from the global bin', async () => {
      const help = await run(join(prefix, 'bin', bin), ['--help'], {
        cwd: workDir,
        timeoutMs: 20_000,
      });
      expect(help.code, describeRun(`${bin} --help`, help)).toBe(0);
      expect(help.stdout).toContain(`${bin} SRT`);
      const versionRun = await run(join(prefix, 'bin', bin), ['--version'], {
        cwd: workDir,
        timeoutMs: 20_000,
      });
      expect(versionRun.code, describeRun(`${bin} --version`, versionRun)).toBe(0);
      expect(versionRun.stdout.trim()).toBe(`${bin} ${version()}`);
    });

    it(`runs as \`npx ${app}\` (its one bin) in the project that installed it`, async () => {
      const result = await run('npx', ['--no-install', app, '--version'], {
        cwd: project,
        timeoutMs: 30_000,
      });
      expect(result.code, describeRun(`npx ${app} --version`, result)).toBe(0);
      expect(result.stdout.trim()).toBe(`${bin} ${version()}`);
    });
  });

  it.skipIf(!hasSrtLiveTransmit())(
    'carries a real SRT stream through the installed bond-sender and bond-receiver, in order',
    async () => {
      // The backend the installed packages must pick: native when io-linux ships an addon.
      const ioLinux = join(prefix, 'lib', 'node_modules', '@bond', 'io-linux');
      const addons = filesEnding(ioLinux, '.node');
      const expected = process.platform === 'linux' && addons.length > 0 ? 'linux-mmsg' : 'dgram';
      console.log(
        `installed @bond/io-linux ships ${addons.length === 0 ? 'no .node addon' : addons.join(', ')}: expecting the ${expected} backend`,
      );
      // A prebuild for this platform-arch (glibc only on Linux) is what loads, not a source build.
      const platformArch = `${process.platform}-${process.arch}`;
      const prebuilt =
        addons.some((file) => file.startsWith(join('prebuilds', platformArch) + '/')) &&
        (process.platform !== 'linux' || (await runsOnGlibc()));
      for (const bin of ['bond-receiver', 'bond-sender']) {
        const doctor = await run(join(prefix, 'bin', bin), ['--doctor'], {
          cwd: workDir,
          timeoutMs: 20_000,
        });
        const lines = doctor.stdout.split('\n');
        const backend = lines.find((l) => l.includes('io backend')) ?? '';
        const addon = lines.find((l) => l.includes('io addon')) ?? '';
        console.log(`${bin} --doctor:\n  ${backend.trim()}\n  ${addon.trim()}`);
        expect(backend, describeRun(`${bin} --doctor`, doctor)).toMatch(
          new RegExp(`io backend\\s+${expected}\\b`),
        );
        if (prebuilt) {
          expect(addon, describeRun(`${bin} --doctor`, doctor)).toMatch(
            new RegExp(`prebuild \\S*prebuilds/${platformArch}/[^/]+\\.node`),
          );
        }
      }

      const streamDir = join(workDir, 'stream');
      mkdirSync(streamDir);
      const clock = (): number => performance.now();
      /** 1500 payloads of 1316 bytes, 300 a second: about 3 Mbit/s for 5 s. */
      const PAYLOADS = 1500;
      const PER_SECOND = 300;
      const meter = new StreamMeter(clock, PAYLOADS + 100);
      let ends: StreamEnds | undefined;
      try {
        ends = await openStreamEnds({
          kind: 'srt-live-transmit',
          latencyMs: 500,
          workDir: streamDir,
          onPayload: (payload) => {
            meter.noteDelivered(payload);
          },
        });
        const srtlaPort = await freeUdpPort();
        const httpPort = await freeTcpPort();
        const receiver = startProcess('bond-receiver', join(prefix, 'bin', 'bond-receiver'), [
          String(srtlaPort),
          '127.0.0.1',
          String(ends.listenerPort),
          '--listen',
          '127.0.0.1',
          '--http',
          `127.0.0.1:${httpPort}`,
          '--log-format',
          'json',
        ]);
        processes.push(receiver);
        const receiverUrl = `http://127.0.0.1:${httpPort}`;
        interface ReceiverStats {
          backend: string;
          groups: { packetsFromListener: number; links: unknown[] }[];
        }
        const receiverStats = async (): Promise<ReceiverStats | undefined> => {
          try {
            return (await (await fetch(`${receiverUrl}/api/v1/stats`)).json()) as ReceiverStats;
          } catch {
            return undefined;
          }
        };
        await waitFor(async () => (await receiverStats()) !== undefined, 'bond-receiver', receiver);

        const uplinks = join(streamDir, 'uplinks.txt');
        writeFileSync(uplinks, '127.0.0.2 name=a\n127.0.0.3 name=b\n');
        const senderPort = await freeUdpPort();
        const senderHttpPort = await freeTcpPort();
        let linksUp = 0;
        const sender = startProcess(
          'bond-sender',
          join(prefix, 'bin', 'bond-sender'),
          [
            String(senderPort),
            '127.0.0.1',
            String(srtlaPort),
            uplinks,
            '--http',
            `127.0.0.1:${senderHttpPort}`,
            '--stats-json',
            '-',
            '--stats-interval',
            '0.2',
            '--log-format',
            'json',
          ],
          {
            onLine: (line, stream) => {
              if (stream !== 'stdout' || !line.startsWith('{')) return;
              try {
                linksUp = (JSON.parse(line) as { linksUp: number }).linksUp;
              } catch {
                // a partial line; the next snapshot follows
              }
            },
          },
        );
        processes.push(sender);
        await waitFor(() => linksUp === 2, "bond-sender's two links up", sender);

        await ends.connect(senderPort);
        const connected = ends;
        await waitFor(
          async () =>
            (await receiverStats())?.groups.some((group) => group.packetsFromListener >= 2) ===
            true,
          'the SRT handshake through bond',
          receiver,
          () => connected.problem(),
        );

        const start = clock();
        let sent = 0;
        await new Promise<void>((resolve) => {
          const pacer = setInterval(() => {
            const due = Math.min(PAYLOADS, Math.floor(((clock() - start) * PER_SECOND) / 1000));
            for (; sent < due; sent++) connected.write(stampedPayload(meter.noteSent(), clock()));
            if (sent === PAYLOADS) {
              clearInterval(pacer);
              resolve();
            }
          }, 5);
        });
        connected.flush();
        await waitFor(
          () => meter.counts().delivered === PAYLOADS,
          `all ${PAYLOADS} payloads at the SRT listener`,
          receiver,
          () => connected.problem(),
        );
        const counts = meter.counts();
        expect(counts.sent).toBe(PAYLOADS);
        expect(counts.missing).toBe(0);
        expect(counts.duplicates).toBe(0);
        expect(counts.outOfOrder).toBe(0);

        const stats = await receiverStats();
        console.log(
          `streamed ${counts.delivered}/${PAYLOADS} payloads in order; bond-receiver backend ${stats?.backend}, ${stats?.groups[0]?.links.length} links`,
        );
        expect(stats?.backend).toBe(expected);
        expect(stats?.groups[0]?.links).toHaveLength(2);

        // Both pages (inline scripts and styles) ship inside the installed apps.
        for (const url of [receiverUrl, `http://127.0.0.1:${senderHttpPort}`]) {
          const page = await fetch(`${url}/`);
          expect(page.status, url).toBe(200);
          expect(page.headers.get('content-type')).toMatch(/text\/html/);
          expect(await page.text()).toMatch(/<script/);
        }
      } finally {
        for (const started of processes.splice(0)) await started.stop();
        await ends?.close();
      }
    },
  );
});

/** Whether this Linux runs on glibc (the prebuilds' C library), as `ldd --version` says. */
async function runsOnGlibc(): Promise<boolean> {
  const ldd = await run('ldd', ['--version'], { cwd: tmpdir(), timeoutMs: 10_000 });
  return /glibc|gnu libc/i.test(ldd.stdout + ldd.stderr);
}

/** Polls `condition` every 50 ms for at most 20 s; fails naming `what` and the process's output. */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  child: StartedProcess,
  problem: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await condition())) {
    const trouble = problem();
    if (!child.running || trouble !== undefined || performance.now() > deadline) {
      throw new Error(
        `waiting for ${what}: ${trouble ?? (child.running ? 'timed out after 20 s' : `${child.name} exited`)}\n${child.output().slice(-3000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
