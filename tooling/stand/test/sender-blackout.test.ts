// bond-sender under a blackout of every link (linkem outages on both, real processes: the built
// CLIs): it says "all links down" once in its log and first in its 80-column status view while
// the links are still inside the engine's 15 s link timeout, reports the recovery once, and its
// loss column (the last 10 s) returns to 0 after the window while the lifetime loss keeps the
// outage's NAKs.
import { waitFor } from '@bond/io/testing';
import {
  LOSS_WINDOW_MS,
  STATUS_COLUMNS,
  formatStatusLines,
  type SenderStatsDocument,
} from '@bond/sender';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStand, type Stand } from '../src/index.js';
import { requireBuiltApps } from './stand-counters.js';

const stands: Stand[] = [];
afterEach(async () => {
  for (const stand of stands.splice(0)) await stand.close();
});
beforeAll(() => {
  requireBuiltApps();
});

interface LogLine {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** The stats document bond-sender serves (`/api/v1/stats`). */
async function document(stand: Stand): Promise<SenderStatsDocument> {
  return (await stand.senderStats()) as unknown as SenderStatsDocument;
}

describe('bond-sender under a blackout of every link', () => {
  it('says all links down first and once, reports the recovery, and its loss window clears', async () => {
    const senderLog: LogLine[] = [];
    const stand = await createStand({
      links: [
        { name: 'a', up: { delayMs: 20 } },
        { name: 'b', up: { delayMs: 30 } },
      ],
      bitrateBps: 2e6,
      ends: 'builtin',
      senderHttp: true,
      statsIntervalS: 0.2,
      onLog: (from, line) => {
        if (from !== 'sender') return;
        try {
          senderLog.push(JSON.parse(line) as LogLine);
        } catch {
          // not a JSON log line
        }
      },
    });
    stands.push(stand);
    const messages = (text: string) => senderLog.filter((line) => line.msg?.startsWith(text));
    const context = async () =>
      `log: ${senderLog.map((line) => line.msg).join(' | ')}; stats: ${JSON.stringify((await document(stand)).linkStatus)}`;

    await stand.waitFor(
      async () => (await document(stand)).linksHealthy === 2,
      'both links up',
      15_000,
    );
    stand.startStream();
    await stand.waitFor(() => stand.counts().delivered > 500, 'the stream flowing', 15_000);
    expect((await document(stand)).alarm).toBeNull();

    // 8 s of nothing on either link: longer than the 4 s down rule, shorter than the 15 s
    // re-registration timeout.
    const blackoutMs = 8000;
    stand.emulator.link('a').outage(blackoutMs);
    stand.emulator.link('b').outage(blackoutMs);
    const blackoutStarted = performance.now();

    let seen: SenderStatsDocument | undefined;
    await waitFor(
      async () => {
        const now = await document(stand);
        if (now.alarm === 'all-down') seen = now;
        return seen !== undefined;
      },
      async () => `the all-down alarm: ${await context()}`,
      { timeoutMs: blackoutMs, intervalMs: 100 },
    );
    if (seen === undefined) throw new Error('unreachable');
    // The figure the issue asks for (within 4 s), printed rather than asserted: CI machines are slow.
    console.info(
      `blackout: the all-down alarm after ${Math.round(performance.now() - blackoutStarted)} ms`,
    );
    // Seen while the engine still schedules both links: the display follows the answers, not
    // the 15 s link timeout.
    expect(seen.links.map((link) => link.engine?.state)).toEqual(['up', 'up']);
    expect(seen.linkStatus.every((row) => row.state === 'stalled' || row.state === 'down')).toBe(
      true,
    );
    const view = formatStatusLines(seen, seen.linkStatus, 'all-down');
    expect(view[0]).toContain('ALL LINKS DOWN');
    for (const line of view) expect(line.length).toBeLessThanOrEqual(STATUS_COLUMNS);
    await waitFor(
      () => messages('all links down').length > 0,
      async () => `the all-links-down log line: ${await context()}`,
      5000,
    );

    await waitFor(
      () => messages('a link is up again').length > 0,
      async () => `the recovery log line: ${await context()}`,
      blackoutMs + 15_000,
    );
    const recovered = await document(stand);
    expect(recovered.alarm).toBeNull();
    expect(messages('all links down')).toHaveLength(1);
    expect(messages('a link is up again')).toHaveLength(1);
    expect(messages('receiver not answering')).toHaveLength(0);

    // The outage's losses were NAKed and counted; after the window the recent loss is 0 again
    // while the lifetime figure keeps them.
    await waitFor(
      async () => (await document(stand)).linkStatus.some((row) => row.lifetimeLossPercent > 0),
      async () => `NAKs counted for the outage: ${await context()}`,
      10_000,
    );
    await waitFor(
      async () => (await document(stand)).linkStatus.every((row) => row.lossPercent === 0),
      async () => `the loss window back to 0: ${await context()}`,
      LOSS_WINDOW_MS + 10_000,
    );
    const after = await document(stand);
    expect(after.linkStatus.some((row) => row.lifetimeLossPercent > 0)).toBe(true);
    expect(after.alarm).toBeNull();
  }, 90_000);
});
