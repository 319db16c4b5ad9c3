// run() without a process, on loopback sockets: HTTP stats, metrics and events, config reload on
// demand (SIGHUP's path), and refusal of an invalid config file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run, type RunningReceiver, type StatsView } from '../src/index.js';
import {
  cleanupAfterEach,
  memoryLog,
  metricValue,
  parseMetrics,
  waitFor,
} from '../../common/test/support/testing.js';
import { freeUdpPort } from './helpers.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';

// Real processes and sockets on a shared 2-core machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bond-receiver-test-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(
  settings: Parameters<typeof run>[0]['settings'],
  configFile?: string,
): Promise<{ running: RunningReceiver; log: ReturnType<typeof memoryLog> }> {
  const log = memoryLog();
  const running = await run(
    {
      settings: { listen: '127.0.0.1', srtlaPort: 0, probeIntervalMs: 60_000, ...settings },
      configFile,
    },
    { logOutput: log },
  );
  defer(() => running.close());
  return { running, log };
}

describe('run()', () => {
  it('serves stats, metrics and events about a live group over HTTP', async () => {
    const { running } = await start({
      srtHost: '127.0.0.1',
      srtPort: await freeUdpPort(),
      http: { host: '127.0.0.1', port: 0 },
    });
    const sender = await startSenderStandIn({
      receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
      linkAddresses: ['127.0.0.2', '127.0.0.3'],
    });
    defer(() => sender.close());
    await waitFor(() => sender.linksUp() === 2, 'two links up');

    const base = `http://${running.http?.address ?? ''}`;
    const stats = (await (await fetch(`${base}/api/v1/stats`)).json()) as StatsView;
    expect(stats.listen).toBe(`127.0.0.1:${running.receiver.local.port}`);
    expect(stats.groups).toHaveLength(1);
    expect(stats.groups[0]?.state).toBe('pending');
    expect(stats.groups[0]?.links.map((link) => link.address.split(':')[0]).sort()).toEqual([
      '127.0.0.2',
      '127.0.0.3',
    ]);
    expect(stats.registration.reg1Received).toBe(1);

    const metricsResponse = await fetch(`${base}/metrics`);
    expect(metricsResponse.headers.get('content-type')).toMatch(/^text\/plain/);
    const metrics = await metricsResponse.text();
    const samples = parseMetrics(metrics);
    expect(metricValue(samples, 'bond_receiver_groups', { state: 'pending' })).toBe(1);
    expect(metricValue(samples, 'bond_receiver_links')).toBe(2);
    expect(metricValue(samples, 'bond_receiver_registrations_total', { type: 'reg1' })).toBe(1);
    expect(metricValue(samples, 'bond_receiver_dropped_total', { cause: 'unregistered' })).toBe(0);
    expect(metrics).toContain('process_cpu_user_seconds_total');

    const events = await fetch(`${base}/api/v1/events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const reader = events.body?.getReader();
    let text = '';
    for (let reads = 0; reads < 20 && !text.includes('\n\n'); reads++) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    expect(text).toMatch(/^retry: 2000\nevent: stats\ndata: \{/);

    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<title>bond-receiver</title>');
    expect(page).not.toMatch(/<script src=|https?:\/\/(?!www\.w3\.org)/);
  });

  it('reloads the config file: applies what is safe, keeps the rest, refuses an invalid file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'receiver.json');
    const firstPort = await freeUdpPort();
    await writeFile(
      file,
      JSON.stringify({ srt_hostname: '127.0.0.1', srt_port: firstPort, 'max-groups': 5 }),
    );
    const { running, log } = await start({}, file);
    expect(running.settings()).toMatchObject({
      srtPort: firstPort,
      maxGroups: 5,
      logLevel: 'info',
    });

    const secondPort = await freeUdpPort();
    await writeFile(
      file,
      JSON.stringify({
        srt_hostname: '127.0.0.1',
        srt_port: secondPort,
        'max-groups': 9,
        'log-level': 'warn',
        'io-backend': 'dgram',
      }),
    );
    const outcome = await running.reload();
    expect(outcome).toEqual({
      ok: true,
      applied: ['srt_port', 'max-groups', 'log-level'],
      needsRestart: ['io-backend'],
    });
    expect(running.receiver.upstream().port).toBe(secondPort);
    expect(running.receiver.stats().limits.maxGroups).toBe(9);
    expect(running.settings()).toMatchObject({
      srtPort: secondPort,
      maxGroups: 9,
      logLevel: 'warn',
      ioBackend: 'auto',
    });
    expect(
      log
        .lines()
        .some(
          (line) => line.msg === 'config reload: some changes need a restart and were not applied',
        ),
    ).toBe(true);

    await writeFile(file, '{ "srt_port": ');
    const refused = await running.reload();
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/not valid JSON/);
    expect(running.receiver.upstream().port).toBe(secondPort);
    const last = log.lines().at(-1);
    expect(last).toMatchObject({
      level: 'error',
      msg: 'config reload refused: keeping the running configuration',
    });
  });

  it('refuses to start on an invalid config file, naming the file and the problem', async () => {
    const dir = await tempDir();
    const file = join(dir, 'receiver.json');
    await writeFile(file, JSON.stringify({ srt_port: 4001, 'max-linkz': 3 }));
    await expect(
      run({ settings: { srtlaPort: 0 }, configFile: file }, { logOutput: memoryLog() }),
    ).rejects.toThrow(/receiver\.json: unknown setting "max-linkz"/);
  });
});
