// Each impairment on real loopback sockets. Assertions are on counts and order, and on lower bounds
// of time (a loaded machine only makes things later), never on tight durations.
import { performance } from 'node:perf_hooks';
import { waitFor } from '@bond/io/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinkEmulator, loadTrace, type Impairment, type LinkOptions } from '../src/index.js';
import { closeAll, openPeer, sendSeries, sleep, track, type Peer } from './udp-harness.js';
import { traceFile } from '../../../packages/core/test/traces.js';

afterEach(closeAll);

async function oneLink(
  up: Impairment,
  extra: Partial<LinkOptions> = {},
  seed = 1,
): Promise<{
  receiver: Peer;
  sender: Peer;
  emulator: Awaited<ReturnType<typeof createLinkEmulator>>;
}> {
  const receiver = await openPeer();
  const sender = await openPeer();
  const emulator = track(
    await createLinkEmulator({
      seed,
      links: [{ name: 'a', target: { address: '127.0.0.1', port: receiver.port }, up, ...extra }],
    }),
  );
  return { receiver, sender, emulator };
}

/** Sequence numbers missing from `received` among 0..count-1. */
function missing(received: readonly { seq: number }[], count: number): number[] {
  const seen = new Set(received.map((r) => r.seq));
  return [...Array(count).keys()].filter((seq) => !seen.has(seq));
}

