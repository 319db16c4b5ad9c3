// deploy/container/Dockerfile builds, and the image it makes works: with podman (runc, cgroupfs, host
// network; no registry, so the base is tooling/container/stand-in-base.sh's Debian + this Node),
// the running container carries a real SRT stream (srt-live-transmit caller -> bond-sender ->
// the container -> srt-live-transmit listener) while its HEALTHCHECK passes, and the healthcheck
// fails (exit 1, then `unhealthy`) once the SRT listener is stopped.
//
// Without systemd podman runs no healthcheck timers, so the test runs `podman healthcheck run`
// itself. Everything is on 127.0.0.1 (host network, free loopback ports); every process and the
// container are removed after the test, also when it fails. The stand-in base is built once and
// kept (its tag names the Node version and the script's hash); the image build uses podman's layer
// cache. Durations are printed, not asserted.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort, freeUdpPort } from '@bond/stand';

const root = join(import.meta.dirname, '..', '..');
const baseScript = join(root, 'tooling', 'container', 'stand-in-base.sh');
const senderBin = join(root, 'apps', 'sender', 'dist', 'bin.js');
const IMAGE = 'localhost/bond-receiver:test';
// 1316: 7 MPEG-TS packets, what SRT senders carry per datagram.
const PAYLOAD = 1316;
// 1200 payloads at 4 per 10 ms (about 400 a second, 4.2 Mbit/s, what the stand's tests send): a 3 s
// stream, longer than the receiver's 1 s listener check.
const PACKETS = 1200;
const BURST = 4;
// 32 payloads: more than srt-live-transmit's reader and writer hold back at the end of a stream.
const FILLER = 32;
// 240 s: base (up to ~90 s on a cold cache) plus the image build (~2 min cold); both cached later.
const BUILD_TIMEOUT_MS = 240_000;
// 300 s: the whole test, cold, on 2 cores.
const TEST_TIMEOUT_MS = 300_000;

function missing(commands: readonly string[]): string[] {
  return commands.filter(
    (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0,
  );
}

const absent = missing(['podman', 'runc', 'mmdebstrap', 'srt-live-transmit']);
const skipReason =
  absent.length > 0
    ? `needs ${absent.join(', ')} (apt-get install podman runc mmdebstrap srt-tools)`
    : process.getuid?.() !== 0
      ? 'needs root (the stand-in base is made with mmdebstrap; podman runs rootful)'
      : undefined;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// What podman needs on this kind of machine: no systemd (cgroupfs), runc, no ulimits to set, and
// events in a file rather than the journal.
const CONTAINERS_CONF = [
  '[containers]',
  'default_ulimits = []',
  '',
  '[engine]',
  'cgroup_manager = "cgroupfs"',
  'runtime = "runc"',
  'events_logger = "file"',
  '',
].join('\n');

/** The test's environment: CONTAINERS_CONF points at the file it wrote. */
let env: NodeJS.ProcessEnv = process.env;

interface Ran {
  readonly status: number | null;
  readonly output: string;
  readonly ms: number;
}

/** Runs a command to its end (bounded by `timeoutMs`), collecting stdout and stderr. */
function runCommand(command: string, args: readonly string[], timeoutMs: number): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output, ms: performance.now() - started });
    });
  });
}

async function podman(args: readonly string[], timeoutMs = 30_000): Promise<Ran> {
  return runCommand('podman', args, timeoutMs);
}

/** The image's HEALTHCHECK --start-period, ms (as JSON, podman gives it in nanoseconds). */
async function healthcheckStartPeriodMs(): Promise<number> {
  const inspected = await podman([
    'image',
    'inspect',
    '--format',
    '{{json .Config.Healthcheck.StartPeriod}}',
    IMAGE,
  ]);
  const nanoseconds = Number(inspected.output.trim());
  if (inspected.status !== 0 || !Number.isFinite(nanoseconds)) {
    throw new Error(`no healthcheck start period in ${IMAGE}: ${inspected.output}`);
  }
  return nanoseconds / 1e6;
}

