// One adaptive link's capacity estimate (adaptive-link.ts) against a bottleneck of known rate:
// the windowed maximum lets an inflated delivery sample age out, and a link that is not loaded
// keeps its estimate.
import { describe, expect, it } from 'vitest';
import { AdaptiveLink } from '../src/adaptive-link.js';

const PACKET = 1332;
const ONE_WAY_MS = 20;

/**
 * Drives `link` for `untilMs` in 1 ms steps over a bottleneck of `capacity` bytes/s (FIFO queue,
 * 20 ms each way), sending it `offered(link)` bytes/s within its in-flight cap, as the scheduler
 * would, with an SRTLA ACK per 10 packets; the stream is as fast as the link (slow start ends). `at` runs once per ms (to inject samples). Returns the
 * largest queueing delay the bottleneck saw.
 */
function drive(
  link: AdaptiveLink,
  state: { now: number; queueFreeAt: number; inFlight: number; acks: [number, number][] },
  capacity: number,
  untilMs: number,
  offered: (link: AdaptiveLink) => number,
  at?: (now: number) => void,
): number {
  let credit = 0;
  let batch = 0;
  let largestQueueMs = 0;
  for (; state.now < untilMs; state.now++) {
    const now = state.now;
    at?.(now);
    while (state.acks.length > 0 && (state.acks[0]?.[0] ?? Infinity) <= now) {
      const [, sentAt] = state.acks.shift() ?? [0, 0];
      state.inFlight -= 10;
      if (link.acknowledged(now, undefined, 10, sentAt)) link.adjust(now, capacity, 250);
    }
    credit = Math.min(credit + offered(link) / 1000, 4 * PACKET);
    while (credit >= PACKET && state.inFlight < link.inFlightCap(undefined, link.rate)) {
      credit -= PACKET;
      const start = Math.max(now, state.queueFreeAt);
      largestQueueMs = Math.max(largestQueueMs, start - now);
      state.queueFreeAt = start + (PACKET * 1000) / capacity;
      link.sent(now, PACKET, 100);
      state.inFlight++;
      if (++batch === 10) {
        batch = 0;
        state.acks.push([state.queueFreeAt + 2 * ONE_WAY_MS, now]);
      }
    }
  }
  return largestQueueMs;
}

const SETTINGS = { minRate: 20_000, targetQueueingMs: 20, stallMs: 700 };

describe('adaptive link capacity estimate', () => {
  it('an inflated delivery sample ages out of the window once the link shows its real rate', () => {
    const capacity = 400_000;
    const link = new AdaptiveLink(SETTINGS, capacity, 0);
    const state = { now: 0, queueFreeAt: 0, inFlight: 0, acks: [] as [number, number][] };
    drive(link, state, capacity, 5000, (each) => each.rate);
    expect(link.capacity).toBeGreaterThan(0.9 * capacity);
    expect(link.capacity).toBeLessThan(1.2 * capacity);
    // One ACK claims 200 packets more than the link carried (ACKs bunched after a stall): the
    // next delivery sample is far above what the link can do, and the estimate follows it.
    // The stream then gives the link 20% more than it can carry, far less than its new rate.
    const stream = (each: AdaptiveLink) => Math.min(each.rate, 1.2 * capacity);
    drive(link, state, capacity, 5300, stream, (now) => {
      if (now === 5000) link.acknowledged(now, undefined, 200, undefined);
    });
    expect(link.capacity).toBeGreaterThan(5 * capacity);
    // The link holds a queue, so its samples are its capacity: once the inflated one leaves
    // the window (2-4 s), the estimate is what the link delivers. (An all-time maximum stayed
    // inflated: the link was sent under half its rate, too little for the queue's correction.)
    drive(link, state, capacity, 9500, stream);
    expect(link.capacity).toBeLessThan(1.2 * capacity);
    expect(link.capacity).toBeGreaterThan(0.8 * capacity);
  });

  it('a link sent little keeps its estimate: no lock-out', () => {
    const capacity = 400_000;
    const link = new AdaptiveLink(SETTINGS, capacity, 0);
    const state = { now: 0, queueFreeAt: 0, inFlight: 0, acks: [] as [number, number][] };
    drive(link, state, capacity, 5000, (each) => each.rate);
    const estimate = link.capacity;
    // Then the stream gives it a quarter of its rate for 20 s: its samples say only that.
    const queueMs = drive(link, state, capacity, 25_000, () => capacity / 4);
    expect(queueMs).toBeLessThan(5);
    expect(link.capacity).toBe(estimate);
  });
});
