// The adaptive balancer drops new data at the sender only on evidence that the links are
// saturated (each measures a queue of at least half the 250 ms budget), never on its books alone:
// an encoder's bursts, a capacity estimate still at its initial value, in-flight seen only per
// 10-packet SRTLA ACK, or a listener whose SRT ACKs and NAKs never arrive must not cost a packet on
// links that carry everything. Regressions found on real sockets (apps/sender's run() tests, the
// sender benchmark), replayed here in virtual time or by driving the scheduler directly.
import { describe, expect, it } from 'vitest';
import { AdaptiveScheduler, type SchedulerLink } from '../src/index.js';
import { linksUp } from './sim/scenario.js';
import { Simulation, type SimLinkConfig } from './sim/simulation.js';

/** `count` links with no rate limit, `delayMs` one way (the same on all, so nothing reorders). */
function unlimited(count: number, delayMs: number): SimLinkConfig[] {
  return Array.from({ length: count }, (_, index) => ({ id: index + 1, up: { delayMs } }));
}

/** Every seq the encoder sent reached the listener, once, and the sender dropped none. */
function expectEverythingDelivered(sim: Simulation): void {
  const stats = sim.sender.stats(sim.now);
  expect(stats.droppedOverload).toBe(0);
  expect(stats.droppedNoLink).toBe(0);
  expect(sim.listener.delivered).toBe(sim.encoder.sent);
  expect(sim.encoder.retransmitted).toBe(0);
}

