// A link's health as people see it (SenderLinkStats.health), in virtual time: stalled within
// max(3 RTT, 700 ms) of a late answer, down after 4 s without proof of life (BELABOX srtla_send's
// CONN_TIMEOUT), up again when answers return; and "receiver silent" while nothing at all answers.
import { describe, expect, it } from 'vitest';
import { LINK_HEALTH, type SenderLinkHealth } from '../src/index.js';
import { cleanLink, linksUp, senderEventsOf } from './sim/scenario.js';
import { Simulation, type SimLinkConfig } from './sim/simulation.js';

/** A 10 Mb/s link, `delayMs` one way, with outages of both directions in `outages`. */
function link(
  id: number,
  delayMs: number,
  outages: readonly (readonly [number, number])[],
): SimLinkConfig {
  return {
    id,
    up: { delayMs, rateBps: 10e6, queueBytes: 250_000, outages },
    down: { delayMs, outages },
  };
}

function healths(sim: Simulation): SenderLinkHealth[] {
  return sim.sender.stats(sim.now).links.map((each) => each.health);
}

/**
 * Steps the simulation in 10 ms steps until `untilMs`; returns, for each health seen on any link,
 * the first time it was seen on every link at once.
 */
function firstAllAt(sim: Simulation, untilMs: number): Map<SenderLinkHealth, number> {
  const first = new Map<SenderLinkHealth, number>();
  while (sim.now < untilMs) {
    sim.runUntil(sim.now + 10);
    const now = healths(sim);
    const head = now[0];
    if (head !== undefined && now.every((each) => each === head) && !first.has(head)) {
      first.set(head, sim.now);
    }
  }
  return first;
}

describe('link health', () => {
  it('turns stalled within max(3 RTT, 700 ms) and down within 4 s of a blackout, then up again', () => {
    const blackout = [5000, 12_000] as const;
    const sim = new Simulation({
      seed: 21,
      links: [link(1, 20, [blackout]), link(2, 35, [blackout])],
    });
    sim.stream(20_000);
    sim.runUntil(4900);
    expect(healths(sim)).toEqual(['up', 'up']);
    expect(sim.sender.stats(sim.now).linksHealthy).toBe(2);

    const stalledOrDown = new Map<SenderLinkHealth, number>();
    const seen = firstAllAt(sim, blackout[1]);
    for (const [health, at] of seen) stalledOrDown.set(health, at);
    const stalledAt = stalledOrDown.get('stalled');
    const downAt = stalledOrDown.get('down');
    if (stalledAt === undefined || downAt === undefined) {
      throw new Error(`expected stalled then down, saw ${JSON.stringify([...seen])}`);
    }
    // RTT 40-70 ms, so 700 ms after the ACK for ten packets was due: those ten take 40 ms at
    // 250 packets/s per link; 60 ms more for the 10 ms steps and the ACKs' batching.
    expect(stalledAt).toBeGreaterThan(blackout[0]);
    expect(stalledAt).toBeLessThanOrEqual(blackout[0] + 40 + LINK_HEALTH.stallMinMs + 60);
    expect(downAt).toBeGreaterThan(stalledAt);
    // Down 4 s after the last proof of life: an answer the receiver sent just before the
    // blackout is still on its way for up to 35 ms (the slower link's one-way delay), +10 ms step.
    expect(downAt).toBeLessThanOrEqual(blackout[0] + LINK_HEALTH.downMs + 35 + 10);
    // The engine keeps the links in the schedule until its own (longer) link timeout.
    expect(linksUp(sim)).toEqual([1, 2]);
    expect(sim.sender.stats(sim.now).linksHealthy).toBe(0);

    expect(sim.runUntilTrue(() => healths(sim).every((each) => each === 'up'), 15_000)).toBe(true);
    expect(sim.sender.stats(sim.now).linksHealthy).toBe(2);
  });

  it('shows a link lost to the link timeout as down while it re-registers, then up', () => {
    const blackout = [3000, 25_000] as const;
    const sim = new Simulation({ seed: 22, links: [link(1, 20, [blackout])] });
    sim.stream(40_000);
    sim.runUntil(20_000);
    const [stats] = sim.sender.stats(sim.now).links;
    expect(stats?.state).toBe('registering');
    expect(stats?.health).toBe('down');
    expect(sim.runUntilTrue(() => healths(sim)[0] === 'up', 40_000)).toBe(true);
  });

  it('never shows an idle link stalled between keepalives', () => {
    const sim = new Simulation({ seed: 23, links: [cleanLink(1, 150), cleanLink(2, 10)] });
    sim.runUntilTrue(() => linksUp(sim).length === 2, 5000);
    const seen = new Set<SenderLinkHealth>();
    while (sim.now < 30_000) {
      sim.runUntil(sim.now + 10);
      for (const health of healths(sim)) seen.add(health);
    }
    expect([...seen]).toEqual(['up']);
  });

  it('says the receiver is silent after 4 s of no answer at all, and not once it answers', () => {
    // Nothing comes back for 10 s: the receiver is not there (or a firewall drops its answers).
    const deaf = (id: number): SimLinkConfig => ({
      id,
      up: { delayMs: 20, rateBps: 10e6 },
      down: { delayMs: 20, outages: [[0, 10_000]] },
    });
    const sim = new Simulation({ seed: 24, links: [deaf(1), deaf(2)] });
    sim.runUntil(LINK_HEALTH.downMs - 100);
    expect(sim.sender.stats(sim.now).receiverSilent).toBe(false);
    sim.runUntil(LINK_HEALTH.downMs + 100);
    expect(sim.sender.stats(sim.now).receiverSilent).toBe(true);
    expect(sim.sender.stats(sim.now).receiverSilentForMs).toBeGreaterThanOrEqual(
      LINK_HEALTH.downMs,
    );
    // The bootstraps nobody answered are retries: the runtime logs them at debug.
    const bootstraps = senderEventsOf(sim, 'bootstrap');
    expect(bootstraps.length).toBeGreaterThan(0);
    expect(bootstraps.every((entry) => entry.event.type === 'bootstrap' && entry.event.retry)).toBe(
      true,
    );
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, 20_000)).toBe(true);
    expect(sim.sender.stats(sim.now).receiverSilent).toBe(false);
  });

  it('does not call a receiver silent while links are merely blacked out after registering', () => {
    const blackout = [2000, 9000] as const;
    const sim = new Simulation({ seed: 25, links: [link(1, 20, [blackout])] });
    sim.runUntil(8000);
    expect(healths(sim)).toEqual(['down']);
    expect(sim.sender.stats(sim.now).receiverSilent).toBe(false);
  });
});
