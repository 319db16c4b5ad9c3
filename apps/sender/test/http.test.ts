// bond-sender's HTTP side (`--http`) on loopback, with a sender carrying real traffic to bond's
// receiver: the stats document, Prometheus metrics that equal it, server-sent events, the page,
// refusals (405, 404), and a clear error when the port is taken.
import { describe, expect, it, vi } from 'vitest';
import { VERSION, createSenderMetrics, run, type SenderStatsDocument } from '../src/index.js';
import {
  cleanupAfterEach,
  memoryLog,
  metricValue,
  parseMetrics,
  takenTcpPort,
  waitFor,
} from '../../common/test/support/testing.js';
import { startBench, tempDir } from './sender-bench.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Real sockets on a shared machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

const LINK_STATES = [
  'opening',
  'failed',
  'closed',
  'connecting',
  'up',
  'stalled',
  'down',
  'refused',
];

async function startTrafficBench() {
  // classic, the reference balancer: these tests are about HTTP, not balancing, and must not move
  // with the adaptive scheduler's tuning.
  const bench = await startBench(
    defer,
    '127.0.0.2 name=lte-a\n127.0.0.3 name=lte-b priority=80\n',
    { http: { host: '127.0.0.1', port: 0 }, scheduler: 'classic' },
  );
  await waitFor(() => bench.running.sender.stats().linksUp === 2, 'two links up');
  await bench.stream(0, 300);
  return bench;
}

/** Reads the first server-sent event of `response` (at most 20 reads), then cancels it. */
async function firstEvent(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no event stream body');
  let text = '';
  for (let reads = 0; reads < 20 && !text.includes('\n\n'); reads++) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
  }
  await reader.cancel();
  return text;
}

