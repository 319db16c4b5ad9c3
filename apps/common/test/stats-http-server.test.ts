// The shared read-only stats server on loopback: each route serves a fresh snapshot, the event
// stream pushes one per interval, other methods are refused, unknown paths are 404, a port in use
// is a clear error, and close() ends open event streams.
import { createLogger } from '@bond/runtime';
import { describe, expect, it, vi } from 'vitest';
import {
  HttpListenError,
  dashboardDocument,
  startStatsHttpServer,
  type StatsHttpServer,
} from '../src/index.js';
import { cleanupAfterEach, memoryLog, takenTcpPort } from './support/testing.js';

vi.setConfig({ testTimeout: 15_000 });

const defer = cleanupAfterEach();

function memoryLogger() {
  const log = memoryLog();
  return { logger: createLogger('info', 'json', log), lines: () => log.lines() };
}

interface Counted {
  readonly snapshot: number;
  readonly note: string;
}

async function startCounting(
  eventIntervalMs?: number,
): Promise<{ server: StatsHttpServer; base: string; lines: () => Record<string, unknown>[] }> {
  let snapshots = 0;
  const { logger, lines } = memoryLogger();
  const server = await startStatsHttpServer<Counted>({
    listen: { host: '127.0.0.1', port: 0 },
    stats: () => ({ snapshot: ++snapshots, note: 'ok' }),
    metrics: {
      contentType: 'text/plain; version=0.0.4',
      render: (stats) => Promise.resolve(`counted_snapshot ${stats.snapshot}\n`),
    },
    page: dashboardDocument({ title: 'counting <test>', main: () => undefined }),
    logger,
    ...(eventIntervalMs === undefined ? {} : { eventIntervalMs }),
  });
  defer(() => server.close());
  return { server, base: `http://${server.address}`, lines };
}

/** Reads `count` server-sent events (at most 50 reads), then cancels the stream. */
async function readEvents(response: Response, count: number): Promise<string[]> {
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  let text = '';
  for (let reads = 0; reads < 50 && text.split('\n\n').length <= count; reads++) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
  }
  await reader.cancel();
  return text.split('\n\n').slice(0, count);
}

