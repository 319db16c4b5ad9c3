// Who may read bond-receiver's HTTP side, on loopback: `--http PORT` alone serves this machine only
// (127.0.0.1) without a warning; BOND_HTTP_TOKEN guards every route but /healthz (401 without it,
// the Bearer header lets in), and the token never reaches the log.
import { describe, expect, it, vi } from 'vitest';
import { HTTP_OPEN_WARNING } from '@bond/app-common';
import { parseCommandLine, run } from '../src/index.js';
import { cleanupAfterEach, freeTcpPort, memoryLog } from '../../common/test/support/testing.js';
import { freeUdpPort } from './helpers.js';

vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

const TOKEN = 'receiver-test-token-5f0c2a9e';

describe('bond-receiver --http access', () => {
  it('binds 127.0.0.1 for --http PORT and asks for BOND_HTTP_TOKEN on all but /healthz', async () => {
    const httpPort = await freeTcpPort();
    const command = parseCommandLine([
      '--listen',
      '127.0.0.1',
      '--http',
      String(httpPort),
      String(await freeUdpPort()),
      '127.0.0.1',
      String(await freeUdpPort()),
    ]);
    if (command.kind !== 'run') throw new Error(`got ${command.kind}`);
    const log = memoryLog();
    const running = await run(
      { ...command, settings: { ...command.settings, probeIntervalMs: 60_000 } },
      { logOutput: log, env: { BOND_HTTP_TOKEN: TOKEN } },
    );
    defer(() => running.close());
    expect(running.http?.address).toBe(`127.0.0.1:${httpPort}`);
    const base = `http://127.0.0.1:${httpPort}`;

    for (const route of ['/', '/api/v1/stats', '/metrics']) {
      const refused = await fetch(`${base}${route}`);
      expect(refused.status, route).toBe(401);
      expect(await refused.text()).toMatch(
        /^unauthorized: .* needs the token .*\(--http-token or BOND_HTTP_TOKEN\)/,
      );
      const wrong = await fetch(`${base}${route}`, {
        headers: { authorization: `Bearer ${TOKEN}0` },
      });
      expect(wrong.status, route).toBe(401);
      await wrong.arrayBuffer();
    }
    const stats = await fetch(`${base}/api/v1/stats`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { version: number }).version).toBe(1);
    // /healthz answers without the token (503 here: no SRT listener on that port).
    const health = await fetch(`${base}/healthz`);
    expect([200, 503]).toContain(health.status);
    expect(await health.json()).toHaveProperty('status');

    const lines = log.lines();
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'HTTP server listening',
        access: expect.stringMatching(/^token required/) as unknown,
      }),
    );
    expect(lines.filter((line) => line.msg === HTTP_OPEN_WARNING)).toEqual([]);
  });

  it('refuses a BOND_HTTP_TOKEN that is too short, naming the variable but not its value', async () => {
    const settings = {
      srtlaPort: 0,
      listen: '127.0.0.1',
      srtHost: '127.0.0.1',
      srtPort: await freeUdpPort(),
      http: { host: '127.0.0.1', port: 0 },
    };
    await expect(
      run(
        { settings, configFile: undefined },
        { logOutput: memoryLog(), env: { BOND_HTTP_TOKEN: 'tiny-secret' } },
      ),
    ).rejects.toThrow(
      /^environment variable BOND_HTTP_TOKEN: http-token must be 16 to 256 characters long, got 11 /,
    );
  });
});
