// bond-receiver names streams and links on every surface: an SRT caller's conclusion handshake
// (with a MediaMTX-style stream id holding a password) goes through a bond sender to run(); the
// log, /api/v1/stats, /metrics and the events stream show `live/feed1` and the sender's link
// names, never the password. `--stream-label` is parsed like every other setting.
import {} from '@bond/wire';
import { describe, expect, it, vi } from 'vitest';
import { boundUdpSocket } from '@bond/io/testing';
import {
  helpText,
  parseCommandLine,
  resolveSettings,
  run,
  type Command,
  type StatsView,
} from '../src/index.js';
import {
  cleanupAfterEach,
  memoryLog,
  metricValue,
  parseMetrics,
  waitFor,
} from '../../common/test/support/testing.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';
import { srtConclusion } from '@bond/wire/testing';
import { startReceiver } from './helpers.js';

vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

const STREAM_ID = 'publish:live/feed1:user:secretpass';

/** A UDP socket on a free loopback port standing in for the SRT listener (it only receives). */
async function srtListenerStandIn(): Promise<number> {
  const listener = await boundUdpSocket(defer);
  return listener.address().port;
}

async function startWithStream(extra: Parameters<typeof run>[0]['settings'] = {}) {
  const log = memoryLog();
  // Something must listen there: a refused handshake would remove the group.
  const srtPort = await srtListenerStandIn();
  const running = await startReceiver(
    defer,
    {
      probeIntervalMs: 60_000,
      srtPort,
      http: { host: '127.0.0.1', port: 0 },
      ...extra,
    },
    log,
  );
  const sender = await startSenderStandIn({
    receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
    linkAddresses: ['127.0.0.2', '127.0.0.3'],
  });
  defer(() => sender.close());
  await waitFor(() => sender.linksUp() === 2, 'two links up');
  // The SRT caller's conclusion handshake, sent to the sender like an encoder would.
  const caller = await boundUdpSocket(defer);
  const bytes = srtConclusion(STREAM_ID);
  await new Promise<void>((resolve, reject) => {
    caller.send(bytes, sender.encoderPort, '127.0.0.1', (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  await waitFor(() => running.stats().groups[0]?.stream != null, 'the stream named');
  // Every link's name arrives with its next keepalive (one a second).
  await waitFor(
    () => running.stats().groups[0]?.links.every((link) => link.name.startsWith('link')) === true,
    'both links named',
  );
  return { running, log, base: `http://${running.http?.address ?? ''}` };
}

describe('stream identity on every surface', () => {
  it('redacted by default: log, API, metrics and events name live/feed1 and the links', async () => {
    const { running, log, base } = await startWithStream();

    const stats = (await (await fetch(`${base}/api/v1/stats`)).json()) as StatsView;
    expect(stats.streamLabel).toBe('redacted');
    expect(stats.groups[0]?.stream).toBe('live/feed1');
    expect(stats.groups[0]?.links.map((link) => link.name).sort()).toEqual(['link1', 'link2']);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const samples = parseMetrics(metrics);
    expect(metricValue(samples, 'bond_receiver_group_links', { stream: 'live/feed1' })).toBe(2);
    expect(
      metricValue(samples, 'bond_receiver_link_keepalives_total', {
        stream: 'live/feed1',
        name: 'link1',
      }),
    ).toBeGreaterThan(0);

    const events = await fetch(`${base}/api/v1/events`);
    const reader = events.body?.getReader();
    let text = '';
    for (let reads = 0; reads < 20 && !text.includes('\n\n'); reads++) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    expect(text).toContain('"stream":"live/feed1"');

    const lines = log.lines();
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'stream identified', groupId: 1, stream: 'live/feed1' }),
    );
    // The link may be named before or after the stream: the line carries the name either way.
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'uplink named by the sender', groupId: 1, name: 'link1' }),
    );
    await running.close();
    for (const surface of [JSON.stringify(stats), metrics, text, JSON.stringify(log.lines())]) {
      expect(surface).not.toContain('secretpass');
      expect(surface).not.toContain('user:');
    }
  });

  it('--stream-label hashed shows sid- and 8 hex digits; full shows the id', async () => {
    const hashed = await startWithStream({ streamLabel: 'hashed' });
    expect(hashed.running.stats().groups[0]?.stream).toMatch(/^sid-[0-9a-f]{8}$/);
    await hashed.running.close();
    const full = await startWithStream({ streamLabel: 'full' });
    expect(full.running.stats().groups[0]?.stream).toBe(STREAM_ID);
  });

  it('--stream-label is parsed and checked like every setting, redacted by default, in --help', () => {
    const settingsOf = (command: Command) => {
      if (command.kind !== 'run') throw new Error(`got ${command.kind}`);
      return command.settings;
    };
    expect(resolveSettings(settingsOf(parseCommandLine(['5000', 'h', '4001']))).streamLabel).toBe(
      'redacted',
    );
    expect(
      settingsOf(parseCommandLine(['--stream-label', 'hashed', '5000', 'h', '4001'])).streamLabel,
    ).toBe('hashed');
    expect(() => parseCommandLine(['--stream-label', 'secret', '5000', 'h', '4001'])).toThrow(
      /stream-label must be one of redacted, hashed, full, got "secret"/,
    );
    expect(helpText()).toMatch(/--stream-label MODE +how SRT stream ids name streams/);
  });
});