describe('--http', () => {
  it('serves the stats document, metrics equal to it, events and the page', async () => {
    const { running, log } = await startTrafficBench();
    const address = running.http?.address ?? '';
    expect(address).toBe(`127.0.0.1:${running.http?.port ?? -1}`);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ msg: 'HTTP server listening', dashboard: `http://${address}/` }),
    );
    const base = `http://${address}`;

    const response = await fetch(`${base}/api/v1/stats`);
    expect(response.headers.get('content-type')).toBe('application/json');
    const stats = (await response.json()) as SenderStatsDocument;
    expect(new Date(stats.time).toISOString()).toBe(stats.time);
    expect(stats.listen).toBe(`127.0.0.1:${running.sender.local.port}`);
    expect(stats.receiver).toBe(`127.0.0.1:${running.settings().srtlaPort}`);
    expect(stats.encoder).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(stats.packetsFromEncoder).toBe(300);
    expect(stats.links.map((link) => [link.name, link.bindAddress, link.priority])).toEqual([
      ['lte-a', '127.0.0.2', 100],
      ['lte-b', '127.0.0.3', 80],
    ]);
    expect(stats.links.map((link) => link.socket.local)).toEqual([
      expect.stringMatching(/^127\.0\.0\.2:\d+$/),
      expect.stringMatching(/^127\.0\.0\.3:\d+$/),
    ]);
    expect(stats.linkStatus.map((row) => [row.name, row.state])).toEqual([
      ['lte-a', 'up'],
      ['lte-b', 'up'],
    ]);

    // The stream is over: every count below is settled, so the scrape and a snapshot taken right
    // after it must agree exactly.
    const scraped = await fetch(`${base}/metrics`);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    const samples = parseMetrics(await scraped.text());
    const after = running.stats();
    expect(metricValue(samples, 'bond_sender_info', { version: VERSION })).toBe(1);
    expect(samples.find((sample) => sample.name === 'bond_sender_info')?.labels).toMatchObject({
      listen: after.listen,
      receiver: after.receiver,
      scheduler: 'classic',
    });
    expect(metricValue(samples, 'bond_sender_encoder_packets_total')).toBe(300);
    expect(metricValue(samples, 'bond_sender_encoder_bytes_total')).toBe(after.bytesFromEncoder);
    expect(metricValue(samples, 'bond_sender_forwarded_packets_total')).toBe(
      after.packetsFromEncoder - after.droppedNoLink - after.droppedOverload,
    );
    expect(metricValue(samples, 'bond_sender_links')).toBe(2);
    expect(metricValue(samples, 'bond_sender_links_up')).toBe(2);
    expect(metricValue(samples, 'bond_sender_phase', { phase: 'registered' })).toBe(1);
    expect(metricValue(samples, 'bond_sender_receiver_kind', { kind: after.receiverKind })).toBe(1);
    expect(metricValue(samples, 'bond_sender_dropped_total', { cause: 'no_link' })).toBe(
      after.droppedNoLink,
    );
    expect(metricValue(samples, 'bond_sender_dropped_total', { cause: 'not_srt' })).toBe(0);
    expect(metricValue(samples, 'bond_sender_dropped_total', { cause: 'overload' })).toBe(
      after.droppedOverload,
    );
    // No HSv5 handshake in this stream, and classic never drops: both 0.
    expect(metricValue(samples, 'bond_sender_srt_latency_seconds')).toBe(0);
    expect(metricValue(samples, 'bond_sender_queueing_budget_seconds')).toBe(0);
    expect(after.srtLatencyMs).toBeUndefined();
    expect(after.queueingBudgetMs).toBeUndefined();
    let sentOnLinks = 0;
    for (const link of after.links) {
      const labels = { link: link.name, address: link.bindAddress };
      const packets = metricValue(samples, 'bond_sender_link_packets_total', labels);
      expect(packets).toBe(link.engine?.packetsSent);
      expect(metricValue(samples, 'bond_sender_link_bytes_total', labels)).toBe(
        link.engine?.bytesSent,
      );
      expect(metricValue(samples, 'bond_sender_link_priority_percent', labels)).toBe(link.priority);
      for (const state of LINK_STATES) {
        expect(metricValue(samples, 'bond_sender_link_state', { ...labels, state })).toBe(
          state === 'up' ? 1 : 0,
        );
      }
      sentOnLinks += packets ?? 0;
    }
    expect(sentOnLinks).toBe(300 - after.droppedNoLink);
    expect(samples.some((sample) => sample.name === 'process_cpu_user_seconds_total')).toBe(true);

    const events = await fetch(`${base}/api/v1/events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const text = await firstEvent(events);
    expect(text).toMatch(/^retry: 2000\nevent: stats\ndata: \{/);
    const pushed = JSON.parse(text.slice(text.indexOf('data: ') + 6)) as SenderStatsDocument;
    expect(pushed.packetsFromEncoder).toBe(300);
    expect(pushed.linkStatus.map((row) => row.address)).toEqual(['127.0.0.2', '127.0.0.3']);

    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<title>bond-sender</title>');
    expect(html).not.toMatch(/<script src=|<link |https?:\/\/(?!www\.w3\.org)/);
  });

  it('renders every per-link metric from the values of one stats document', async () => {
    const { running } = await startTrafficBench();
    // Send rates are sampled once a second per link: wait for the sample that saw the stream.
    await waitFor(
      () => running.stats().linkStatus.some((row) => row.rateBitsPerSec > 0),
      'a send rate sample after the stream',
    );
    const stats = running.stats();
    const metrics = await createSenderMetrics(VERSION);
    const samples = parseMetrics(await metrics.render(stats));
    expect(metricValue(samples, 'bond_sender_uptime_seconds')).toBe(stats.uptimeMs / 1000);
    for (const link of stats.links) {
      const row = stats.linkStatus.find((status) => status.id === link.id);
      const engine = link.engine;
      if (row === undefined || engine === undefined) throw new Error(`link ${link.name} is not up`);
      const value = (metric: string, extra: Record<string, string> = {}) =>
        metricValue(samples, `bond_sender_link_${metric}`, {
          link: link.name,
          address: link.bindAddress,
          ...extra,
        });
      expect(value('share_ratio')).toBe(row.sharePercent / 100);
      expect(value('send_rate_bits_per_second')).toBe(row.rateBitsPerSec);
      expect(value('rtt_seconds')).toBe(row.rttMs === undefined ? undefined : row.rttMs / 1000);
      expect(value('queueing_delay_seconds')).toBe(
        row.queueDelayMs === undefined ? undefined : row.queueDelayMs / 1000,
      );
      expect(value('in_flight_packets')).toBe(row.inFlight);
      expect(value('loss_ratio')).toBe(row.lossPercent / 100);
      expect(value('lifetime_loss_ratio')).toBe(row.lifetimeLossPercent / 100);
      expect(value('window_packets')).toBe(engine.window);
      expect(value('acked_packets_total')).toBe(engine.packetsAcked);
      expect(value('naked_packets_total')).toBe(engine.packetsNaked);
      expect(value('retransmitted_packets_total')).toBe(engine.packetsRetransmitted);
      expect(value('socket_datagrams_total', { direction: 'sent' })).toBe(
        link.socket.datagramsSent,
      );
      expect(value('socket_datagrams_total', { direction: 'received' })).toBe(
        link.socket.datagramsReceived,
      );
      expect(value('socket_errors_total', { error: 'send_error' })).toBe(link.socket.sendErrors);
    }
    // The links' shares of the send rate add up to all of it.
    const shares = stats.linkStatus.map((row) => row.sharePercent);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(100, 6);
    const shareSamples = samples.filter((sample) => sample.name === 'bond_sender_link_share_ratio');
    expect(shareSamples.reduce((sum, sample) => sum + sample.value, 0)).toBeCloseTo(1, 6);
  });

  it('is read-only and names its routes for unknown paths', async () => {
    const { running } = await startTrafficBench();
    const base = `http://${running.http?.address ?? ''}`;
    for (const [method, path] of [
      ['POST', '/metrics'],
      ['PUT', '/api/v1/stats'],
      ['DELETE', '/'],
    ] as const) {
      const refused = await fetch(`${base}${path}`, { method });
      expect(refused.status).toBe(405);
      expect(refused.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const missing = await fetch(`${base}/stats`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(
      /^not found: \/stats \(try \/, \/metrics, \/api\/v1\/stats/,
    );
  });

  it('serves nothing without --http', async () => {
    const { running } = await startBench(defer, '127.0.0.2\n');
    expect(running.http).toBeUndefined();
  });

  it('refuses to start when the HTTP port is taken, and closes what it opened', async () => {
    const takenPort = await takenTcpPort(defer);
    const dir = await tempDir(defer);
    const uplinks = join(dir, 'uplinks');
    await writeFile(uplinks, '127.0.0.2\n');
    const log = memoryLog();
    const started = run(
      {
        settings: {
          srtListenPort: 0,
          srtlaHost: '127.0.0.1',
          srtlaPort: 9,
          ipsFile: uplinks,
          http: { host: '127.0.0.1', port: takenPort },
        },
        configFile: undefined,
      },
      { logOutput: log },
    );
    await expect(started).rejects.toMatchObject({ code: 'BOND_ERR_HTTP_LISTEN' });
    await expect(started).rejects.toThrow(`--http 127.0.0.1:${takenPort}: cannot listen`);
    await expect(started).rejects.toThrow(/another program listens on that port/);
    expect(log.lines().some((line) => line.msg === 'sender closed')).toBe(true);
  });
});
