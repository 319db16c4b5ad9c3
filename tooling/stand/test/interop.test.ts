// Interop with the SRTLA receivers other projects ship: the real bond-sender process against a
// receiver stand-in that answers the way the captured BELABOX and irlserver receivers do
// (packages/wire/test/vectors: unpadded and padded replies, keepalives echoed byte for byte with no
// bond trailer of their own, SRTLA ACKs per 10 packets), carrying a stamped stream from the
// built-in SRT-like source to the built-in sink. bond-sender must register every link, carry the
// stream and tell that the receiver is not bond.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@bond/io/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  StreamMeter,
  appBin,
  freeUdpPort,
  openStreamEnds,
  stampedPayload,
  startProcess,
  type SenderSnapshotLike,
  type StartedProcess,
} from '../src/index.js';
import {
  CAPTURED_RECEIVERS,
  loadCapturedReceiverStyle,
  startCapturedReceiver,
  type CapturedReceiverCounts,
} from './captured-receiver.js';
import { requireBuiltApps, sum } from './stand-counters.js';

/** The two uplinks of the captured sessions. */
const LINK_ADDRESSES = ['127.0.0.2', '127.0.0.3'] as const;
/** 300 payloads, 2 every 10 ms: about 2 Mbit/s for 1.5 s. */
const PAYLOADS = 300;
const PAYLOADS_PER_TICK = 2;
const TICK_MS = 10;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // Keep closing the rest.
    }
  }
});
beforeAll(() => {
  requireBuiltApps();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** 25 ms between checks: each reads the sender's snapshot or the meter. */
const POLL_MS = 25;

/** bond-sender with the captured sessions' two uplinks, its stats snapshots on stdout. */
async function startSender(
  receiverPort: number,
  workDir: string,
): Promise<{
  child: StartedProcess;
  port: number;
  snapshot: () => SenderSnapshotLike | undefined;
}> {
  const uplinks = join(workDir, 'uplinks.txt');
  await writeFile(
    uplinks,
    `# the captured sessions' uplinks\n${LINK_ADDRESSES.map((a, i) => `${a} name=link${i + 1}`).join('\n')}\n`,
  );
  const port = await freeUdpPort();
  let snapshot: SenderSnapshotLike | undefined;
  const child = startProcess(
    'bond-sender',
    process.execPath,
    [
      appBin('sender'),
      String(port),
      '127.0.0.1',
      String(receiverPort),
      uplinks,
      '--stats-json',
      '-',
      '--stats-interval',
      '0.2',
      '--log-format',
      'json',
    ],
    {
      onLine: (line, stream) => {
        if (stream !== 'stdout' || !line.startsWith('{')) return;
        try {
          snapshot = JSON.parse(line) as SenderSnapshotLike;
        } catch {
          // A partial line: the next snapshot comes soon.
        }
      },
    },
  );
  closers.push(() => child.stop());
  return { child, port, snapshot: () => snapshot };
}

function describeRun(
  counts: CapturedReceiverCounts,
  snapshot: SenderSnapshotLike | undefined,
  meter: StreamMeter,
  output: string,
): string {
  return JSON.stringify({
    receiver: {
      ...counts,
      registered: [...counts.registered],
      dataPackets: Object.fromEntries(counts.dataPackets),
      srtlaAcksSent: Object.fromEntries(counts.srtlaAcksSent),
      sentLengths: [...new Set(counts.sentLengths)],
    },
    stream: { ...meter.counts(), delay: undefined },
    sender: snapshot,
    senderOutput: output.slice(-1500),
  });
}

describe(
  'bond-sender against receivers answering like the captured ones',
  { timeout: 30_000 },
  () => {
    it('reads both receivers from the captures: BELABOX unpadded, irlserver padded to 32', () => {
      const [belabox, irlserver] = CAPTURED_RECEIVERS.map(loadCapturedReceiverStyle);
      expect(belabox?.padTo).toBe(2);
      expect(irlserver?.padTo).toBe(32);
      expect([belabox?.seqsPerAck, irlserver?.seqsPerAck]).toEqual([10, 10]);
    });

    it.each(CAPTURED_RECEIVERS)(
      'registers every link, carries the stream and reports a legacy receiver: %s',
      async (file) => {
        const style = loadCapturedReceiverStyle(file);
        const workDir = await mkdtemp(join(tmpdir(), 'bond-interop-'));
        closers.push(() => rm(workDir, { recursive: true, force: true }));
        const meter = new StreamMeter(() => performance.now(), 10_000);
        const ends = await openStreamEnds({
          kind: 'builtin',
          latencyMs: 1000,
          workDir,
          onPayload: (payload) => {
            meter.noteDelivered(payload);
          },
        });
        closers.push(() => ends.close());
        const receiver = await startCapturedReceiver(style, ends.listenerPort);
        closers.push(() => receiver.close());
        const sender = await startSender(receiver.port, workDir);
        const context = (): string =>
          describeRun(receiver.counts, sender.snapshot(), meter, sender.child.output());

        await waitFor(
          () => sender.snapshot()?.linksUp === 2,
          () => `both links up: ${context()}`,
          {
            timeoutMs: 15_000,
            intervalMs: POLL_MS,
          },
        );
        // One group, bootstrapped with one REG1 after the probes got NGPs, then each link's REG3.
        expect(receiver.counts.reg1, context()).toBe(1);
        expect(receiver.counts.ngpSent, context()).toBeGreaterThanOrEqual(1);
        expect(
          [...receiver.counts.registered].map((link) => link.split(':')[0]).sort(),
          context(),
        ).toEqual([...LINK_ADDRESSES]);

        await ends.connect(sender.port);
        while (meter.counts().sent < PAYLOADS) {
          for (let i = 0; i < PAYLOADS_PER_TICK; i++) {
            ends.write(stampedPayload(meter.noteSent(), performance.now()));
          }
          await sleep(TICK_MS);
        }
        await waitFor(
          () => meter.counts().delivered >= PAYLOADS,
          () => `every payload delivered: ${context()}`,
          { timeoutMs: 10_000, intervalMs: POLL_MS },
        );
        // The legacy echo (bond's own trailer back, no receiver report) comes once a second.
        await waitFor(
          () => sender.snapshot()?.receiverKind === 'legacy',
          () => `receiverKind legacy: ${context()}`,
          { timeoutMs: 5000, intervalMs: POLL_MS },
        );
        const snapshot = sender.snapshot();
        const counts = meter.counts();
        expect(counts.delivered, `every payload delivered: ${context()}`).toBeGreaterThanOrEqual(
          PAYLOADS,
        );
        expect(
          { missing: counts.missing, duplicates: counts.duplicates, outOfOrder: counts.outOfOrder },
          context(),
        ).toEqual({ missing: 0, duplicates: 0, outOfOrder: 0 });
        expect(snapshot?.receiverKind, `receiverKind legacy: ${context()}`).toBe('legacy');
        expect(receiver.counts.keepalivesWithTrailer, context()).toBeGreaterThan(0);

        // Every link carried data, was acknowledged through the captured ACK format, and measured
        // its RTT from the legacy echoes; the link's view of the receiver is legacy too.
        for (const link of receiver.counts.registered) {
          expect(receiver.counts.dataPackets.get(link), `${link}: ${context()}`).toBeGreaterThan(0);
          expect(receiver.counts.srtlaAcksSent.get(link), `${link}: ${context()}`).toBeGreaterThan(
            0,
          );
        }
        expect(snapshot?.linksUp, context()).toBe(2);
        for (const link of snapshot?.links ?? []) {
          expect(link.engine?.state, context()).toBe('up');
          expect(link.engine?.receiver, context()).toBe('legacy');
          expect(link.engine?.packetsAcked, context()).toBeGreaterThan(0);
          expect(link.engine?.srttMs, context()).toBeGreaterThan(0);
        }
        // SRT's data went through unchanged and its ACKs came back to the source.
        expect(sum([...receiver.counts.dataPackets.values()]), context()).toBeGreaterThanOrEqual(
          PAYLOADS,
        );
        expect(snapshot?.packetsToEncoder, context()).toBeGreaterThan(0);
        // SIGTERM stops bond-sender cleanly.
        await sender.child.stop();
        expect(await sender.child.exited, context()).toBe(0);
      },
    );
  },
);
