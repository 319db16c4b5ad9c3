// The simulator itself: reproducible from its seed, and a drive that cannot make progress fails.
import { encodeSrtNak, peekSrtRetransmitted, peekSrtTimestamp } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { cleanLink, linksUp } from './sim/scenario.js';
import { Simulation, SimulationStalledError } from './sim/simulation.js';
import { EncoderStandIn } from './sim/srt-stand-ins.js';

function lossyRun(seed: number) {
  const sim = new Simulation({
    seed,
    links: [
      { id: 1, up: { delayMs: 20, rateBps: 5e6, lossRate: 0.05, jitterMs: 10 } },
      { id: 2, up: { delayMs: 50, rateBps: 5e6, burst: { enter: 0.02, leave: 0.2 } } },
    ],
  });
  sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
  sim.stream(8000);
  sim.runUntil(10_000);
  return JSON.stringify({
    sender: sim.sender.stats(sim.now),
    receiver: sim.receiver.stats(sim.now),
    delivered: sim.listener.delivered,
  });
}

describe('simulator', () => {
  it('is reproducible from its seed', () => {
    expect(lossyRun(5)).toBe(lossyRun(5));
    expect(lossyRun(5)).not.toBe(lossyRun(6));
  });

  it('fails a drive that makes no progress instead of hanging', () => {
    const sim = new Simulation({ seed: 1, links: [cleanLink(1, 10)] });
    const spin = (): void => {
      sim.queue.at(sim.now, spin);
    };
    sim.queue.at(100, spin);
    expect(() => {
      sim.runUntil(1000);
    }).toThrow(SimulationStalledError);
  });

  it('never reorders a link, even with jitter', () => {
    const sim = new Simulation({
      seed: 3,
      links: [{ id: 1, up: { delayMs: 30, jitterMs: 25, rateBps: 20e6 } }],
      encoder: { packetsPerSecond: 2000, retransmit: false },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 1, 5000);
    sim.stream(5000);
    sim.runUntil(6000);
    const link = sim.receiver.stats(sim.now).groups[0]?.links[0];
    expect(link?.dataPackets).toBeGreaterThan(7000);
    expect(link?.reordered).toBe(0);
  });

  it("stamps a retransmission with the original's send time, as SRT does", () => {
    // The listener measures one-way delay from the SRT timestamp: a retransmission stamped with
    // its own send time would hide how late the packet really is.
    const encoder = new EncoderStandIn({ packetsPerSecond: 100, startSeq: 500 });
    encoder.nextPacket(100.25);
    encoder.nextPacket(110.25);
    const nak = encodeSrtNak({
      typeSpecific: 0,
      timestamp: 0,
      destinationSocketId: 1,
      ranges: [{ first: 501, last: 501 }],
    });
    const [retransmission, ...rest] = encoder.receive(400, nak);
    expect(rest).toHaveLength(0);
    expect(retransmission !== undefined && peekSrtRetransmitted(retransmission)).toBe(true);
    expect(retransmission && peekSrtTimestamp(retransmission)).toBe(110_250);
  });
});
