// `--http-token` on the shared stats server, on loopback: every route but /healthz refuses a
// request without the token (401, also a route the server does not know, so a route added later is
// covered); the Bearer header, `?token=` and the browser's cookie flow let it in; the token never
// reaches the log; an address other machines reach is a warning without a token.
import { createLogger } from '@bond/runtime';
import { describe, expect, it, vi } from 'vitest';
import {
  HTTP_ENVIRONMENT,
  HTTP_OPEN_WARNING,
  HTTP_SETTINGS,
  SettingError,
  dashboardDocument,
  parseHttpToken,
  settingsFromEnvironment,
  startStatsHttpServer,
  type HttpAddress,
} from '../src/index.js';
import { cleanupAfterEach, memoryLog } from './support/testing.js';

vi.setConfig({ testTimeout: 15_000 });

const defer = cleanupAfterEach();

const TOKEN = 'k3y-for-the-test-0123456789abcdef';

async function startGuarded(options: { token?: string; listen?: HttpAddress } = {}) {
  const log = memoryLog();
  const server = await startStatsHttpServer({
    listen: options.listen ?? { host: '127.0.0.1', port: 0 },
    ...(options.token === undefined ? {} : { token: options.token }),
    stats: () => ({ secret: 'payload-7f3a' }),
    metrics: { contentType: 'text/plain', render: () => Promise.resolve('up 1\n') },
    page: dashboardDocument({ title: 'guarded', main: () => undefined }),
    logger: createLogger('debug', 'json', log),
    health: () => ({ healthy: true, reason: 'fine' }),
  });
  defer(() => server.close());
  return { server, base: `http://${server.address}`, lines: () => log.lines() };
}

const ROUTES = ['/', '/metrics', '/api/v1/stats', '/api/v1/events', '/no/such/route'];

describe('--http-token', () => {
  it('refuses every route but /healthz without the token, and names the ways in', async () => {
    const { base } = await startGuarded({ token: TOKEN });
    for (const route of ROUTES) {
      const response = await fetch(`${base}${route}`);
      expect(response.status, route).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="bond"');
      const text = await response.text();
      expect(text).toContain('Authorization: Bearer TOKEN');
      expect(text).not.toContain('payload-7f3a');
    }
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', reason: 'fine' });
    // A wrong token, a token of another length, a bad scheme, a wrong cookie: all refused.
    for (const headers of [
      { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      { authorization: `Bearer ${TOKEN}extra` },
      { authorization: `Basic ${TOKEN}` },
      { cookie: `bond_session_1=${TOKEN}` },
    ]) {
      expect((await fetch(`${base}/api/v1/stats`, { headers })).status).toBe(401);
    }
    expect((await fetch(`${base}/metrics?token=wrong-token-wrong-token`)).status).toBe(401);
  });

  it('lets the Bearer header and ?token= in, on every route', async () => {
    const { base } = await startGuarded({ token: TOKEN });
    const stats = await fetch(`${base}/api/v1/stats`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(stats.status).toBe(200);
    expect(await stats.json()).toEqual({ secret: 'payload-7f3a' });
    const metrics = await fetch(`${base}/metrics?token=${encodeURIComponent(TOKEN)}`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toBe('up 1\n');
    const unknown = await fetch(`${base}/no/such/route`, {
      headers: { authorization: `bearer ${TOKEN}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('gives a browser a form, then the page and a Strict, HttpOnly cookie for /?token=', async () => {
    const { base, server } = await startGuarded({ token: TOKEN });
    const form = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
    expect(form.status).toBe(401);
    expect(form.headers.get('content-type')).toContain('text/html');
    expect(await form.text()).toMatch(/<input type="password" name="token"/);

    const opened = await fetch(`${base}/?token=${encodeURIComponent(TOKEN)}&view=compact`, {
      redirect: 'manual',
    });
    // The page itself, not a redirect: a browser sends no Strict cookie after a redirect that a
    // link on another site started.
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('<title>guarded</title>');
    expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
    const setCookie = opened.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      new RegExp(
        `^bond_session_${server.port}=[A-Za-z0-9_-]{43}; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Strict$`,
      ),
    );
    // The cookie holds a keyed hash of the token, never the token.
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] ?? '';
    for (const route of ['/', '/api/v1/stats', '/metrics']) {
      const response = await fetch(`${base}${route}`, {
        headers: { cookie: `other=1; ${cookie}` },
      });
      expect(response.status, route).toBe(200);
      await response.arrayBuffer();
    }
    const events = await fetch(`${base}/api/v1/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    await events.body?.cancel();
  });

  it('never writes the token to the log, and says how to get in', async () => {
    const { base, lines } = await startGuarded({ token: TOKEN });
    await (await fetch(`${base}/api/v1/stats?token=${TOKEN}`)).text();
    await (await fetch(`${base}/api/v1/stats?token=not-the-token-at-all`)).text();
    await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })
    ).text();
    const text = JSON.stringify(lines());
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('not-the-token-at-all');
    const listening = lines().find((line) => line.msg === 'HTTP server listening');
    expect(listening?.access).toMatch(/^token required/);
    expect(
      lines().filter((line) => line.msg === 'HTTP request refused: no valid token'),
    ).toHaveLength(2);
  });

  it('warns when other machines can reach it without a token, not on loopback or with one', async () => {
    const warning = HTTP_OPEN_WARNING;
    expect(warning).toMatch(/^the stats and dashboard are open to the network/);
    const open = await startGuarded({ listen: { host: '0.0.0.0', port: 0 } });
    expect(open.lines().filter((line) => line.msg === warning)).toHaveLength(1);
    const guarded = await startGuarded({ listen: { host: '0.0.0.0', port: 0 }, token: TOKEN });
    expect(guarded.lines().filter((line) => line.msg === warning)).toHaveLength(0);
    const local = await startGuarded();
    expect(local.lines().filter((line) => line.msg === warning)).toHaveLength(0);
    expect((await fetch(`${local.base}/api/v1/stats`)).status).toBe(200);
  });
});

describe('http-token setting', () => {
  it('takes 16 to 256 visible characters and says what is wrong without echoing the value', () => {
    expect(parseHttpToken(` ${TOKEN} `)).toBe(TOKEN);
    expect(() => parseHttpToken('short-secret')).toThrow(
      /http-token must be 16 to 256 characters long, got 12/,
    );
    expect(() => parseHttpToken('short-secret')).not.toThrow(/short-secret/);
    expect(() => parseHttpToken('has a space in it, long enough')).toThrow(
      /visible ASCII characters without spaces/,
    );
    expect(() => parseHttpToken('x'.repeat(257))).toThrow(SettingError);
  });

  it('comes from BOND_HTTP_TOKEN, naming the variable when it is bad', () => {
    expect(settingsFromEnvironment(HTTP_SETTINGS, HTTP_ENVIRONMENT, {})).toEqual({});
    expect(
      settingsFromEnvironment(HTTP_SETTINGS, HTTP_ENVIRONMENT, { BOND_HTTP_TOKEN: '' }),
    ).toEqual({});
    expect(
      settingsFromEnvironment(HTTP_SETTINGS, HTTP_ENVIRONMENT, { BOND_HTTP_TOKEN: TOKEN }),
    ).toEqual({ httpToken: TOKEN });
    expect(() =>
      settingsFromEnvironment(HTTP_SETTINGS, HTTP_ENVIRONMENT, { BOND_HTTP_TOKEN: 'short' }),
    ).toThrow(/^environment variable BOND_HTTP_TOKEN: http-token must be 16 to 256/);
  });
});
