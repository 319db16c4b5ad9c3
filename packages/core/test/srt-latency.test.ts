// The SRT latency in the HSv5 handshake, and the adaptive scheduler's queueing budget derived from
// it (srt-latency.ts): read from the caller's HSREQ and the listener's HSRSP as they pass through
// the sender, 25% of the agreed latency, clamped, 250 ms without a handshake.
import { WireDecodeError } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveScheduler,
  ClassicScheduler,
  QUEUEING_BUDGET,
  SenderEngine,
  createSeededRandom,
  queueingBudgetMs,
  readSrtTsbpdDelays,
  type Scheduler,
} from '../src/index.js';
import { linksUp } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';
import {
  HSREQ,
  HSRSP,
  SRT_VERSION,
  callerConclusion,
  handshake,
  listenerConclusion,
} from './srt-handshakes.js';
import { srtData } from '@bond/wire/testing';

describe('queueing budget from the SRT latency', () => {
  it('is 25% of the first second of latency and 5% of the rest, 250 ms without one, clamped to 50..2000 ms', () => {
    expect(queueingBudgetMs(undefined)).toBe(250);
    expect(queueingBudgetMs(1000)).toBe(250);
    expect(queueingBudgetMs(800)).toBe(200);
    expect(queueingBudgetMs(2000)).toBe(300);
    expect(queueingBudgetMs(1600)).toBe(280);
    expect(queueingBudgetMs(4000)).toBe(400);
    // SRT's default 120 ms and a latency of 0: the floor.
    expect(queueingBudgetMs(120)).toBe(QUEUEING_BUDGET.minMs);
    expect(queueingBudgetMs(0)).toBe(50);
    // The largest a handshake can carry (16 bits): the ceiling.
    expect(queueingBudgetMs(65_535)).toBe(QUEUEING_BUDGET.maxMs);
    expect(queueingBudgetMs(-1)).toBe(250);
    expect(queueingBudgetMs(Number.NaN)).toBe(250);
    expect(queueingBudgetMs(Number.POSITIVE_INFINITY)).toBe(250);
  });

  it('reads the latency of HSREQ (sender delay) and HSRSP (receiver delay)', () => {
    expect(readSrtTsbpdDelays(callerConclusion(1800))).toEqual({ type: HSREQ, latencyMs: 1800 });
    expect(readSrtTsbpdDelays(listenerConclusion(2000))).toEqual({ type: HSRSP, latencyMs: 2000 });
    // Past a stream id block.
    const withSid = handshake([
      [5, 0x6c697665],
      [HSRSP, SRT_VERSION, 0xbf, (1500 << 16) | 120],
    ]);
    expect(readSrtTsbpdDelays(withSid)?.latencyMs).toBe(1500);
    // Not live mode: the listener does not receive with TSBPD, so there is no latency.
    expect(readSrtTsbpdDelays(listenerConclusion(2000, 0xbf & ~0x02))).toEqual({
      type: HSRSP,
      latencyMs: undefined,
    });
  });

  it('reads nothing from other datagrams and throws on broken extension blocks', () => {
    expect(readSrtTsbpdDelays(handshake([]))).toBeUndefined();
    // HSv4 carries no extension blocks (its HSREQ is a separate control packet).
    expect(
      readSrtTsbpdDelays(handshake([[HSRSP, SRT_VERSION, 0xbf, 2000 << 16]], { version: 4 })),
    ).toBeUndefined();
    expect(
      readSrtTsbpdDelays(handshake([[HSRSP, SRT_VERSION, 0xbf, 2000 << 16]], { handshakeType: 1 })),
    ).toBeUndefined();
    // A block too short to hold the delays is skipped.
    expect(readSrtTsbpdDelays(handshake([[HSRSP, SRT_VERSION, 0xbf]]))).toBeUndefined();
    const data = srtData(1, { payloadBytes: 100 });
    expect(readSrtTsbpdDelays(data)).toBeUndefined();
    const overrun = listenerConclusion(2000);
    new DataView(overrun.buffer).setUint16(66, 9);
    expect(() => readSrtTsbpdDelays(overrun)).toThrow(WireDecodeError);
  });
});

