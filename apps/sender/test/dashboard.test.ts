// The live page in a real browser: Debian's headless Chromium (driven by playwright-core, never a
// downloaded browser) loads `/` from a running sender whose two links carry a stream, shows the
// links with their state, share, rate and charts, keeps updating from the event stream, and a
// screenshot is taken.
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
import { srtData, startBench } from './sender-bench.js';

const hasChromium = existsSync(CHROMIUM);

const defer = cleanupAfterEach();

describe('live page', () => {
  it.skipIf(!hasChromium)(
    `shows the running links and updates live (needs ${CHROMIUM})`,
    async () => {
      const bench = await startBench(defer, '127.0.0.2 name=lte-a\n127.0.0.3 name=wifi\n', {
        http: { host: '127.0.0.1', port: 0 },
        // The reference balancer: this test is about the page, not balancing.
        scheduler: 'classic',
      });
      const { running } = bench;
      await waitFor(() => running.sender.stats().linksUp === 2, 'two links up');
      await bench.stream(0, 200);
      // A steady trickle while the page is open, so its charts and rates move: 10 packets every
      // 10 ms (1 ms of SRT timestamp each: real time), for at most 30 s.
      let seq = 200;
      const trickle = setInterval(() => {
        for (let i = 0; i < 10; i++) bench.encoder.send(srtData(seq++), running.sender.local.port);
        if (seq > 200 + 30_000) clearInterval(trickle);
      }, 10);
      defer(() => {
        clearInterval(trickle);
        return Promise.resolve();
      });

      const page = await openHeadlessPage(chromium, defer, { width: 1100, height: 760 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const base = `http://${running.http?.address ?? ''}/`;
      const external: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(base)) external.push(request.url());
      });

      await page.goto(base, { timeout: 10_000 });
      const links = page.locator('section.links');
      await links.locator('tr[data-link-address]').first().waitFor({ timeout: 10_000 });
      const rows = await links.locator('tr[data-link-address]').evaluateAll((found) =>
        found.map((row) => ({
          address: (row as HTMLElement).dataset.linkAddress ?? '',
          name: row.querySelector('td.name')?.textContent ?? '',
          state: row.querySelector('td.state')?.textContent ?? '',
        })),
      );
      expect(rows).toEqual(
        running.links().map((link) => ({ address: link.address, name: link.name, state: 'up' })),
      );
      expect(await links.locator('svg.chart.bitrate polyline').count()).toBe(2);
      expect(await links.locator('svg.chart.rtt polyline').count()).toBe(2);
      expect(await links.locator('svg.chart.queue polyline').count()).toBe(2);
      expect(await links.locator('.share-bar span').count()).toBe(2);
      expect(await page.locator('#summary').textContent()).toContain('links up 2/2');
      expect(await page.locator('#status').textContent()).toBe('live');

      // Updates keep coming, and the rates the page shows follow the trickle.
      const first = Number(await page.locator('#updated').textContent());
      await page.waitForFunction(
        (seen) => Number(document.getElementById('updated')?.textContent ?? '0') > seen + 1,
        first,
        { timeout: 8000 },
      );
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('section.links td.bitrate')].some(
            (cell) => cell.textContent !== '0.00 Mbit/s',
          ),
        undefined,
        { timeout: 8000 },
      );

      const screenshot = join(tmpdir(), 'bond-sender-dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect((await stat(screenshot)).size).toBeGreaterThan(1000);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    },
    40_000,
  );
});
