// bond end to end on loopback with real SRT: srt-live-transmit (caller) -> bond-sender -> linkem
// links -> bond-receiver -> srt-live-transmit (listener), all real processes (the built CLIs).
// Every payload is stamped and counted at the sink; bond's own counters (bond-sender's stats,
// linkem's, bond-receiver's) must reconcile with each other and with SRT's. Clean links, a link
// black-holed mid-stream, links added and removed by SIGHUP, and a receiver restart; the clean
// run once more with the built-in SRT-like ends, which need no srt-tools.
//
// The receiver runs with `--reorder auto`, as the demo and a real deployment behind several links
// do: without it the SRT listener NAKs every reordering between links of different delay, and the
// retransmissions become a large part of the traffic.
import { WaitTimeoutError, waitFor } from '@bond/io/testing';
import { beforeAll, afterEach, describe, expect, it } from 'vitest';
import {
  PAYLOAD_BYTES,
  createStand,
  hasSrtLiveTransmit,
  type EndsKind,
  type Stand,
  type StandLink,
  type StandOptions,
} from '../src/index.js';
import { cleanLinkMismatches, pathMismatches, srtMismatches } from './reconciliation.js';
import {
  differs,
  receiverLink,
  requireBuiltApps,
  runSummary,
  settledCounters,
  sum,
} from './stand-counters.js';

const available = hasSrtLiveTransmit();

/** 4 Mbit/s: about 380 payloads a second. */
const BITRATE_BPS = 4e6;
const PAYLOADS_PER_SECOND = BITRATE_BPS / 8 / PAYLOAD_BYTES;
/** SRT latency of the runs, ms (the stand's default). */
const LATENCY_MS = 1000;
/**
 * 15 s: bond-sender re-registers a link with no proof of life for this long (protocol.md 4.3);
 * after a receiver restart that is what brings the group back.
 */
const SENDER_LINK_TIMEOUT_MS = 15_000;

const stands: Stand[] = [];
afterEach(async () => {
  for (const stand of stands.splice(0)) await stand.close();
});
beforeAll(() => {
  requireBuiltApps();
});

