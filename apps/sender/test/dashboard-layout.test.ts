// The sender's live page for people, in a real browser (Debian's headless Chromium driven by
// playwright-core, never a downloaded browser), behind --http-token: opened once as /?token=...,
// it titles the stream's card with the total send rate, labels its axes in Mbit/s (or kbit/s), ms
// and %, and at 390 px (a phone) nothing scrolls sideways and the table stacks. Screenshots go to
// BOND_SCREENSHOT_DIR (default: `bond-dashboard-screenshots` in the system's temp directory).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
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

const TOKEN = 'sender-page-test-token-41d9';
const SCREENSHOTS = process.env.BOND_SCREENSHOT_DIR ?? join(tmpdir(), 'bond-dashboard-screenshots');

describe('sender live page layout', () => {
  it.skipIf(!hasChromium)(
    `shows the total send rate and units, and fits a 390-px phone (needs ${CHROMIUM})`,
    async () => {
      const bench = await startBench(defer, '127.0.0.2 name=lte-a\n127.0.0.3 name=wifi\n', {
        http: { host: '127.0.0.1', port: 0 },
        httpToken: TOKEN,
        scheduler: 'classic',
      });
      const { running } = bench;
      await waitFor(() => running.sender.stats().linksUp === 2, 'two links up');
      let seq = 0;
      const trickle = setInterval(() => {
        for (let i = 0; i < 10; i++) bench.encoder.send(srtData(seq++), running.sender.local.port);
        if (seq > 30_000) clearInterval(trickle);
      }, 10);
      defer(() => {
        clearInterval(trickle);
        return Promise.resolve();
      });
      const base = `http://${running.http?.address ?? ''}/`;
      expect((await fetch(`${base}api/v1/stats`)).status).toBe(401);

      await mkdir(SCREENSHOTS, { recursive: true });
      const page = await openHeadlessPage(chromium, defer, { width: 390, height: 844 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));

      await page.goto(`${base}?token=${TOKEN}`, { timeout: 10_000 });
      const card = page.locator('section.links');
      await card.locator('tr[data-link-address]').first().waitFor({ timeout: 10_000 });
      expect(page.url()).toBe(base);
      expect(await page.locator('#status').textContent()).toBe('live');
      // No stream label in the sender's stats (yet): the card keeps its title.
      expect(await card.locator('h2 .stream').textContent()).toBe('Links');
      await page.waitForFunction(
        () => {
          const total = document.querySelector('section.links h2 .total')?.textContent ?? '';
          return /^\d+(\.\d+)? (Mbit|kbit)\/s$/.test(total) && !/^0(\.00)? /.test(total);
        },
        undefined,
        { timeout: 10_000 },
      );
      expect(await card.locator('svg.chart.bitrate text.unit').textContent()).toMatch(
        /^(Mbit|kbit)\/s$/,
      );
      expect(await card.locator('svg.chart.rtt text.unit').textContent()).toBe('ms');
      expect(await card.locator('svg.chart.queue text.unit').textContent()).toBe('ms');
      expect(await card.locator('svg.chart.loss text.unit').textContent()).toBe('%');
      expect(await card.locator('svg.chart.loss text.unit').isVisible()).toBe(true);

      expect(
        await page.evaluate(() => document.scrollingElement?.scrollWidth ?? Infinity),
      ).toBeLessThanOrEqual(390);
      const rate = card.locator('td.bitrate').first();
      expect(await rate.getAttribute('data-label')).toBe('rate');
      expect(await rate.evaluate((cell) => getComputedStyle(cell).display)).toBe('flex');
      await page.screenshot({
        path: join(SCREENSHOTS, 'bond-sender-dashboard-390.png'),
        fullPage: true,
      });
      expect(errors).toEqual([]);
    },
    40_000,
  );
});
