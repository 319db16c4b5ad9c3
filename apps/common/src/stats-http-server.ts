/**
 * The read-only HTTP server both apps run with `--http ADDR:PORT`: Prometheus `/metrics`, the JSON
 * stats document `/api/v1/stats`, server-sent events `/api/v1/events` (one `stats` event with the
 * same document every second), the live page at `/` and `/healthz` for container healthchecks and
 * load balancers (200 healthy, 503 not, a short JSON body either way). GET and HEAD only; anything
 * else is 405.
 *
 * The app supplies the document (a function taking a snapshot), the metrics renderer and the page;
 * every route takes a fresh snapshot, so `/metrics` and `/api/v1/stats` never serve stale values.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort, type AppLogger } from '@bond/runtime';
import { BondError } from '@bond/wire';
import type { HttpAddress } from './http-address.js';

/** A running stats server. */
export interface StatsHttpServer {
  /** `host:port` it listens on (with the port the system chose for 0; IPv6 in brackets). */
  readonly address: string;
  readonly port: number;
  /** Ends every event stream and closes the server. Idempotent. */
  close(): Promise<void>;
}

/** The `/metrics` side: renders Prometheus exposition text from one stats document. */
export interface StatsMetrics<T> {
  /** The exposition's `content-type` (prom-client's `registry.contentType`). */
  readonly contentType: string;
  render(stats: T): Promise<string>;
}

/** An answer of an app's own route (see {@link StatsHttpServerOptions.routes}). */
export interface StatsRouteAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * An app's own GET routes beside the built-in ones: called with the request's path and query for
 * every path the server does not serve itself; undefined means not found (404). Must be cheap and
 * must not throw (a throw answers 500).
 */
export type StatsRoutes = (path: string, query: URLSearchParams) => StatsRouteAnswer | undefined;

/** What `/healthz` answers: 200 when `healthy`, else 503; `reason` says what is wrong. */
export interface HealthReport {
  readonly healthy: boolean;
  /** Why not healthy (required then), or what was checked. */
  readonly reason?: string;
  /** Extra JSON-safe fields for the body (what was checked, where). */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface StatsHttpServerOptions<T> {
  readonly listen: HttpAddress;
  /** Takes a snapshot: the document of `/api/v1/stats` and of each event. Must be JSON-safe. */
  readonly stats: () => T;
  readonly metrics: StatsMetrics<T>;
  /** The HTML document served at `/` (see `dashboardDocument`). */
  readonly page: string;
  readonly logger: AppLogger;
  /**
   * Called per `/healthz` request; must be cheap and must not throw. Default: healthy while the
   * server answers (the process runs).
   */
  readonly health?: () => HealthReport;
  /** The app's own routes, tried for any other path before 404. */
  readonly routes?: StatsRoutes;
  /** Period of the `stats` events, ms. Default {@link EVENT_INTERVAL_MS}. */
  readonly eventIntervalMs?: number;
}

/** The server could not listen; the message names the address, the reason and what to do. */
export class HttpListenError extends BondError {
  static readonly code = 'BOND_ERR_HTTP_LISTEN';
  constructor(address: string, reason: string, options?: ErrorOptions) {
    super(HttpListenError.code, `--http ${address}: cannot listen (${reason})`, options);
  }
}

/** 1000 ms: how often the event stream pushes a snapshot. */
export const EVENT_INTERVAL_MS = 1000;

/** 2000 ms: how long a browser waits before reconnecting a dropped event stream. */
const EVENT_RETRY_MS = 2000;

const ROUTES = '/, /metrics, /api/v1/stats, /api/v1/events, /healthz';

const RUNNING: HealthReport = { healthy: true, reason: 'running' };

/** What to do about the usual listen failures, by `errno` code. */
const LISTEN_HINTS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'another program listens on that port: choose another port',
  EADDRNOTAVAIL: 'that address is not on this machine: give one of its addresses, or :PORT for all',
  EACCES: 'ports below 1024 need privileges: choose a port above 1023',
  ENOTFOUND: 'the host name does not resolve: give an IP address',
  EAI_AGAIN: 'the host name does not resolve: give an IP address',
};

/** Starts the server; resolves once it listens. Rejects with {@link HttpListenError}. */
export async function startStatsHttpServer<T>(
  options: StatsHttpServerOptions<T>,
): Promise<StatsHttpServer> {
  const { listen, stats, metrics, page, logger } = options;
  const streams = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('method not allowed: this server is read-only\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    switch (path) {
      case '/':
        send(response, 200, 'text/html; charset=utf-8', page);
        return;
      case '/metrics':
        send(response, 200, metrics.contentType, await metrics.render(stats()));
        return;
      case '/healthz': {
        const report = (options.health ?? (() => RUNNING))();
        const body = {
          status: report.healthy ? 'ok' : 'unavailable',
          ...(report.reason === undefined ? {} : { reason: report.reason }),
          ...report.details,
        };
        send(response, report.healthy ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
        return;
      }
      case '/api/v1/stats':
        send(response, 200, 'application/json', `${JSON.stringify(stats(), null, 2)}\n`);
        return;
      case '/api/v1/events':
        response.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        if (request.method === 'HEAD') {
          response.end();
          return;
        }
        response.write(`retry: ${EVENT_RETRY_MS}\n`);
        response.write(event(stats()));
        streams.add(response);
        request.on('close', () => streams.delete(response));
        return;
      default: {
        const answer = options.routes?.(path, url.searchParams);
        if (answer !== undefined) {
          send(response, answer.status, answer.contentType, answer.body);
          return;
        }
        send(response, 404, 'text/plain', `not found: ${path} (try ${ROUTES})\n`);
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('HTTP request failed', { path: request.url, error });
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = error instanceof Error ? error.message : String(error);
    const hint = LISTEN_HINTS[code];
    throw new HttpListenError(
      formatHostPort(listen.host, listen.port),
      hint === undefined ? reason : `${reason}; ${hint}`,
      { cause: error },
    );
  }
  server.on('error', (error) => {
    logger.error('HTTP server error', { error });
  });

  const ticker = setInterval(() => {
    if (streams.size === 0) return;
    const text = event(stats());
    for (const stream of streams) stream.write(text);
  }, options.eventIntervalMs ?? EVENT_INTERVAL_MS);
  ticker.unref();

  const bound = server.address() as AddressInfo;
  const address = formatHostPort(bound.address, bound.port);
  logger.info('HTTP server listening', { address, dashboard: `http://${address}/` });
  let closing: Promise<void> | undefined;
  return {
    address,
    port: bound.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(ticker);
        for (const stream of streams) stream.end();
        streams.clear();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function event(stats: unknown): string {
  return `event: stats\ndata: ${JSON.stringify(stats)}\n\n`;
}