describe('adaptive balancer, bursts and fast links', () => {
  it('sends an I-frame burst of 150 packets at start over one link, with no SRT feedback', () => {
    // At the initial estimate (2 Mbit/s) the books put the last packets of the burst ~750 ms deep
    // in the link's queue, over the 250 ms budget: that alone dropped 94 of them.
    const sim = new Simulation({
      seed: 91,
      links: unlimited(1, 0.1),
      listener: { feedback: false },
    });
    expect(sim.runUntilTrue(() => linksUp(sim).length === 1, 5000)).toBe(true);
    sim.burst(150);
    sim.runUntil(sim.now + 100);
    expect(sim.encoder.sent).toBe(150);
    expectEverythingDelivered(sim);
  });

  it('sends bursts of 50 after the links sat idle, with no SRT feedback', () => {
    // What apps/sender's run() tests do: links up, a pause, then bursts of 50 packets. The first
    // delivery sample spanned the idle time since the links came up, so the queue looked like it
    // drained at the rate floor (20 kB/s), and the bursts after the first lost 84 packets.
    const sim = new Simulation({
      seed: 92,
      links: unlimited(2, 0.05),
      listener: { feedback: false },
    });
    expect(sim.runUntilTrue(() => linksUp(sim).length === 2, 5000)).toBe(true);
    sim.runUntil(sim.now + 2000);
    for (let burst = 0; burst < 12; burst++) {
      sim.burst(50);
      sim.runUntil(sim.now + 20);
    }
    sim.runUntil(sim.now + 100);
    expect(sim.encoder.sent).toBe(600);
    expectEverythingDelivered(sim);
    for (const link of sim.sender.stats(sim.now).links) {
      // In-flight left over is what waits for the next SRTLA ACK: under 10 per link...
      expect(link.inFlight).toBeLessThan(10);
      // ...and the window the link reports (x1000) covers those 10 even at a loopback RTT
      // (rate x RTT alone was under one packet here), so a receiver reading in-flight over window
      // does not see a full link.
      expect(link.srttMs ?? Infinity).toBeLessThan(2);
      expect(link.window).toBeGreaterThanOrEqual(10_000);
    }
  });

  it('takes no delivery sample over an idle spell: a burst after it drains at the capacity estimate', () => {
    // Driven directly: a link up at 0 and idle until 5 s, then 30 packets at once, acknowledged
    // within 2 ms, and 10 more 60 ms later. The first delivery sample spanned the 5 idle seconds
    // (3 kB/s) and was taken as the rate the link's queue drains at (floored at 20 kB/s), so the
    // next burst looked seconds deep.
    const scheduler = new AdaptiveScheduler();
    const link: SchedulerLink & { inFlight: number } = {
      index: 0,
      id: 1,
      up: true,
      priority: 100,
      inFlight: 0,
      srttMs: 1,
    };
    scheduler.addLink(0, link);
    scheduler.linkUp(0, link);
    const hint = { isData: true, retransmit: false, previousLink: -1 };
    const send = (now: number, count: number) => {
      for (let index = 0; index < count; index++) {
        expect(scheduler.select(now, [link], 1332, hint)).toBe(link);
        scheduler.onSent(now, link, 0, 1332);
      }
    };
    const state = () => (scheduler.stats(0) as { links: Record<string, number>[] }).links[0];
    send(5000, 30);
    for (const at of [5000.5, 5001, 5002]) scheduler.onSrtlaAckDone(at, link, 10, 5000);
    // Too soon for a sample (2 ms): still the initial estimate, 250 kB/s, not 30 packets over 5 s.
    expect(state()?.drainRateBytesPerSec).toBe(250_000);
    send(5060, 10);
    scheduler.onSrtlaAckDone(5061, link, 10, 5060);
    // 40 packets in 61 ms: 873 kB/s, above the initial estimate (250 kB/s), which it raises.
    const after = state();
    expect(after?.deliveryRateBytesPerSec).toBeGreaterThan(800_000);
    expect(after?.capacityBytesPerSec).toBe(after?.deliveryRateBytesPerSec);
    // No queue was measured: the queue drains at the capacity estimate, not at the sample.
    expect(after?.queueingMs).toBeLessThan(1);
    expect(after?.drainRateBytesPerSec).toBe(after?.capacityBytesPerSec);
  });

  it('keeps sending on a lone link while it drains a small queue to measure its base again', () => {
    // One link, 10 packets every 60 ms (222 kB/s, under the 250 kB/s estimate), each group ACKed
    // 52 ms after it left: 12 ms over the 40 ms of the first ACK, so the queue never reads empty
    // and after 4 s the link pauses to drain it. With no other link that pause dropped everything
    // sent in it, though a 12 ms queue is no evidence of saturation (half the 250 ms budget is).
    const scheduler = new AdaptiveScheduler();
    const link: SchedulerLink & { inFlight: number } = {
      index: 0,
      id: 1,
      up: true,
      priority: 100,
      inFlight: 0,
      srttMs: 40,
    };
    scheduler.addLink(0, link);
    scheduler.linkUp(0, link);
    const hint = { isData: true, retransmit: false, previousLink: -1 };
    let drained = 0;
    let dropped = 0;
    for (let group = 0; group < 150; group++) {
      const sentAt = 60 * group;
      for (let index = 0; index < 10; index++) {
        const state = (scheduler.stats(sentAt) as { links: { draining: boolean }[] }).links[0];
        if (state?.draining === true) drained++;
        const chosen = scheduler.select(sentAt, [link], 1332, hint);
        if (chosen === undefined) {
          dropped++;
          continue;
        }
        scheduler.onSent(sentAt, chosen, 0, 1332);
        link.inFlight++;
      }
      link.inFlight = 0;
      scheduler.onSrtlaAckDone(sentAt + (group === 0 ? 40 : 52), link, 10, sentAt);
    }
    expect(drained).toBeGreaterThan(0);
    expect(dropped).toBe(0);
  });

  for (const feedback of [true, false]) {
    it(`carries a steady 50 Mbit/s over three fast unlimited links from the start (SRT feedback: ${feedback})`, () => {
      // 4749 packets/s read from the encoder in batches of 16, SRTLA ACKs every 10 packets per
      // link. The links' estimates start at 2 Mbit/s each: until they have learned better, the
      // books say packets would queue for longer than the budget (146 were dropped); none do.
      const sim = new Simulation({
        seed: 93,
        links: unlimited(3, 10),
        encoder: { packetsPerSecond: 4749, batch: 16 },
        listener: { feedback },
      });
      expect(sim.runUntilTrue(() => linksUp(sim).length === 3, 5000)).toBe(true);
      sim.runUntil(sim.now + 300);
      const start = sim.now;
      sim.stream(start + 3000);
      sim.runUntil(start + 3300);
      expect(sim.encoder.sent).toBeGreaterThan(14_000);
      expectEverythingDelivered(sim);
      for (const link of sim.sender.stats(sim.now).links) {
        // Every link carried a real share...
        expect(link.packetsSent).toBeGreaterThan(0.2 * sim.encoder.sent);
        // ...and reports a window of at least the 10 packets an SRTLA ACK covers (x1000), so
        // in-flight over window reads as how full the link is.
        expect(link.window).toBeGreaterThanOrEqual(10_000);
      }
    });
  }
});