async function openStand(options: StandOptions): Promise<Stand> {
  const stand = await createStand({
    reorder: 'auto',
    senderHttp: true,
    statsIntervalS: 0.2,
    latencyMs: LATENCY_MS,
    ...options,
  });
  stands.push(stand);
  return stand;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** 50 ms between checks: each reads counters of several processes. */
const POLL_MS = 50;

/** For a wait that is best effort: a timeout only means "go on"; any other error still fails. */
function goOnAfterTimeout(error: unknown): void {
  if (!(error instanceof WaitTimeoutError)) throw error;
}

/**
 * Stops the stream and waits until the last payload sent reached the sink, or `timeoutMs` passed.
 * SRT delivers in order, so by then every earlier payload either arrived or was given up on.
 */
async function stopAndDrain(stand: Stand, timeoutMs = LATENCY_MS + 4000): Promise<void> {
  stand.stopStream();
  const last = stand.counts().sent - 1;
  await waitFor(() => stand.counts().highestDelivered >= last, 'the last payload at the sink', {
    timeoutMs,
    intervalMs: POLL_MS,
  }).catch(goOnAfterTimeout);
  // A late duplicate or a straggler would show now.
  await sleep(300);
}

/** linkem's counters of `name`. */
function linkStats(stand: Stand, name: string) {
  const stats = stand.emulator.stats().find((link) => link.name === name);
  if (stats === undefined) throw new Error(`no linkem link named ${name}`);
  return stats;
}

/** Each link's share of the bytes the sender offered to linkem between two readings. */
function offeredShares(
  before: ReturnType<Stand['emulator']['stats']>,
  after: ReturnType<Stand['emulator']['stats']>,
): Map<string, number> {
  const deltas = after.map((link, i) => link.up.offeredBytes - (before[i]?.up.offeredBytes ?? 0));
  const total = sum(deltas);
  return new Map(after.map((link, i) => [link.name, total > 0 ? (deltas[i] ?? 0) / total : 0]));
}

const CLEAN_LINKS: StandLink[] = [
  { name: 'a', up: { delayMs: 5 } },
  { name: 'b', up: { delayMs: 10 } },
  { name: 'c', up: { delayMs: 15 } },
];

async function cleanLinksRun(ends: EndsKind): Promise<void> {
  const stand = await openStand({ links: CLEAN_LINKS, bitrateBps: BITRATE_BPS, ends });
  expect(stand.ends.kind).toBe(ends);
  stand.startStream();
  await sleep(3000);
  await stopAndDrain(stand);
  const summary = await runSummary(stand);
  const counts = stand.counts();
  expect(counts.sent, summary).toBeGreaterThan(2 * PAYLOADS_PER_SECOND);
  expect(
    { missing: counts.missing, duplicates: counts.duplicates, outOfOrder: counts.outOfOrder },
    `every payload arrives, once, in order: ${summary}`,
  ).toEqual({ missing: 0, duplicates: 0, outOfOrder: 0 });
  // The ends stop: SRT's control traffic ends, only bond's keepalives still move the counters.
  await stand.ends.close();
  const srt = await stand.ends.srtStats();
  const reading = await settledCounters(stand, (r) => [
    ...pathMismatches(r),
    ...cleanLinkMismatches(r),
    ...srtMismatches(ends, srt, r),
  ]);
  // Bonding: every link carried data, and the sender knows it talks to bond's receiver.
  for (const link of reading.links) {
    expect(
      receiverLink(reading.receiver, link)?.dataPackets,
      `link ${link.name}: ${summary}`,
    ).toBeGreaterThan(0);
  }
  expect(reading.sender.receiverKind).toBe('bond');
}

describe('bond end to end with real SRT (srt-live-transmit)', { timeout: 60_000 }, () => {
  it.skipIf(!available)(
    'clean links: every payload arrives in order once and the counts reconcile',
    async () => {
      await cleanLinksRun('srt-live-transmit');
    },
  );

  it.skipIf(!available)(
    'a link black-holed mid-stream: the stream goes on, the link is left and taken back',
    async () => {
      const outageMs = 4000;
      const stand = await openStand({
        links: [
          { name: 'a', up: { rateBps: 3e6, delayMs: 10, queueMs: 200 } },
          { name: 'b', up: { rateBps: 3e6, delayMs: 20, queueMs: 200 } },
          { name: 'c', up: { rateBps: 3e6, delayMs: 30, queueMs: 200 } },
        ],
        bitrateBps: BITRATE_BPS,
        ends: 'srt-live-transmit',
      });
      stand.startStream();
      await sleep(1500);
      const outageStart = stand.emulator.elapsedMs();
      const outageEnd = outageStart + outageMs;
      const deliveredAtStart = stand.counts().delivered;
      stand.emulator.link('b').outage(outageMs);

      // While b is dead (after the sender had time to notice), it is offered (almost) nothing.
      await sleep(1500);
      const windowStart = { at: stand.emulator.elapsedMs(), links: stand.emulator.stats() };
      const deliveredMidway = stand.counts().delivered;
      let windowEnd = windowStart;
      while (stand.emulator.elapsedMs() < outageEnd - 400) {
        await sleep(200);
        const at = stand.emulator.elapsedMs();
        if (at < outageEnd - 100) windowEnd = { at, links: stand.emulator.stats() };
      }
      const deliveredAtEnd = stand.counts().delivered;
      const deadShare = offeredShares(windowStart.links, windowEnd.links).get('b') ?? 1;
      const context = (): Promise<string> => runSummary(stand);
      expect(
        windowEnd.at - windowStart.at,
        `a window inside the outage to measure (the machine stalled?): ${await context()}`,
      ).toBeGreaterThanOrEqual(500);
      expect(deadShare, `b's share of offered bytes while dead: ${await context()}`).toBeLessThan(
        0.05,
      );
      // The stream kept being delivered through the outage, in both halves of it.
      expect(deliveredMidway, await context()).toBeGreaterThan(deliveredAtStart);
      expect(deliveredAtEnd, await context()).toBeGreaterThan(deliveredMidway);

      // After the outage b carries a real share again.
      await waitFor(() => stand.emulator.elapsedMs() >= outageEnd, 'the end of the outage', {
        timeoutMs: 3000,
        intervalMs: POLL_MS,
      }).catch(goOnAfterTimeout);
      let last = stand.emulator.stats();
      let backShare = 0;
      await waitFor(
        () => {
          const now = stand.emulator.stats();
          if (
            sum(
              now.map(
                (l) =>
                  l.up.offeredBytes - (last.find((x) => x.name === l.name)?.up.offeredBytes ?? 0),
              ),
            ) <
            100 * PAYLOAD_BYTES
          ) {
            return false;
          }
          backShare = offeredShares(last, now).get('b') ?? 0;
          last = now;
          return backShare >= 0.1;
        },
        async () =>
          `b back to >= 10% of the offered bytes after the outage (last ${backShare.toFixed(3)}): ${await context()}`,
        { timeoutMs: 8000, intervalMs: POLL_MS },
      );

      await stopAndDrain(stand);
      const summary = await context();
      const counts = stand.counts();
      const srtNow = await stand.ends.srtStats();
      expect(counts.duplicates, summary).toBe(0);
      expect(counts.outOfOrder, summary).toBe(0);
      // No unexplained loss: what did not arrive is what SRT itself gave up on (too late).
      expect(counts.missing, `missing vs SRT's too-late drops: ${summary}`).toBe(
        srtNow.listener?.packetsDropped ?? -1,
      );
      expect(linkStats(stand, 'b').up.dropped.outage, summary).toBeGreaterThan(0);

      await stand.ends.close();
      await settledCounters(stand, (r) => [
        ...pathMismatches(r),
        ...r.links.flatMap((link) =>
          link.name === 'b'
            ? []
            : differs(`link ${link.name}: linkem outage drops`, link.up.dropped.outage, 0),
        ),
      ]);
    },
  );

  it.skipIf(!available)(
    'SIGHUP adds a link and removes another mid-stream without disturbing the stream',
    async () => {
      const stand = await openStand({
        links: [
          { name: 'a', up: { rateBps: 5e6, delayMs: 10, queueMs: 200 } },
          { name: 'b', up: { rateBps: 5e6, delayMs: 20, queueMs: 200 } },
          { name: 'c', up: { rateBps: 5e6, delayMs: 15, queueMs: 200 }, standby: true },
        ],
        bitrateBps: BITRATE_BPS,
        ends: 'srt-live-transmit',
      });
      const context = (): Promise<string> => runSummary(stand);
      expect(linkStats(stand, 'c').up.offered, 'c is not in the uplink file yet').toBe(0);
      stand.startStream();
      await sleep(1500);

      await stand.setUplinks(['a', 'b', 'c']);
      await waitFor(
        () => linkStats(stand, 'c').up.deliveredBytes >= 50 * PAYLOAD_BYTES,
        async () => `the added link c carries data: ${await context()}`,
        { timeoutMs: 10_000, intervalMs: POLL_MS },
      );
      expect(
        stand
          .senderSnapshot()
          ?.links.map((l) => l.name)
          .sort(),
      ).toEqual(['a', 'b', 'c']);

      await stand.setUplinks(['a', 'c']);
      await waitFor(
        () => stand.senderSnapshot()?.links.every((link) => link.name !== 'b') === true,
        async () => `b is gone from bond-sender's links: ${await context()}`,
        { timeoutMs: 10_000, intervalMs: POLL_MS },
      );
      // Its socket is closed: not one more datagram on b, while a and c go on.
      await sleep(300);
      const bAfterRemoval = linkStats(stand, 'b').up.offered;
      const othersBefore = ['a', 'c'].map((name) => linkStats(stand, name).up.offered);
      await sleep(1500);
      expect(linkStats(stand, 'b').up.offered, await context()).toBe(bAfterRemoval);
      ['a', 'c'].forEach((name, i) => {
        expect(linkStats(stand, name).up.offered).toBeGreaterThan(othersBefore[i] ?? Infinity);
      });

      await stopAndDrain(stand);
      const summary = await context();
      const counts = stand.counts();
      const srt = await stand.ends.srtStats();
      expect(counts.duplicates, summary).toBe(0);
      expect(counts.outOfOrder, summary).toBe(0);
      expect(counts.missing, `missing vs SRT's too-late drops: ${summary}`).toBe(
        srt.listener?.packetsDropped ?? -1,
      );
      await stand.ends.close();
      const reading = await settledCounters(stand, (r) => [
        ...pathMismatches(r),
        ...cleanLinkMismatches(r),
      ]);
      const c = reading.links.find((link) => link.name === 'c');
      expect(c, 'linkem link c').toBeDefined();
      if (c !== undefined) {
        expect(receiverLink(reading.receiver, c)?.dataPackets, summary).toBeGreaterThan(0);
      }
    },
  );

  it.skipIf(!available)(
    'bond-receiver restarts mid-stream: bond-sender registers again and the stream resumes',
    async () => {
      const stand = await openStand({
        links: [
          { name: 'a', up: { rateBps: 5e6, delayMs: 10, queueMs: 200 } },
          { name: 'b', up: { rateBps: 5e6, delayMs: 20, queueMs: 200 } },
          { name: 'c', up: { rateBps: 5e6, delayMs: 30, queueMs: 200 } },
        ],
        bitrateBps: BITRATE_BPS,
        ends: 'srt-live-transmit',
      });
      const context = (): Promise<string> => runSummary(stand);
      stand.startStream();
      await sleep(1500);
      const bootstrapsBefore = stand.senderSnapshot()?.bootstraps ?? 0;
      const sentAtRestart = stand.counts().sent;
      await stand.restartReceiver();

      // The new receiver knows no group: the sender must bootstrap one again (REG1) and bring
      // every link back, within its link timeout and a few seconds.
      let rejoined = false;
      await stand.waitFor(
        async () => {
          const snapshot = stand.senderSnapshot();
          if ((snapshot?.bootstraps ?? 0) <= bootstrapsBefore || snapshot?.linksUp !== 3) {
            return false;
          }
          const stats = await stand.receiverStats();
          rejoined =
            stats.groups.length === 1 &&
            stats.groups[0]?.links.filter((link) => link.state === 'up').length === 3;
          return rejoined;
        },
        'bond-sender to register again with the restarted bond-receiver',
        SENDER_LINK_TIMEOUT_MS + 10_000,
      );
      expect(rejoined).toBe(true);

      // srt-live-transmit reconnects by itself (caller and listener): payloads flow again.
      await waitFor(
        () => stand.counts().highestDelivered >= sentAtRestart,
        async () => `payloads sent after the restart arrive: ${await context()}`,
        { timeoutMs: 15_000, intervalMs: POLL_MS },
      );
      const sentAtResume = stand.counts().sent;
      await sleep(1000);
      await stopAndDrain(stand);
      const summary = await context();
      const report = await stand.report();
      expect(
        stand.ends.problem(),
        'srt-live-transmit caller and listener still run',
      ).toBeUndefined();
      expect(stand.counts().outOfOrder, summary).toBe(0);
      expect(stand.counts().duplicates, summary).toBe(0);
      // The loss is the restart's: payloads in flight around it and sent until the stream came
      // back; everything sent once it had resumed arrived.
      const earliestLost = sentAtRestart - Math.ceil(2 * PAYLOADS_PER_SECOND);
      for (const [first, last] of report.missingRanges) {
        expect(first, `a gap before the restart: ${summary}`).toBeGreaterThanOrEqual(earliestLost);
        expect(last, `a gap after the stream resumed: ${summary}`).toBeLessThan(sentAtResume);
      }
      const stats = await stand.receiverStats();
      expect(stats.registration?.groupsCreated, summary).toBeGreaterThanOrEqual(1);
      expect(stats.groups[0]?.packetsForwarded, summary).toBeGreaterThan(0);
    },
  );
});

describe('bond end to end with the built-in SRT-like ends', { timeout: 60_000 }, () => {
  it('clean links: every payload arrives in order once and the counts reconcile', async () => {
    await cleanLinksRun('builtin');
  });
});
