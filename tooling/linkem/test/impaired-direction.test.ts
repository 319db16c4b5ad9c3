// One direction's model in virtual time: exact departure and arrival times, no sockets.
import { describe, expect, it } from 'vitest';
import { CapacityTrace } from '../src/index.js';
import { ImpairedDirection } from '../src/impaired-direction.js';
import { resolveImpairment, type Impairment } from '../src/options.js';
import { createSeededRandom } from '../src/seeded-random.js';

function direction(impairment: Impairment): {
  path: ImpairedDirection;
  arrivals: [number, number][];
} {
  const arrivals: [number, number][] = [];
  let now = 0;
  const path = new ImpairedDirection(
    resolveImpairment(impairment, 'test', '.'),
    createSeededRandom(1),
    (payload) => arrivals.push([payload[0] ?? -1, now]),
  );
  // Steps virtual time through every due release.
  const original = path.service.bind(path);
  path.service = (at: number) => {
    now = at;
    original(at);
  };
  return { path, arrivals };
}

function runUntilIdle(path: ImpairedDirection, limit = 10_000): void {
  for (let step = 0; step < limit && Number.isFinite(path.nextDueMs()); step++) {
    path.service(path.nextDueMs());
  }
}

const datagram = (id: number, size: number): Uint8Array => new Uint8Array(size).fill(id, 0, 1);

describe('ImpairedDirection (virtual time)', () => {
  it('serialises at the rate, then adds the delay', () => {
    const { path, arrivals } = direction({ rateBps: 8_000_000, delayMs: 30 });
    for (let id = 0; id < 3; id++) path.offer(0, datagram(id, 1000));
    runUntilIdle(path);
    expect(arrivals).toEqual([
      [0, 31],
      [1, 32],
      [2, 33],
    ]);
  });

  it('shares a trace opportunity between small datagrams (1500 bytes each)', () => {
    const { path, arrivals } = direction({ trace: new CapacityTrace([10, 20]) });
    for (let id = 0; id < 4; id++) path.offer(0, datagram(id, 700));
    runUntilIdle(path);
    // 700 + 700 fit in the opportunity at 10 ms; the third needs 100 bytes of the one at 20 ms.
    expect(arrivals.map(([, at]) => at)).toEqual([10, 10, 20, 20]);
  });

  it('wastes opportunities that pass with an empty queue, and repeats the trace', () => {
    const { path, arrivals } = direction({ trace: [10, 20] });
    path.offer(15, datagram(0, 1500));
    path.offer(15, datagram(1, 1500));
    runUntilIdle(path);
    expect(arrivals.map(([, at]) => at)).toEqual([20, 30]);
  });

  it('reports queue bytes and ms, and enforces queueMs', () => {
    const { path } = direction({ rateBps: 8_000_000, queueMs: 5 });
    for (let id = 0; id < 10; id++) path.offer(0, datagram(id, 1000));
    const stats = path.stats(0);
    expect(stats.dropped.queue).toBe(5);
    expect(stats.queueBytes).toBe(5000);
    expect(stats.queueMs).toBe(5);
  });

  it('drops datagrams offered or arriving during an outage', () => {
    const { path, arrivals } = direction({ delayMs: 50, outages: [[40, 60]] });
    path.offer(0, datagram(0, 100)); // arrives at 50: inside
    path.offer(20, datagram(1, 100)); // arrives at 70: after
    path.offer(45, datagram(2, 100)); // offered inside: dropped though it would arrive after
    runUntilIdle(path);
    expect(arrivals).toEqual([[1, 70]]);
    expect(path.stats(100).dropped.outage).toBe(2);
  });
});
