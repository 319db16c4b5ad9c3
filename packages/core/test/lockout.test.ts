// The idle-link lock-out (protocol.md 7, architecture.md "Evaluator"): two equal links, one
// degraded (20% loss for 10 s) and then healed. The public receiver's compatibility evaluator with
// ACK throttling, serving a sender that counts in-flight from SRTLA ACKs, locks the healed link out
// for good; bond's receiver, serving the same sender, does not.
import { DatagramKind } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { ClassicScheduler, createReorderForwardPath, type EvaluatorMode } from '../src/index.js';
import { linksUp } from './sim/scenario.js';
import { Simulation, type SimulationConfig } from './sim/simulation.js';

const DEGRADE_FROM = 20_000;
const HEAL_AT = 30_000;

function scenario(
  evaluator: EvaluatorMode,
  ackThrottling: boolean,
  sender: SimulationConfig['sender'] = {
    scheduler: new ClassicScheduler(),
    srtAckClearsInFlight: false,
  },
) {
  const sim = new Simulation({
    seed: 71,
    links: [
      { id: 1, up: { delayMs: 30, rateBps: 8e6, queueBytes: 200_000 } },
      {
        id: 2,
        up: {
          delayMs: 35,
          rateBps: 8e6,
          queueBytes: 200_000,
          lossWindows: [[DEGRADE_FROM, HEAL_AT, 0.2]],
        },
      },
    ],
    encoder: { packetsPerSecond: 700 },
    // By default the sender of the public lock: the classic scheduler, extended keepalives with
    // telemetry, and in-flight from SRTLA ACKs alone.
    sender,
    receiver: { evaluator, ackThrottling, forwardPath: createReorderForwardPath({ mode: 'auto' }) },
  });
  sim.recordLinkLog = true;
  sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
  sim.stream(70_000);
  sim.runUntil(70_000);
  const share = (from: number, to: number) => {
    let mine = 0;
    let all = 0;
    for (const entry of sim.linkLog) {
      if (entry.kind !== DatagramKind.SrtData || entry.time < from || entry.time >= to) continue;
      all++;
      if (entry.linkId === 2) mine++;
    }
    return mine / all;
  };
  return { sim, share };
}

describe('idle-link lock-out', () => {
  it('reproduces the lock with the compatibility evaluator and ACK throttling', () => {
    const { sim, share } = scenario('compat-legacy', true);
    expect(share(10_000, DEGRADE_FROM)).toBeGreaterThan(0.4);
    // Healed at 30 s, and still locked out 35 s later.
    expect(share(HEAL_AT + 5000, HEAL_AT + 40_000)).toBeLessThan(0.03);
    const link2 = sim.receiver.stats(sim.now).groups[0]?.links[1];
    expect(link2?.score).toBe(100);
    expect(link2?.reason).toMatch(/^40 error points \(bandwidth/);
  });

  it("does not happen with bond's receiver: same sender, the healed link carries traffic again", () => {
    const { sim, share } = scenario('bond', false);
    expect(share(10_000, DEGRADE_FROM)).toBeGreaterThan(0.4);
    expect(share(HEAL_AT + 5000, HEAL_AT + 40_000)).toBeGreaterThan(0.15);
    const link2 = sim.receiver.stats(sim.now).groups[0]?.links[1];
    expect(link2?.level).toBe('good');
    expect(link2?.acksThrottled).toBe(0);
  });
});

describe('idle-link lock-out, bond to bond', () => {
  it("bond's evaluator and the adaptive balancer: the healed link is back to its fair share within 3 s", () => {
    const { sim, share } = scenario('bond', false, {});
    // Two equal links: half each.
    const fair = share(10_000, DEGRADE_FROM);
    expect(fair).toBeGreaterThan(0.45);
    expect(fair).toBeLessThan(0.55);
    // The balancer acted on the losses: the lossy link carried less while it was lossy.
    expect(share(DEGRADE_FROM + 2000, HEAL_AT)).toBeLessThan(fair - 0.1);
    // Healed at 30 s: from 3 s after healing on, every second carries at least 90% of its fair
    // share (and no more than its fair share plus a little: the other link is not starved).
    for (let from = HEAL_AT + 3000; from < HEAL_AT + 15_000; from += 1000) {
      expect(share(from, from + 1000)).toBeGreaterThan(0.9 * fair);
      expect(share(from, from + 1000)).toBeLessThan(fair + 0.05);
    }
    const link2 = sim.receiver.stats(sim.now).groups[0]?.links[1];
    expect(link2?.level).toBe('good');
  });
});