describe('startStatsHttpServer', () => {
  it('answers /healthz: 200 by default, else what the app says, 503 with the reason', async () => {
    const plain = await startCounting();
    const running = await fetch(`${plain.base}/healthz`);
    expect(running.status).toBe(200);
    expect(await running.json()).toEqual({ status: 'ok', reason: 'running' });

    let healthy = true;
    const { logger } = memoryLogger();
    const server = await startStatsHttpServer({
      listen: { host: '127.0.0.1', port: 0 },
      stats: () => ({}),
      metrics: { contentType: 'text/plain', render: () => Promise.resolve('') },
      page: '',
      logger,
      health: () =>
        healthy
          ? { healthy, details: { checked: 'thing' } }
          : { healthy, reason: 'thing is gone', details: { checked: 'thing' } },
    });
    defer(() => server.close());
    const base = `http://${server.address}`;
    const up = await fetch(`${base}/healthz`);
    expect([up.status, await up.json()]).toEqual([200, { status: 'ok', checked: 'thing' }]);
    healthy = false;
    const down = await fetch(`${base}/healthz`);
    expect(down.headers.get('content-type')).toBe('application/json');
    expect([down.status, await down.json()]).toEqual([
      503,
      { status: 'unavailable', reason: 'thing is gone', checked: 'thing' },
    ]);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(503);
  });

  it('serves a fresh snapshot on every route and says where it listens', async () => {
    const { server, base, lines } = await startCounting();
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    expect(lines()).toContainEqual(
      expect.objectContaining({
        msg: 'HTTP server listening',
        address: server.address,
        dashboard: `http://${server.address}/`,
      }),
    );

    const first = await fetch(`${base}/api/v1/stats`);
    expect(first.headers.get('content-type')).toBe('application/json');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual({ snapshot: 1, note: 'ok' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await metrics.text()).toBe('counted_snapshot 2\n');
    expect(await (await fetch(`${base}/api/v1/stats?pretty=1`)).json()).toEqual({
      snapshot: 3,
      note: 'ok',
    });

    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<title>counting &#60;test&#62;</title>');
    expect(html).toContain('<main id="content"></main>');
    expect(html).not.toMatch(/<script src=|<link |https?:\/\/(?!www\.w3\.org)/);
  });

  it('pushes one stats event per interval on /api/v1/events', async () => {
    const { base } = await startCounting(50);
    const response = await fetch(`${base}/api/v1/events`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = await readEvents(response, 3);
    expect(events[0]).toMatch(/^retry: 2000\nevent: stats\ndata: /);
    const values = events.map(
      (text) => (JSON.parse(text.slice(text.indexOf('data: ') + 6)) as Counted).snapshot,
    );
    expect(values).toHaveLength(3);
    expect(values[1]).toBeGreaterThan(values[0] ?? Infinity);
    expect(values[2]).toBeGreaterThan(values[1] ?? Infinity);
  });

  it('is read-only (405 with Allow), answers HEAD without a body, and 404s unknown paths', async () => {
    const { base } = await startCounting();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const refused = await fetch(`${base}/metrics`, { method });
      expect(refused.status).toBe(405);
      expect(refused.headers.get('allow')).toBe('GET, HEAD');
      expect(await refused.text()).toMatch(/read-only/);
    }
    const head = await fetch(`${base}/api/v1/stats`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const headEvents = await fetch(`${base}/api/v1/events`, { method: 'HEAD' });
    expect(headEvents.status).toBe(200);
    expect(await headEvents.text()).toBe('');
    const missing = await fetch(`${base}/api/v2/stats`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe(
      'not found: /api/v2/stats (try /, /metrics, /api/v1/stats, /api/v1/events, /healthz)\n',
    );
  });

  it('answers /metrics with the bytes of renderBody when the renderer has it', async () => {
    const { logger } = memoryLogger();
    const server = await startStatsHttpServer({
      listen: { host: '127.0.0.1', port: 0 },
      stats: () => ({ n: 7 }),
      metrics: {
        contentType: 'text/plain; version=0.0.4',
        render: () => Promise.resolve('from render\n'),
        renderBody: (stats: { n: number }) =>
          Promise.resolve(new TextEncoder().encode(`from renderBody ${stats.n} é\n`)),
      },
      page: '',
      logger,
    });
    defer(() => server.close());
    const response = await fetch(`http://${server.address}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('from renderBody 7 é\n');
  });

  it('answers 500 and logs when the metrics renderer fails', async () => {
    const { logger, lines } = memoryLogger();
    const server = await startStatsHttpServer({
      listen: { host: '127.0.0.1', port: 0 },
      stats: () => ({}),
      metrics: { contentType: 'text/plain', render: () => Promise.reject(new Error('broken')) },
      page: '',
      logger,
    });
    defer(() => server.close());
    const response = await fetch(`http://${server.address}/metrics`);
    expect(response.status).toBe(500);
    expect(lines().some((line) => line.msg === 'HTTP request failed')).toBe(true);
  });

  it("serves the app's own routes with their path and query, before a 404", async () => {
    const { logger } = memoryLogger();
    const asked: string[] = [];
    const server = await startStatsHttpServer({
      listen: { host: '127.0.0.1', port: 0 },
      stats: () => ({}),
      metrics: { contentType: 'text/plain', render: () => Promise.resolve('') },
      page: '',
      logger,
      routes: (path, query) => {
        asked.push(`${path}?${query.toString()}`);
        if (path !== '/own') return undefined;
        return {
          status: 200,
          contentType: 'application/json',
          body: `{"q":"${query.get('q') ?? ''}"}`,
        };
      },
    });
    defer(() => server.close());
    const base = `http://${server.address}`;
    const own = await fetch(`${base}/own?q=a%2Fb`);
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('application/json');
    expect(await own.json()).toEqual({ q: 'a/b' });
    const other = await fetch(`${base}/other`);
    expect(other.status).toBe(404);
    // Built-in routes never reach the app's.
    expect((await fetch(`${base}/api/v1/stats`)).status).toBe(200);
    expect(asked).toEqual(['/own?q=a%2Fb', '/other?']);
  });

  it('refuses a port in use with the address, the reason and what to do', async () => {
    const takenPort = await takenTcpPort(defer);
    const started = startStatsHttpServer({
      listen: { host: '127.0.0.1', port: takenPort },
      stats: () => ({}),
      metrics: { contentType: 'text/plain', render: () => Promise.resolve('') },
      page: '',
      logger: memoryLogger().logger,
    });
    await expect(started).rejects.toBeInstanceOf(HttpListenError);
    await expect(started).rejects.toThrow(
      new RegExp(
        `^--http 127\\.0\\.0\\.1:${takenPort}: cannot listen \\(.*EADDRINUSE.*; another program listens on that port: choose another port\\)$`,
      ),
    );
  });

  it('ends open event streams on close, and close is idempotent', async () => {
    const { server, base } = await startCounting();
    const response = await fetch(`${base}/api/v1/events`);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    await reader.read();
    await Promise.all([server.close(), server.close()]);
    let done = false;
    for (let reads = 0; reads < 10 && !done; reads++) {
      done = await reader.read().then(
        (chunk) => chunk.done,
        () => true,
      );
    }
    expect(done).toBe(true);
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });
});
