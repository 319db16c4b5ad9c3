// The reorder engine in the receiver's forward path, in virtual time, with links that reorder.
import { SEQ_MAX } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { ClassicScheduler, createReorderForwardPath, type ReorderMode } from '../src/index.js';
import { linksUp } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';

function skewed(mode: ReorderMode, seed: number) {
  const sim = new Simulation({
    seed,
    links: [
      { id: 1, up: { delayMs: 20, rateBps: 8e6, jitterMs: 5 } },
      { id: 2, up: { delayMs: 120, rateBps: 8e6, jitterMs: 5 } },
    ],
    encoder: { packetsPerSecond: 800 },
    listener: { lossMaxTtl: 10 },
    receiver: { forwardPath: createReorderForwardPath({ mode }) },
    // The reference scheduler spreads evenly, so both links carry data the whole time.
    sender: { scheduler: new ClassicScheduler() },
  });
  sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
  sim.stream(20_000);
  sim.runUntil(22_000);
  return sim;
}

describe('reorder engine in the receiver', () => {
  it('turns a 100 ms skew between links from spurious losses into an in-order stream', () => {
    const off = skewed('off', 51);
    const auto = skewed('auto', 51);
    // Without it, the listener sees reordering as loss and asks for retransmissions.
    expect(off.listener.outOfOrder).toBeGreaterThan(100);
    expect(off.encoder.retransmitted).toBeGreaterThan(100);
    // With it: in order, nothing lost, (almost) nothing retransmitted.
    expect(auto.listener.outOfOrder).toBe(0);
    expect(auto.listener.delivered).toBe(auto.encoder.sent);
    expect(auto.encoder.retransmitted).toBeLessThan(off.encoder.retransmitted / 20);
    const group = auto.receiver.stats(auto.now).groups[0];
    const reorder = group?.forwardPath as { holdMs: number; reordered: number };
    expect(reorder.reordered).toBeGreaterThan(100);
    expect(reorder.holdMs).toBeGreaterThan(90);
    expect(reorder.holdMs).toBeLessThan(200);
  });

  it('with a hold computed from zero skew and the sequence wrapping: no stall, no reordering, no loss', () => {
    const sim = new Simulation({
      seed: 52,
      links: [
        { id: 1, up: { delayMs: 30, rateBps: 8e6 } },
        { id: 2, up: { delayMs: 30, rateBps: 8e6 } },
      ],
      encoder: { packetsPerSecond: 1000, startSeq: SEQ_MAX - 3000, retransmit: false },
      receiver: { forwardPath: createReorderForwardPath({ mode: 'auto', marginMs: 0 }) },
      sender: { scheduler: new ClassicScheduler() },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(10_000);
    sim.runUntil(11_000);
    expect(sim.encoder.nextSeq).toBeLessThan(10_000);
    expect(sim.listener.delivered).toBe(sim.encoder.sent);
    expect(sim.listener.outOfOrder).toBe(0);
    const stats = sim.receiver.stats(sim.now).groups[0]?.forwardPath as {
      held: number;
      skipped: number;
      holdMs: number;
    };
    expect(stats.held).toBe(0);
    expect(stats.skipped).toBe(0);
    // Zero measured skew and zero margin: the hold is clamped to 1 ms, not 0.
    expect(stats.holdMs).toBe(1);
  });

  it('absorbs jitter on equal links: the hold covers it', () => {
    const sim = new Simulation({
      seed: 53,
      links: [
        { id: 1, up: { delayMs: 30, rateBps: 8e6, jitterMs: 15 } },
        { id: 2, up: { delayMs: 30, rateBps: 8e6, jitterMs: 15 } },
      ],
      encoder: { packetsPerSecond: 1000, retransmit: false },
      receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
      sender: { scheduler: new ClassicScheduler() },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(10_000);
    sim.runUntil(11_000);
    expect(sim.listener.delivered).toBe(sim.encoder.sent);
    expect(sim.listener.outOfOrder).toBe(0);
  });
});