describe('linkem impairments', () => {
  it('rate limit with a byte queue: a burst beyond the queue is cut to queue + rate x time', async () => {
    // 8 Mbit/s = one 1000-byte datagram per ms; the queue holds 20 of them.
    const { receiver, sender, emulator } = await oneLink({
      rateBps: 8_000_000,
      queueBytes: 20_000,
    });
    const link = emulator.link('a');
    const start = performance.now();
    await sendSeries(sender, link.address, 300, { size: 1000, batch: 300 });
    await waitFor(() => link.stats().up.offered === 300, 'all 300 offered');
    const offeredWithinMs = performance.now() - start;
    await waitFor(() => {
      const up = link.stats().up;
      return up.queueBytes === 0 && up.inFlight === 0;
    }, 'queue drained');
    const up = link.stats().up;
    expect(up.delivered + up.dropped.queue).toBe(300);
    expect(up.delivered).toBeGreaterThanOrEqual(20);
    expect(up.delivered).toBeLessThanOrEqual(20 + 2 + Math.ceil(offeredWithinMs));
    expect(up.dropped.queue).toBeGreaterThan(0);
    await waitFor(() => receiver.received.length === up.delivered, 'receiver got every delivery');
    const seqs = receiver.received.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('rate limit with a ms queue: datagrams that would wait longer than queueMs are dropped', async () => {
    const { sender, emulator } = await oneLink({ rateBps: 8_000_000, queueMs: 10 });
    const link = emulator.link('a');
    const start = performance.now();
    await sendSeries(sender, link.address, 200, { size: 1000, batch: 200 });
    await waitFor(() => link.stats().up.offered === 200, 'all offered');
    const offeredWithinMs = performance.now() - start;
    const peak = link.stats().up.queueMs;
    expect(peak).toBeLessThanOrEqual(10);
    await waitFor(() => link.stats().up.queueBytes === 0, 'queue drained');
    const up = link.stats().up;
    expect(up.delivered + up.dropped.queue).toBe(200);
    expect(up.delivered).toBeGreaterThanOrEqual(10);
    expect(up.delivered).toBeLessThanOrEqual(10 + 2 + Math.ceil(offeredWithinMs));
  });

  it('delay: no datagram arrives before the configured delay', async () => {
    const { receiver, sender, emulator } = await oneLink({ delayMs: 40 });
    const link = emulator.link('a');
    const sentAt: number[] = [];
    for (let seq = 0; seq < 20; seq++) {
      sentAt.push(performance.now());
      sender.send(link.address, seq);
      await sleep(2);
    }
    await waitFor(() => receiver.received.length === 20, 'all delayed datagrams');
    for (const r of receiver.received) {
      expect(r.at - (sentAt[r.seq] ?? Infinity)).toBeGreaterThanOrEqual(40);
    }
  });

  it('jitter adds up to jitterMs of delay and never reorders', async () => {
    const { receiver, sender, emulator } = await oneLink({ delayMs: 5, jitterMs: 30 });
    const link = emulator.link('a');
    const start = performance.now();
    await sendSeries(sender, link.address, 200, { batch: 50 });
    await waitFor(() => receiver.received.length === 200, 'all jittered datagrams');
    expect(receiver.received.map((r) => r.seq)).toEqual([...Array(200).keys()]);
    // 200 uniform draws in [0, 30): the largest is almost surely above 20 ms (seeded anyway).
    const last = receiver.received.at(-1)?.at ?? 0;
    expect(last - start).toBeGreaterThanOrEqual(5 + 20);
  });

  it('random loss: seeded, within binomial bounds, and reproducible', async () => {
    const lostWith = async (seed: number): Promise<number[]> => {
      const { receiver, sender, emulator } = await oneLink({ lossRate: 0.2 }, {}, seed);
      const link = emulator.link('a');
      await sendSeries(sender, link.address, 1000);
      await waitFor(() => link.stats().up.offered === 1000, 'all offered');
      const up = link.stats().up;
      await waitFor(() => receiver.received.length === up.delivered, 'deliveries received');
      expect(up.dropped.loss + up.delivered).toBe(1000);
      return missing(receiver.received, 1000);
    };
    const first = await lostWith(42);
    // Binomial(1000, 0.2): mean 200, sd 12.6; +-5 sd.
    expect(first.length).toBeGreaterThanOrEqual(137);
    expect(first.length).toBeLessThanOrEqual(263);
    expect(await lostWith(42)).toEqual(first);
    expect(await lostWith(43)).not.toEqual(first);
  });

  it('bursty loss (Gilbert-Elliott) loses datagrams in runs', async () => {
    // Stationary bad share 0.05 / (0.05 + 0.25) = 1/6; mean run length 1 / 0.25 = 4.
    const { receiver, sender, emulator } = await oneLink({ burst: { enter: 0.05, leave: 0.25 } });
    const link = emulator.link('a');
    await sendSeries(sender, link.address, 1000);
    await waitFor(() => link.stats().up.offered === 1000, 'all offered');
    const up = link.stats().up;
    await waitFor(() => receiver.received.length === up.delivered, 'deliveries received');
    const lost = missing(receiver.received, 1000);
    expect(lost.length).toBe(up.dropped.loss);
    expect(lost.length).toBeGreaterThanOrEqual(60);
    expect(lost.length).toBeLessThanOrEqual(320);
    const runs = lost.filter((seq, i) => i === 0 || lost[i - 1] !== seq - 1).length;
    // Independent loss at 1/6 would give about lost x 5/6 runs.
    expect(runs).toBeLessThan(lost.length * 0.5);
  });

  it('scheduled outage: nothing delivered during it, traffic flows after', async () => {
    const { receiver, sender, emulator } = await oneLink({}, { outages: [[0, 150]] });
    const link = emulator.link('a');
    const deliveredAt: number[] = [];
    receiver.socket.on('message', () => deliveredAt.push(emulator.elapsedMs()));
    for (let seq = 0; emulator.elapsedMs() < 250 && seq < 1000; seq++) {
      sender.send(link.address, seq);
      await sleep(5);
    }
    await waitFor(
      () => link.stats().up.offered === receiver.received.length + link.stats().up.dropped.outage,
      'settled',
    );
    expect(link.stats().up.dropped.outage).toBeGreaterThan(0);
    expect(deliveredAt.length).toBeGreaterThan(0);
    expect(Math.min(...deliveredAt)).toBeGreaterThanOrEqual(150);
  });

  it('outage(ms) at run time black-holes both directions, then ends', async () => {
    const { receiver, sender, emulator } = await oneLink({});
    const link = emulator.link('a');
    receiver.socket.on('message', (message, from) => {
      receiver.socket.send(message, from.port, from.address);
    });
    link.outage(100);
    await sendSeries(sender, link.address, 10);
    await waitFor(() => link.stats().up.dropped.outage === 10, 'outage drops');
    await waitFor(() => emulator.elapsedMs() > 110, 'outage over');
    await sendSeries(sender, link.address, 10, { first: 100 });
    await waitFor(() => sender.received.length === 10, 'echoes after the outage');
    expect(receiver.received.map((r) => r.seq)).toEqual([...Array(10).keys()].map((i) => 100 + i));
  });

  it('trace replay: each 1500-byte datagram waits for its own opportunity', async () => {
    // Three opportunities every 20 ms, period 100 ms: 150 datagrams/s.
    const trace = [20, 40, 60, 80, 100].flatMap((t) => [t, t, t]);
    const { receiver, sender, emulator } = await oneLink({ trace, queueBytes: 1_000_000 });
    const link = emulator.link('a');
    const deliveredAt: number[] = [];
    receiver.socket.on('message', () => deliveredAt.push(emulator.elapsedMs()));
    await sendSeries(sender, link.address, 30, { size: 1500, batch: 30 });
    await waitFor(() => receiver.received.length === 30, 'all 30 through the trace', 5000);
    expect(receiver.received.map((r) => r.seq)).toEqual([...Array(30).keys()]);
    // Datagram i can leave no earlier than opportunity i: 20, 20, 20, 40, ... 100, then 120, ...
    deliveredAt.forEach((at, i) => {
      const opportunity = Math.floor(i / 15) * 100 + (Math.floor((i % 15) / 3) + 1) * 20;
      expect(at).toBeGreaterThanOrEqual(opportunity);
    });
  });

  it('replays a cellular trace file given by path', async () => {
    const path = traceFile('Verizon-LTE-short.up');
    // The traces README gives 6.0 Mbit/s (rounded) for this one.
    const meanMbps = loadTrace(path).meanRateBps / 1e6;
    expect(meanMbps).toBeGreaterThan(5.9);
    expect(meanMbps).toBeLessThan(6.1);
    const { emulator, sender } = await oneLink({ trace: path, queueMs: 1000 });
    const link = emulator.link('a');
    await sendSeries(sender, link.address, 40, { size: 1500, batch: 40 });
    await waitFor(() => link.stats().up.offered === 40, 'offered');
    expect(link.stats().up.dropped.queue).toBe(0);
    await waitFor(() => link.stats().up.delivered === 40, 'delivered through the trace');
  });

  it('update() at run time changes loss, and resets a field with null', async () => {
    const { receiver, sender, emulator } = await oneLink({ lossRate: 1 });
    const link = emulator.link('a');
    await sendSeries(sender, link.address, 20);
    await waitFor(() => link.stats().up.dropped.loss === 20, 'all lost');
    link.update({ lossRate: null, delayMs: 10 }, 'up');
    await sendSeries(sender, link.address, 20, { first: 20 });
    await waitFor(() => receiver.received.length === 20, 'all delivered after the update');
    expect(receiver.received[0]?.seq).toBe(20);
    expect(() => {
      link.update({ lossRate: 2 });
    }).toThrow(/update\(up\)\.lossRate: must be a probability/);
    expect(link.stats().up.dropped.loss).toBe(20);
  });

  it('update() of the rate re-plans the queue from now', async () => {
    // 80 kbit/s: one 1000-byte datagram per 100 ms, so 20 queued would take 2 s.
    const { receiver, sender, emulator } = await oneLink({ rateBps: 80_000 });
    const link = emulator.link('a');
    await sendSeries(sender, link.address, 20, { size: 1000, batch: 20 });
    await waitFor(() => link.stats().up.offered === 20, 'offered');
    link.update({ rateBps: null });
    await waitFor(() => receiver.received.length === 20, 'queue released at the new rate', 1000);
  });
});
