// The adaptive balancer in virtual time: outages, steady shares, and the comparison with classic.
import { DatagramKind } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { ClassicScheduler, createReorderForwardPath } from '../src/index.js';
import { linksUp } from './sim/scenario.js';
import { Simulation } from './sim/simulation.js';

/** Data packets each link carried in [from, to). */
function carried(sim: Simulation, from: number, to: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const entry of sim.linkLog) {
    if (entry.kind !== DatagramKind.SrtData || entry.time < from || entry.time >= to) continue;
    counts.set(entry.linkId, (counts.get(entry.linkId) ?? 0) + 1);
  }
  return counts;
}

describe('adaptive balancer', () => {
  it('LTE link black-holed for 10 s: traffic leaves it within 1 s and returns within 3 s', () => {
    const outageStart = 10_000;
    const outageEnd = 20_000;
    const sim = new Simulation({
      seed: 61,
      links: [
        { id: 1, up: { delayMs: 30, rateBps: 6e6, queueBytes: 150_000 } },
        { id: 2, up: { delayMs: 40, rateBps: 6e6, queueBytes: 150_000 } },
        {
          id: 3,
          up: {
            delayMs: 35,
            rateBps: 6e6,
            queueBytes: 150_000,
            outages: [[outageStart, outageEnd]],
          },
        },
      ],
      encoder: { packetsPerSecond: 1000 },
      // bond to bond: the receiver reorders (so SRT sees losses, not skew).
      receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
    });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    sim.stream(30_000);
    sim.runUntil(31_000);
    const onDeadLink = sim.linkLog
      .filter((e) => e.linkId === 3 && e.kind === DatagramKind.SrtData)
      .map((e) => e.time);
    const lastDuringOutage = Math.max(
      ...onDeadLink.filter((t) => t >= outageStart && t < outageEnd),
    );
    const firstAfter = Math.min(...onDeadLink.filter((t) => t >= outageEnd));
    expect(lastDuringOutage - outageStart).toBeLessThan(1000);
    expect(firstAfter - outageEnd).toBeLessThan(3000);
    // Back to a real share, not just probes, within 3 s.
    const after = carried(sim, outageEnd + 3000, outageEnd + 6000);
    expect(after.get(3) ?? 0).toBeGreaterThan(0.15 * 3000);
    // The link was never declared dead at the registration level.
    expect(sim.senderEvents.filter((e) => e.event.type === 'link-down')).toHaveLength(0);
  });

  it('three unequal links at steady state: shares track capacity, without oscillation', () => {
    const sim = new Simulation({
      seed: 62,
      links: [
        { id: 1, up: { delayMs: 40, rateBps: 2e6, queueBytes: 100_000 } },
        { id: 2, up: { delayMs: 40, rateBps: 4e6, queueBytes: 100_000 } },
        { id: 3, up: { delayMs: 40, rateBps: 6e6, queueBytes: 100_000 } },
      ],
      // 80% of the combined 12 Mbit/s.
      encoder: { packetsPerSecond: 900 },
      receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
    });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    sim.stream(40_000);
    sim.runUntil(10_000);
    const overflowBefore = [...sim.links.values()].reduce(
      (sum, l) => sum + l.up.dataCounters.droppedQueue,
      0,
    );
    sim.runUntil(40_000);
    const windows: number[][] = [];
    for (let start = 10_000; start < 40_000; start += 5000) {
      const counts = carried(sim, start, start + 5000);
      const total = [1, 2, 3].reduce((sum, id) => sum + (counts.get(id) ?? 0), 0);
      windows.push([1, 2, 3].map((id) => (counts.get(id) ?? 0) / total));
    }
    for (const shares of windows) {
      // Ordered by capacity, and no link above what it can carry (1/6, 2/6, 3/6 of 12 at 80% load).
      expect(shares[0]).toBeLessThan(shares[1] ?? 0);
      expect(shares[1]).toBeLessThan(shares[2] ?? 0);
      expect(shares[0]).toBeLessThan(2 / 9.6 + 0.03);
      expect(shares[1]).toBeLessThan(4 / 9.6 + 0.03);
      expect(shares[2]).toBeLessThan(6 / 9.6 + 0.03);
    }
    // No oscillation of the links that carry the load: the two largest shares move by less than 10
    // points between 5-second windows. (The smallest link takes what the others leave: at this
    // load its share wanders between 0 and 20%, which is placement, not oscillation.)
    for (let index = 1; index < windows.length; index++) {
      for (const link of [1, 2]) {
        expect(
          Math.abs((windows[index]?.[link] ?? 0) - (windows[index - 1]?.[link] ?? 0)),
        ).toBeLessThan(0.1);
      }
    }
    // And after the first seconds (slow start) nothing was lost to queue overflow.
    const overflow = [...sim.links.values()].reduce(
      (sum, l) => sum + l.up.dataCounters.droppedQueue,
      0,
    );
    expect(overflow - overflowBefore).toBe(0);
  });

  it('re-routes retransmissions away from the link that lost the original', () => {
    const sim = new Simulation({
      seed: 63,
      links: [
        { id: 1, up: { delayMs: 30, rateBps: 8e6, lossRate: 0.05 } },
        { id: 2, up: { delayMs: 30, rateBps: 8e6 } },
      ],
      encoder: { packetsPerSecond: 600 },
      receiver: { forwardPath: createReorderForwardPath({ mode: 'auto' }) },
    });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(40_000);
    sim.runUntil(42_000);
    const retransmitted = sim.sender.stats(sim.now).links;
    const onLossy = retransmitted.find((l) => l.id === 1)?.packetsRetransmitted ?? 0;
    const onClean = retransmitted.find((l) => l.id === 2)?.packetsRetransmitted ?? 0;
    expect(onClean).toBeGreaterThan(10);
    expect(onLossy).toBeLessThan(onClean / 5);
    expect(sim.listener.delivered + sim.listener.tooLate).toBe(sim.encoder.sent);
  });

  it('classic keeps sending into a black-holed link until it times out (the weakness adaptive fixes)', () => {
    const sim = new Simulation({
      seed: 64,
      links: [
        { id: 1, up: { delayMs: 30, rateBps: 6e6 } },
        { id: 2, up: { delayMs: 35, rateBps: 6e6, outages: [[10_000, 20_000]] } },
      ],
      encoder: { packetsPerSecond: 800 },
      sender: { scheduler: new ClassicScheduler() },
    });
    sim.recordLinkLog = true;
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    sim.stream(20_000);
    sim.runUntil(20_000);
    const during = carried(sim, 12_000, 20_000).get(2) ?? 0;
    expect(during).toBeGreaterThan(1000);
  });
});
