/**
 * The HTTP server (`--http ADDR:PORT`; off by default): Prometheus `/metrics`, the JSON stats API
 * `/api/v1/stats`, server-sent stats events `/api/v1/events` (one `stats` event per second) and
 * the live dashboard at `/`. Read-only: GET and HEAD only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from '@bond/runtime';
import { dashboardPage } from './dashboard/dashboard-page.js';
import type { AppLogger } from '@bond/runtime';
import type { ReceiverMetrics } from './metrics.js';
import type { HttpAddress } from './settings.js';
import type { StatsView } from './stats-view.js';

export interface StatsHttpServer {
  /** `host:port` it listens on (with the port the system chose for 0). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** 1000 ms: how often the dashboard's event stream pushes stats. */
export const EVENT_INTERVAL_MS = 1000;

export async function startHttpServer(
  listen: HttpAddress,
  view: () => StatsView,
  metrics: ReceiverMetrics,
  logger: AppLogger,
): Promise<StatsHttpServer> {
  const page = dashboardPage();
  const streams = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('method not allowed: this server is read-only\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/':
        send(response, 200, 'text/html; charset=utf-8', page);
        return;
      case '/metrics':
        send(response, 200, metrics.contentType, await metrics.render(view()));
        return;
      case '/api/v1/stats':
        send(response, 200, 'application/json', `${JSON.stringify(view(), null, 2)}\n`);
        return;
      case '/api/v1/events':
        response.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        response.write(`retry: 2000\n`);
        response.write(event(view()));
        streams.add(response);
        request.on('close', () => streams.delete(response));
        return;
      default:
        send(response, 404, 'text/plain', `not found: ${path} (try /, /metrics, /api/v1/stats)\n`);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('HTTP request failed', { path: request.url, error });
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => {
    logger.error('HTTP server error', { error });
  });

  const ticker = setInterval(() => {
    if (streams.size === 0) return;
    const text = event(view());
    for (const stream of streams) stream.write(text);
  }, EVENT_INTERVAL_MS);
  ticker.unref();

  const bound = server.address() as AddressInfo;
  const address = formatHostPort(bound.address, bound.port);
  logger.info('HTTP server listening', { address, dashboard: `http://${address}/` });
  return {
    address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        for (const stream of streams) stream.end();
        streams.clear();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function event(stats: StatsView): string {
  return `event: stats\ndata: ${JSON.stringify(stats)}\n\n`;
}
