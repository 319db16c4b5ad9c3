// How fast the simulator runs: ten simulated minutes of a 1000 packet/s stream over three links.
// Run with `pnpm test:slow`; it prints the real time taken (a measurement, not an assertion).
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { cleanLink, linksUp } from '../sim/scenario.js';
import { Simulation } from '../sim/simulation.js';

describe('simulator speed', () => {
  it('runs ten simulated minutes of streaming', () => {
    const started = performance.now();
    const sim = new Simulation({
      seed: 99,
      links: [cleanLink(1, 20), cleanLink(2, 45), cleanLink(3, 80)],
      encoder: { packetsPerSecond: 1000 },
      listener: { lossMaxTtl: 200 },
    });
    sim.runUntilTrue(() => linksUp(sim).length === 3, 5000);
    const simulatedMs = 10 * 60_000;
    sim.stream(simulatedMs);
    sim.runUntil(simulatedMs + 2000);
    const realMs = performance.now() - started;
    console.log(
      `simulated ${simulatedMs / 60_000} min (${sim.encoder.sent} packets, ${sim.queue.size} events pending) ` +
        `in ${(realMs / 1000).toFixed(2)} s real time: ${(simulatedMs / realMs).toFixed(0)}x faster than real time`,
    );
    expect(sim.listener.delivered).toBe(sim.encoder.sent);
  }, 120_000);
});
