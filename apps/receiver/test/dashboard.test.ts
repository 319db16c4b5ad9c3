// The dashboard in a real browser: Debian's headless Chromium (driven by playwright-core, never a
// downloaded browser) loads `/` from a running receiver with a live group, shows the group and
// its links, keeps updating from the event stream, and a screenshot is taken.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  cleanupAfterEach,
  openHeadlessPage,
  waitFor,
} from '../../common/test/support/testing.js';
import { freeUdpPort, startReceiver } from './helpers.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';

const hasChromium = existsSync(CHROMIUM);

const defer = cleanupAfterEach();

describe('dashboard', () => {
  it.skipIf(!hasChromium)(
    `shows the running group and its links and updates live (needs ${CHROMIUM})`,
    async () => {
      const running = await startReceiver(defer, {
        srtPort: await freeUdpPort(),
        http: { host: '127.0.0.1', port: 0 },
        probeIntervalMs: 60_000,
      });
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
        linkAddresses: ['127.0.0.2', '127.0.0.3'],
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === 2, 'two links up');

      const page = await openHeadlessPage(chromium, defer, { width: 1100, height: 700 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const external: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(`http://${running.http?.address ?? ''}/`)) {
          external.push(request.url());
        }
      });

      await page.goto(`http://${running.http?.address ?? ''}/`, { timeout: 10_000 });
      const group = page.locator('section.group[data-group-id="1"]');
      await group.waitFor({ timeout: 10_000 });
      const addresses = await group
        .locator('tr[data-link-address]')
        .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.linkAddress ?? ''));
      const expected = running
        .stats()
        .groups[0]?.links.map((link) => link.address)
        .sort();
      expect(addresses.sort()).toEqual(expected);
      expect(await group.locator('svg.chart.bitrate polyline').count()).toBe(2);
      expect(await group.locator('svg.chart.delay polyline').count()).toBe(2);
      // No stream label in these stats: the group is titled by its number.
      expect(await group.locator('h2 .stream').textContent()).toBe('Group 1');
      expect(await page.locator('#status').textContent()).toBe('live');

      // Updates keep coming: the counter moves past its first value.
      const first = Number(await page.locator('#updated').textContent());
      await page.waitForFunction(
        (seen) => Number(document.getElementById('updated')?.textContent ?? '0') > seen,
        first,
        { timeout: 5000 },
      );

      const screenshot = join(tmpdir(), 'bond-receiver-dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect((await stat(screenshot)).size).toBeGreaterThan(1000);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    },
    30_000,
  );
});
