/**
 * bond's own counters read for the end-to-end tests: bond-sender's stats, linkem's per-link
 * counters and bond-receiver's stats, taken together at a quiet moment so that the equalities
 * between them can be checked exactly, and a run summary for failure messages.
 */
import { existsSync } from 'node:fs';
import type { LinkStats } from '@bond/linkem';
import {
  appBin,
  type ReceiverStatsLike,
  type SenderSnapshotLike,
  type Stand,
} from '../src/index.js';

/** The three sides' counters, read while no datagram passed through linkem. */
export interface CounterReading {
  readonly sender: SenderSnapshotLike;
  readonly links: readonly LinkStats[];
  readonly receiver: ReceiverStatsLike;
}

/** Throws, saying what to do, unless bond-sender and bond-receiver are built. */
export function requireBuiltApps(): void {
  const missing = (['sender', 'receiver'] as const)
    .map((app) => appBin(app))
    .filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`not built: ${missing.join(', ')}; run npx -y pnpm@10.34.9 build first`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What linkem has passed so far, both directions, as one comparable string. */
function linkemMark(links: readonly LinkStats[]): string {
  return links
    .map(
      (link) =>
        `${link.name}:${link.up.offered}/${link.up.delivered}/${link.down.offered}/${link.down.delivered}`,
    )
    .join(' ');
}

/**
 * Reads linkem, then bond-sender and bond-receiver, then linkem again; returns the reading when
 * linkem's counters did not move in between (so nothing was on its way between the processes),
 * else undefined.
 */
async function quietReading(stand: Stand): Promise<CounterReading | undefined> {
  const before = stand.emulator.stats();
  // Gives a datagram already sent by a process but not yet counted by linkem time to show up.
  await sleep(30);
  const sender = await stand.senderStats();
  const receiver = await stand.receiverStats();
  await sleep(30);
  const after = stand.emulator.stats();
  return linkemMark(before) === linkemMark(after) ? { sender, links: after, receiver } : undefined;
}

/**
 * Reads the counters until `mismatches` finds none in one quiet reading (keepalives keep moving
 * them, so a reading may catch one on its way); bounded by `timeoutMs`.
 *
 * @returns the reading that satisfied every check.
 * @throws Error listing the mismatches of the last quiet reading, and the reading.
 */
export async function settledCounters(
  stand: Stand,
  mismatches: (reading: CounterReading) => readonly string[],
  timeoutMs = 8000,
): Promise<CounterReading> {
  const deadline = performance.now() + timeoutMs;
  let last: { reading: CounterReading; problems: readonly string[] } | undefined;
  for (let attempt = 0; attempt < 400 && performance.now() < deadline; attempt++) {
    const reading = await quietReading(stand);
    if (reading !== undefined) {
      const problems = mismatches(reading);
      if (problems.length === 0) return reading;
      last = { reading, problems };
    }
    await sleep(50 + (attempt % 5) * 37);
  }
  if (last === undefined) {
    throw new Error(`linkem's counters never stood still for a reading within ${timeoutMs} ms`);
  }
  throw new Error(
    `bond's counters do not reconcile (last of several readings):\n  ${last.problems.join('\n  ')}\n` +
      `reading: ${JSON.stringify(summarizeReading(last.reading))}`,
  );
}

/** A mismatch message when `actual` differs from `expected`. */
export function differs(what: string, actual: number, expected: number): string[] {
  return actual === expected ? [] : [`${what}: ${actual}, expected ${expected}`];
}

/** A mismatch message unless `low <= value <= high`. */
export function outside(what: string, value: number, low: number, high: number): string[] {
  return value >= low && value <= high ? [] : [`${what}: ${value}, expected ${low}..${high}`];
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** All datagrams linkem dropped in one direction of one link, whatever the cause. */
export function droppedTotal(direction: LinkStats['up']): number {
  return sum(Object.values(direction.dropped));
}

/** The address bond-receiver sees for a linkem link: linkem's upstream socket. */
export function receiverAddress(link: LinkStats): string {
  return `127.0.0.1:${link.upstreamPort}`;
}

/** The receiver's link entry for a linkem link, in the one group the stand has. */
export function receiverLink(
  receiver: ReceiverStatsLike,
  link: LinkStats,
): ReceiverStatsLike['groups'][number]['links'][number] | undefined {
  const address = receiverAddress(link);
  return receiver.groups.flatMap((group) => group.links).find((l) => l.address === address);
}

function summarizeReading(reading: CounterReading): unknown {
  return {
    sender: summarizeSender(reading.sender),
    links: reading.links.map((link) => ({
      name: link.name,
      upstreamPort: link.upstreamPort,
      up: { ...link.up, dropped: droppedTotal(link.up) },
      down: { ...link.down, dropped: droppedTotal(link.down) },
    })),
    receiver: reading.receiver,
  };
}

function summarizeSender(sender: SenderSnapshotLike | undefined): unknown {
  if (sender === undefined) return undefined;
  return {
    phase: sender.phase,
    linksUp: sender.linksUp,
    bootstraps: sender.bootstraps,
    receiverKind: sender.receiverKind,
    packetsFromEncoder: sender.packetsFromEncoder,
    packetsToEncoder: sender.packetsToEncoder,
    droppedOverload: sender.droppedOverload,
    droppedNoLink: sender.droppedNoLink,
    links: sender.links.map((link) => ({
      name: link.name,
      socket: link.socket,
      state: link.engine?.state,
      packetsSent: link.engine?.packetsSent,
      srttMs: link.engine?.srttMs,
    })),
  };
}

/**
 * What a failure message needs to tell what happened in the run: the stream's counts and gaps,
 * SRT's own counters, each link's share and linkem counters, bond-sender's latest snapshot.
 */
export async function runSummary(stand: Stand): Promise<string> {
  const report = await stand.report();
  return JSON.stringify({
    ends: report.ends,
    durationS: Number(report.durationS.toFixed(2)),
    stream: { ...report.stream, delay: undefined },
    delay: report.stream.delay,
    missingRanges: report.missingRanges,
    srt: report.srt,
    links: report.links.map((link) => ({
      name: link.name,
      share: Number(link.share.toFixed(3)),
      offered: link.up.offered,
      delivered: link.up.delivered,
      dropped: link.up.dropped,
    })),
    sender: summarizeSender(report.sender),
    problem: stand.ends.problem(),
  });
}