describe('the sender follows the handshake', () => {
  function sender(scheduler: Scheduler = new AdaptiveScheduler()): SenderEngine {
    const engine = new SenderEngine({ random: createSeededRandom(5), scheduler });
    engine.addLink(0, { id: 1 });
    return engine;
  }

  it('uses 250 ms until a handshake, the request until the answer, then the agreed latency', () => {
    const engine = sender();
    expect(engine.stats(0)).toMatchObject({
      srtLatencyMs: undefined,
      srtLatencyAgreed: false,
      queueingBudgetMs: 250,
    });
    engine.handleEncoderDatagram(1, callerConclusion(1600));
    expect(engine.stats(1)).toMatchObject({
      srtLatencyMs: 1600,
      srtLatencyAgreed: false,
      queueingBudgetMs: 280,
    });
    // The listener runs with a larger latency than the caller asked for: its answer counts.
    engine.handleLinkDatagram(2, 1, listenerConclusion(2000));
    expect(engine.stats(2)).toMatchObject({
      srtLatencyMs: 2000,
      srtLatencyAgreed: true,
      queueingBudgetMs: 300,
    });
    // The caller repeating its conclusion does not undo the answer...
    engine.handleEncoderDatagram(3, callerConclusion(1600));
    expect(engine.stats(3)).toMatchObject({ srtLatencyMs: 2000, queueingBudgetMs: 300 });
    // ...a new connection asking for something else does, until its answer.
    engine.handleEncoderDatagram(4, callerConclusion(3000));
    expect(engine.stats(4)).toMatchObject({ srtLatencyMs: 3000, queueingBudgetMs: 350 });
    // Absurd values are clamped.
    engine.handleLinkDatagram(5, 1, listenerConclusion(65_535));
    expect(engine.stats(5).queueingBudgetMs).toBe(2000);
    engine.handleLinkDatagram(6, 1, listenerConclusion(0));
    expect(engine.stats(6).queueingBudgetMs).toBe(50);
    // A connection not in live mode has no latency: back to the fallback.
    engine.handleLinkDatagram(7, 1, listenerConclusion(2000, 0));
    expect(engine.stats(7)).toMatchObject({ srtLatencyMs: undefined, queueingBudgetMs: 250 });
  });

  it('keeps the fallback without an HSv5 handshake, and ignores a broken one', () => {
    const engine = sender();
    engine.handleEncoderDatagram(1, handshake([[HSREQ, SRT_VERSION, 0xbf, 2000]], { version: 4 }));
    const broken = listenerConclusion(2000);
    new DataView(broken.buffer).setUint16(66, 9);
    engine.handleLinkDatagram(2, 1, broken);
    expect(engine.stats(2)).toMatchObject({ srtLatencyMs: undefined, queueingBudgetMs: 250 });
    // The broken handshake still went to the encoder: its SRT decides what it is.
    expect(engine.stats(2).packetsToEncoder).toBe(1);
  });

  it('keeps a budget set in the options, and classic has none', () => {
    const fixed = sender(new AdaptiveScheduler({ maxQueueingMs: 400 }));
    fixed.handleLinkDatagram(1, 1, listenerConclusion(2000));
    expect(fixed.stats(1)).toMatchObject({ srtLatencyMs: 2000, queueingBudgetMs: 400 });
    const classic = sender(new ClassicScheduler());
    classic.handleLinkDatagram(1, 1, listenerConclusion(2000));
    expect(classic.stats(1)).toMatchObject({ srtLatencyMs: 2000, queueingBudgetMs: undefined });
  });

  it('one link 20% overloaded: with a 4 s latency agreed the queue may grow to 400 ms, not 250', () => {
    // The overload scenario of adaptive-scenarios.test.ts (5 Mbit/s, 1 s queue, 6 Mbit/s of
    // stream), once without a handshake and once with the listener's answer of 4000 ms.
    const run = (latencyMs: number | undefined) => {
      const sim = new Simulation({
        seed: 66,
        links: [{ id: 1, up: { delayMs: 30, rateBps: 5e6, queueBytes: 625_000 } }],
        encoder: { packetsPerSecond: 563, latencyMs: 4000 },
        listener: { latencyMs: 4000 },
      });
      sim.runUntilTrue(() => linksUp(sim).length === 1, 5000);
      if (latencyMs !== undefined) sim.injectToSender(1, listenerConclusion(latencyMs));
      const start = sim.now;
      sim.stream(start + 20_000);
      const path = sim.links.get(1)?.up;
      let largestBacklog = 0;
      for (let t = start + 5000; t < start + 20_000; t += 50) {
        sim.runUntil(t);
        largestBacklog = Math.max(largestBacklog, path?.backlogBytes(sim.now) ?? Infinity);
      }
      const stats = sim.sender.stats(sim.now);
      return {
        largestBacklog,
        budget: stats.queueingBudgetMs,
        queueDrops: path?.dataCounters.droppedQueue,
      };
    };
    const fallback = run(undefined);
    const agreed = run(4000);
    expect(fallback.budget).toBe(250);
    expect(agreed.budget).toBe(400);
    // 5 Mbit/s: 250 ms of queue is 156 kB, 400 ms is 250 kB. A delay sample is as old as the
    // queue it measures, so the queue overshoots by what 20% of overload adds meanwhile, plus an
    // RTT: about 1.2 x 400 + 60 ms, 337 kB (the link's queue of 1 s is 625 kB).
    expect(fallback.largestBacklog).toBeLessThan(200_000);
    expect(agreed.largestBacklog).toBeGreaterThan(200_000);
    expect(agreed.largestBacklog).toBeLessThan(337_000);
    // Within the link's own queue either way: no queue drops, the excess is dropped at the sender.
    expect(fallback.queueDrops).toBe(0);
    expect(agreed.queueDrops).toBe(0);
  }, 30_000);
});