/** A started process whose stdout is counted and which is stopped in cleanup. */
function startProcess(command: string, args: readonly string[], stdin = false) {
  const child = spawn(command, [...args], {
    env,
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let bytes = 0;
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (bytes += chunk.length));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      resolve();
    }),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  return { child, stop, bytes: () => bytes, log: () => log };
}

/** Polls `condition` every 250 ms for at most `timeoutMs`. */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Status of the receiver's /healthz as the host sees it (0: no answer). */
async function healthz(port: number): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.text();
    return response.status;
  } catch {
    return 0;
  }
}

describe('deploy/container: the bond-receiver image', () => {
  it.skipIf(skipReason !== undefined)(
    `builds, carries SRT through the container, and its healthcheck follows the SRT listener${
      skipReason === undefined ? '' : ` (skipped: ${skipReason})`
    }`,
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      expect(existsSync(senderBin), `${senderBin}: build first (pnpm test does)`).toBe(true);
      const conf = mkdtempSync(join(tmpdir(), 'bond-container-'));
      cleanups.push(() => {
        rmSync(conf, { recursive: true, force: true });
      });
      writeFileSync(join(conf, 'containers.conf'), CONTAINERS_CONF);
      env = { ...process.env, CONTAINERS_CONF: join(conf, 'containers.conf') };
      const timings: Record<string, string> = {};
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      // Printed as they come, so a failing run still tells how long the builds took.
      const note = (what: string, value: string) => {
        timings[what] = value;
        console.info(`container test: ${what} ${value}`);
      };

      // The stand-in base, built once per Node version and script.
      const script = createHash('sha256').update(readFileSync(baseScript)).digest('hex');
      const base = `localhost/bond-base:${process.version}-${script.slice(0, 12)}`;
      if ((await podman(['image', 'exists', base])).status === 0) {
        note('base', 'cached');
      } else {
        const built = await runCommand('bash', [baseScript, base], BUILD_TIMEOUT_MS);
        expect(built.status, built.output).toBe(0);
        note('base', seconds(built.ms));
      }

      const build = await podman(
        [
          'build',
          '--format',
          'docker',
          '--network',
          'host',
          '--build-arg',
          `BASE_IMAGE=${base}`,
          '-f',
          join(root, 'deploy', 'container', 'Dockerfile'),
          '-t',
          IMAGE,
          root,
        ],
        BUILD_TIMEOUT_MS,
      );
      expect(build.status, build.output.slice(-4000)).toBe(0);
      note('image build', seconds(build.ms));
      const size = await podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]);
      note('image size', `${(Number(size.output.trim()) / 1e6).toFixed(0)} MB`);

      const [srtlaPort, srtPort, senderPort] = await Promise.all([
        freeUdpPort(),
        freeUdpPort(),
        freeUdpPort(),
      ]);
      const httpPort = await freeTcpPort();
      const srtUrl = (port: number, mode: string) =>
        `srt://127.0.0.1:${port}?mode=${mode}&latency=1000`;
      let listener = startProcess('srt-live-transmit', [
        '-q',
        srtUrl(srtPort, 'listener'),
        'file://con',
      ]);

      const name = `bond-receiver-test-${process.pid}`;
      cleanups.push(async () => {
        await podman(['rm', '--force', '--time', '2', name]);
      });
      const started = await podman([
        'run',
        '--detach',
        '--name',
        name,
        '--network',
        'host',
        '--env',
        `BOND_HEALTH_URL=http://127.0.0.1:${httpPort}/healthz`,
        IMAGE,
        '--srtla_port',
        String(srtlaPort),
        '--srt_hostname',
        '127.0.0.1',
        '--srt_port',
        String(srtPort),
        '--listen',
        '127.0.0.1',
        '--http',
        `127.0.0.1:${httpPort}`,
      ]);
      expect(started.status, started.output).toBe(0);
      // The container started before `podman run` returned: its start period ends before this.
      const startPeriodEnds = performance.now() + (await healthcheckStartPeriodMs());
      const logs = async () => (await podman(['logs', name])).output;
      await waitFor(async () => (await healthz(httpPort)) === 200, 'the container healthy', 20_000);
      expect(await logs()).toMatch(/"msg":"receiver listening"/);

      // bond-sender on the host, one uplink (127.0.0.1), to the container.
      const uplinks = join(conf, 'uplinks.txt');
      writeFileSync(uplinks, '127.0.0.1 name=loopback\n');
      const sender = startProcess(process.execPath, [
        senderBin,
        String(senderPort),
        '127.0.0.1',
        String(srtlaPort),
        uplinks,
      ]);
      const caller = startProcess(
        'srt-live-transmit',
        ['-q', `-chunk:${PAYLOAD}`, 'file://con', srtUrl(senderPort, 'caller')],
        true,
      );
      const input = caller.child.stdin;
      if (input === null) throw new Error('no stdin');
      // The SRT handshake went through bond and the container before any payload is written.
      await waitFor(
        async () => {
          const stats = (await (
            await fetch(`http://127.0.0.1:${httpPort}/api/v1/stats`)
          ).json()) as { groups: { packetsFromListener: number }[] };
          return (stats.groups[0]?.packetsFromListener ?? 0) >= 2;
        },
        'the SRT handshake through the container',
        15_000,
      );
      const streamStarted = performance.now();
      for (let next = 0; next < PACKETS;) {
        // BURST payloads per 10 ms: bounded by PACKETS.
        for (let burst = 0; burst < BURST && next < PACKETS; burst++, next++) {
          input.write(Buffer.alloc(PAYLOAD, next % 251));
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (let filler = 0; filler < FILLER; filler++) input.write(Buffer.alloc(PAYLOAD, 0xff));
      await waitFor(
        () => listener.bytes() >= PACKETS * PAYLOAD,
        `${PACKETS} payloads through the container to the SRT listener (got ${Math.floor(listener.bytes() / PAYLOAD)}); sender: ${sender.log().slice(-1500)}`,
        20_000,
      ).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\ncontainer log:\n${(await logs()).slice(-3000)}`);
      });
      note('stream', seconds(performance.now() - streamStarted));

      // The stream ran for more than one listener check (2 s): the listener, busy with bond's
      // caller, is still reported there.
      const healthy = await podman(['healthcheck', 'run', name]);
      expect(healthy.status, healthy.output).toBe(0);
      const status = await podman(['inspect', '--format', '{{.State.Health.Status}}', name]);
      expect(status.output.trim()).toBe('healthy');
      expect(await healthz(httpPort)).toBe(200);

      await caller.stop();
      await sender.stop();
      await listener.stop();
      await waitFor(
        async () => (await podman(['healthcheck', 'run', name])).status === 1,
        'the healthcheck to fail after the SRT listener stopped',
        15_000,
      );
      // Podman does not count failures within the Dockerfile's --start-period of the container's
      // start (the stream above can end inside it): the runs that count come after it.
      const inStartPeriod = startPeriodEnds - performance.now();
      if (inStartPeriod > 0) await new Promise((resolve) => setTimeout(resolve, inStartPeriod));
      // --retries=3 in the Dockerfile: three failed runs in a row make it unhealthy.
      for (let run = 0; run < 3; run++) {
        expect((await podman(['healthcheck', 'run', name])).status).toBe(1);
      }
      const unhealthy = await podman(['inspect', '--format', '{{.State.Health.Status}}', name]);
      expect(unhealthy.output.trim()).toBe('unhealthy');
      expect(await logs()).toMatch(/"msg":"SRT server stopped answering"/);

      listener = startProcess('srt-live-transmit', [
        '-q',
        srtUrl(srtPort, 'listener'),
        'file://con',
      ]);
      await waitFor(
        async () => (await podman(['healthcheck', 'run', name])).status === 0,
        'the healthcheck to pass after the SRT listener restarted',
        15_000,
      );

      console.info(`container test: ${JSON.stringify(timings)}`);
    },
  );
});
