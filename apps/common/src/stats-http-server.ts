/**
 * The read-only HTTP server both apps run with `--http ADDR:PORT`: Prometheus `/metrics`, the JSON
 * stats document `/api/v1/stats`, server-sent events `/api/v1/events` (one `stats` event with the
 * same document every second), the live page at `/` and `/healthz` for container healthchecks and
 * load balancers (200 healthy, 503 not, a short JSON body either way). GET and HEAD only; anything
 * else is 405.
 *
 * The app supplies the document (a function taking a snapshot), the metrics renderer and the page;
 * every route takes a fresh snapshot, so `/metrics` and `/api/v1/stats` never serve stale values.
 *
 * With a `token` (`--http-token`) every route but `/healthz` asks for it before anything else, so a
 * route added later is covered too: `Authorization: Bearer TOKEN` (APIs, Prometheus), `?token=TOKEN`
 * (clients that cannot set a header), or the session cookie (HttpOnly, SameSite=Strict) a browser
 * gets by opening `/?token=TOKEN` once: that answer is the page itself with the cookie, not a
 * redirect (a browser does not send a Strict cookie after a redirect that a link on another site
 * started), and the page then drops the token from the address bar. `/healthz` stays open: load balancers and container healthchecks carry no secret, and it tells
 * only whether the app is healthy. Tokens are compared in constant time and never logged; the
 * cookie holds a keyed hash of the token, not the token.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort, type AppLogger } from '@bond/runtime';
import { BondError } from '@bond/wire';
import { isLoopbackHost, type HttpAddress } from './http-address.js';

/** A running stats server. */
export interface StatsHttpServer {
  /** `host:port` it listens on (with the port the system chose for 0; IPv6 in brackets). */
  readonly address: string;
  readonly port: number;
  /** Ends every event stream and closes the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * The `/metrics` side: renders Prometheus exposition text from one stats document, or from the
 * app's live state ({@link StatsMetrics.renderLive}).
 */
export interface StatsMetrics<T> {
  /** The exposition's `content-type` (Prometheus text format 0.0.4). */
  readonly contentType: string;
  render(stats: T): Promise<string>;
  /**
   * The same text as UTF-8 bytes, written without making a string of it first; the server
   * answers `/metrics` with it when given (at 1,000 receiver groups the text is 6.5 MB, and its
   * string and the string's bytes were a scrape's largest garbage).
   */
  renderBody?(stats: T): Promise<Uint8Array>;
  /**
   * The same bytes read from the app's live state instead of a stats document; preferred by the
   * server when given (the receiver's: each group is read, written and dropped in turn, where a
   * document of 1,000 groups outlived a scrape's young collections).
   */
  renderLive?(): Promise<Uint8Array>;
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
   * The secret every route but `/healthz` asks for (see the module comment); undefined: every route
   * is open to whoever reaches the address (a warning is logged when that is not this machine).
   */
  readonly token?: string | undefined;
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

/** Logged once at start when other machines may reach the server and no token guards it. */
export const HTTP_OPEN_WARNING =
  'the stats and dashboard are open to the network: anyone who can reach this address can read them';

/** The route no token guards: health checks carry no secret. */
const OPEN_PATH = '/healthz';

/** 30 days: how long a browser keeps the session cookie. */
const SESSION_MAX_AGE_S = 30 * 24 * 3600;

/** How a request proved it knows the token, or `undefined` when it did not. */
type Credential = 'header' | 'cookie' | 'query';

/** The token check of one server: constant-time comparisons, the session cookie's name and value. */
interface TokenGate {
  /** `bond_session_PORT`: cookies are per host, not per port, so each server names its own. */
  readonly cookieName: string;
  /** The cookie's value: HMAC-SHA256 of a fixed label keyed by the token, base64url. */
  readonly session: string;
  check(request: IncomingMessage, url: URL): Credential | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

function tokenGate(token: string, port: number): TokenGate {
  // Hashing both sides first gives equal lengths, so timingSafeEqual never throws and the time
  // does not depend on where (or whether) the texts differ, nor on the candidate's length.
  const expected = digest(token);
  const matches = (candidate: string) => timingSafeEqual(digest(candidate), expected);
  const session = createHmac('sha256', token).update('bond http session v1').digest('base64url');
  const expectedSession = digest(session);
  const cookieName = `bond_session_${port}`;
  return {
    cookieName,
    session,
    check(request, url) {
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '')?.[1];
      if (bearer !== undefined && matches(bearer)) return 'header';
      for (const value of cookieValues(request.headers.cookie, cookieName)) {
        if (timingSafeEqual(digest(value), expectedSession)) return 'cookie';
      }
      const query = url.searchParams.get('token');
      if (query !== null && matches(query)) return 'query';
      return undefined;
    },
  };
}

/** Every value of cookie `name` in a `Cookie` header. */
function cookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

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
  // Set once the server listens (the cookie's name carries the port the system chose for 0);
  // until then a server with a token refuses everything but /healthz.
  let gate: TokenGate | undefined;
  const guarded = options.token !== undefined;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('method not allowed: this server is read-only\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (guarded && path !== OPEN_PATH) {
      const credential = gate?.check(request, url);
      if (credential === undefined) {
        logger.debug('HTTP request refused: no valid token', {
          path,
          from: request.socket.remoteAddress,
        });
        refuse(request, response, path);
        return;
      }
      if (credential === 'query' && path === '/' && gate !== undefined) {
        // A browser opening /?token=: the page, with the proof kept in a cookie for its requests
        // and the next visits (the page removes the token from the address bar).
        response.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'set-cookie': `${gate.cookieName}=${gate.session}; Path=/; Max-Age=${SESSION_MAX_AGE_S}; HttpOnly; SameSite=Strict`,
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
        });
        response.end(page);
        return;
      }
    }
    switch (path) {
      case '/':
        send(response, 200, 'text/html; charset=utf-8', page);
        return;
      case '/metrics':
        send(
          response,
          200,
          metrics.contentType,
          metrics.renderLive !== undefined
            ? await metrics.renderLive()
            : metrics.renderBody === undefined
              ? await metrics.render(stats())
              : await metrics.renderBody(stats()),
        );
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
      // The path only: a query may carry the token.
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      logger.error('HTTP request failed', { path, error });
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
  if (options.token !== undefined) gate = tokenGate(options.token, bound.port);
  logger.info('HTTP server listening', {
    address,
    dashboard: `http://${address}/`,
    access:
      gate === undefined
        ? 'open'
        : `token required (Authorization: Bearer, or open /?token=... once); ${OPEN_PATH} open`,
  });
  if (gate === undefined && !isLoopbackHost(listen.host)) {
    logger.warn(HTTP_OPEN_WARNING, {
      address,
      hint: 'set --http-token (or BOND_HTTP_TOKEN) to ask for a secret, or give --http a port alone (for example --http 8080) to serve this machine only',
    });
  }
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

/** 401, naming the ways in; a browser gets a form that asks for the token. */
function refuse(request: IncomingMessage, response: ServerResponse, path: string): void {
  const browser = (request.headers.accept ?? '').includes('text/html');
  const headers = {
    'www-authenticate': 'Bearer realm="bond"',
    'cache-control': 'no-store',
  };
  if (browser) {
    response.writeHead(401, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    response.end(TOKEN_FORM);
    return;
  }
  response.writeHead(401, { ...headers, 'content-type': 'text/plain' });
  response.end(
    `unauthorized: ${path} needs the token this server was started with (--http-token or BOND_HTTP_TOKEN): send the header "Authorization: Bearer TOKEN", or add ?token=TOKEN to the address (a browser opening /?token=TOKEN keeps it in a cookie)\n`,
  );
}

/** The page a browser gets without a token: one field, sent to `/?token=` (which sets the cookie). */
const TOKEN_FORM = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>token needed</title>
<style>:root { color-scheme: light dark; font: 16px/1.4 system-ui, sans-serif; } body { margin: 2em auto; max-width: 24em; padding: 0 1em; } input { font: inherit; width: 100%; box-sizing: border-box; margin: 0.5em 0; }</style>
</head><body>
<h1>Token needed</h1>
<p>This server asks for the token it was started with (<code>--http-token</code> or <code>BOND_HTTP_TOKEN</code>).</p>
<form method="get" action="./"><label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label><button type="submit">Open the dashboard</button></form>
</body></html>
`;

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function event(stats: unknown): string {
  return `event: stats\ndata: ${JSON.stringify(stats)}\n\n`;
}
