// The receiver's dashboard for people, in a real browser (Debian's headless Chromium driven by
// playwright-core, never a downloaded browser): a live group streaming over two uplinks, its stats
// labelled with a stream name, behind --http-token. Opened once as /?token=..., the page keeps the
// token in its cookie and drops it from the address bar; each group is titled by its stream with
// its total bitrate; the charts' axes are in Mbit/s (or kbit/s) and ms; at 390 px (a phone) nothing
// scrolls sideways. Screenshots at 1280 and 390 px go to BOND_SCREENSHOT_DIR (default: a
// `bond-dashboard-screenshots` directory in the system's temp directory), never the repository.
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@bond/runtime';
import { VERSION, type StatsView } from '../src/index.js';
import { startHttpServer } from '../src/http-server.js';
import { createReceiverMetrics } from '../src/metrics.js';
import {
  CHROMIUM,
  cleanupAfterEach,
  openHeadlessPage,
  memoryLog,
  waitFor,
} from '../../common/test/support/testing.js';
import { boundUdpSocket } from '@bond/io/testing';
import { startReceiver } from './helpers.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';
import { srtData as testSrtData } from '@bond/wire/testing';

const hasChromium = existsSync(CHROMIUM);

const defer = cleanupAfterEach();

const TOKEN = 'dashboard-test-token-8e1f07c3';
/** The stream's display label the stats carry (the receiver's `stream` field of a group). */
const STREAM = 'live/feed1';
const SCREENSHOTS = process.env.BOND_SCREENSHOT_DIR ?? join(tmpdir(), 'bond-dashboard-screenshots');

function srtData(seq: number): Uint8Array {
  return testSrtData(seq, {
    messageNumber: (seq % 1000) + 1,
    timestamp: seq * 1000,
    destinationSocketId: 0x1234,
    payload: new Uint8Array(1316).fill(seq % 256),
  });
}

describe('receiver dashboard layout', () => {
  it.skipIf(!hasChromium)(
    `titles each group by its stream with units, and fits a 390-px phone (needs ${CHROMIUM})`,
    async () => {
      // The SRT listener: a socket that takes the stream, so the group stays.
      const listener = await boundUdpSocket(defer);
      const running = await startReceiver(defer, {
        srtPort: listener.address().port,
        probeIntervalMs: 60_000,
      });
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
        linkAddresses: ['127.0.0.2', '127.0.0.3'],
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === 2, 'two links up');

      // A steady stream while the page is open: 10 packets every 10 ms, for at most 40 s.
      const encoder = await boundUdpSocket(defer);
      let seq = 0;
      const trickle = setInterval(() => {
        for (let i = 0; i < 10; i++) encoder.send(srtData(seq++), sender.encoderPort, '127.0.0.1');
        if (seq > 40_000) clearInterval(trickle);
      }, 10);
      defer(() => {
        clearInterval(trickle);
        return Promise.resolve();
      });
      await waitFor(
        () => (running.stats().groups[0]?.packetsForwarded ?? 0) > 100,
        'the stream forwarded',
      );

      // The receiver's dashboard server, its stats labelled with the stream.
      const view = (): StatsView => {
        const stats = running.stats();
        return { ...stats, groups: stats.groups.map((group) => ({ ...group, stream: STREAM })) };
      };
      const http = await startHttpServer(
        { host: '127.0.0.1', port: 0 },
        TOKEN,
        view,
        createReceiverMetrics(VERSION),
        () => ({ healthy: true }),
        createLogger('warn', 'json', memoryLog()),
      );
      defer(() => http.close());
      const base = `http://${http.address}/`;

      await mkdir(SCREENSHOTS, { recursive: true });
      const page = await openHeadlessPage(chromium, defer, { width: 1280, height: 900 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const external: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(base)) external.push(request.url());
      });

      // Without the token: the form that asks for it.
      const refused = await page.goto(base, { timeout: 10_000 });
      expect(refused?.status()).toBe(401);
      await expect(page.locator('input[name="token"]').count()).resolves.toBe(1);

      // Opened once with ?token=: the page, its cookie, and the token gone from the address bar.
      await page.goto(`${base}?token=${TOKEN}`, { timeout: 10_000 });
      await page.waitForFunction(() => !window.location.search.includes('token'), undefined, {
        timeout: 5000,
      });
      expect(page.url()).toBe(base);

      const group = page.locator('section.group[data-group-id="1"]');
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        // A fresh load at this width (the charts are drawn for it), with the cookie only.
        await page.goto(base, { timeout: 10_000 });
        await group.waitFor({ timeout: 10_000 });
        expect(await page.locator('#status').textContent()).toBe('live');
        await expect(group.locator('h2 .stream').textContent()).resolves.toBe(STREAM);
        expect(await group.locator('h2 .stream').isVisible()).toBe(true);
        // The total bitrate of the stream, once the rates move.
        await page.waitForFunction(
          () => {
            const total = document.querySelector('section.group h2 .total')?.textContent ?? '';
            return /^\d+(\.\d+)? (Mbit|kbit)\/s$/.test(total) && !/^0(\.00)? /.test(total);
          },
          undefined,
          { timeout: 10_000 },
        );
        // A few seconds of history, so the screenshot shows lines.
        const seen = Number(await page.locator('#updated').textContent());
        await page.waitForFunction(
          (first) => Number(document.getElementById('updated')?.textContent ?? '0') >= first + 4,
          seen,
          { timeout: 10_000 },
        );
        // Units on the axes, visible.
        const bitrateUnit = group.locator('svg.chart.bitrate text.unit');
        expect(await bitrateUnit.textContent()).toMatch(/^(Mbit|kbit)\/s$/);
        expect(await bitrateUnit.isVisible()).toBe(true);
        expect(await group.locator('svg.chart.delay text.unit').textContent()).toBe('ms');
        expect(await group.locator('svg.chart.delay text.unit').isVisible()).toBe(true);
        // Tick labels are numbers, evenly spaced, none repeated.
        const ticks = (await group.locator('svg.chart.bitrate text.tick').allTextContents()).map(
          Number,
        );
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks[0]).toBe(0);
        const gaps = ticks.slice(1).map((tick, i) => tick - (ticks[i] ?? Number.NaN));
        for (const gap of gaps) expect(gap).toBeCloseTo(gaps[0] ?? Number.NaN, 9);
        expect(gaps[0]).toBeGreaterThan(0);
        // Chart text stays readable when the chart is drawn at the width it is shown.
        const tickHeight = await group
          .locator('svg.chart.bitrate text.tick')
          .first()
          .evaluate((node) => node.getBoundingClientRect().height);
        expect(tickHeight).toBeGreaterThanOrEqual(9);

        const path = join(SCREENSHOTS, `bond-receiver-dashboard-${width}.png`);
        await page.screenshot({ path, fullPage: true });
        expect((await stat(path)).size).toBeGreaterThan(1000);
      }

      // At 390 px: nothing wider than the screen, and the table stacked with labelled cells.
      expect(
        await page.evaluate(() => document.scrollingElement?.scrollWidth ?? Infinity),
      ).toBeLessThanOrEqual(390);
      const bitrateCell = group.locator('td.bitrate').first();
      expect(await bitrateCell.getAttribute('data-label')).toBe('bitrate');
      expect(await bitrateCell.evaluate((cell) => getComputedStyle(cell).display)).toBe('flex');
      const titleSize = await group
        .locator('h2 .stream')
        .evaluate((node) => parseFloat(getComputedStyle(node).fontSize));
      expect(titleSize).toBeGreaterThanOrEqual(14);

      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    },
    60_000,
  );
});
