// MemoryCluster: the in-process coordinator of tests and of `--workers N`'s primary.
import { describe, expect, it } from 'vitest';
import {
  ClusterOptionError,
  ClusterStoreClosedError,
  MemoryCluster,
  NodeIndexTakenError,
  type CoordinatorEvent,
} from '../src/index.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Two nodes of a cluster whose routes live `routeTtlMs` 1000 on a clock the test sets (`at(ms)`),
 * node 1 holding group `g` with `routes` published and SRT peer 77.
 */
async function heldGroup(routes: readonly string[]) {
  let now = 0;
  const cluster = new MemoryCluster({ routeTtlMs: 1000, clock: () => now });
  const one = cluster.join({ backplane: 'a' });
  const two = cluster.join({ backplane: 'b' });
  await one.claimGroup('g');
  for (const route of routes) await one.publishRoute(route, 'g');
  await one.publishSrtPeer('g', 77);
  const at = (ms: number) => {
    now = ms;
  };
  return { cluster, one, two, at };
}

describe('MemoryCluster', () => {
  it('gives indexes, tells the others node-up and node-down, and who shares a listener', async () => {
    const cluster = new MemoryCluster();
    const one = cluster.join({ backplane: '127.0.0.1:1', listener: 'a' });
    const events: CoordinatorEvent[] = [];
    one.onEvent((event) => events.push(event));
    const two = cluster.join({ backplane: '127.0.0.1:2', listener: 'a', nodeId: 'w2' });
    const three = cluster.join({ backplane: '127.0.0.1:3' });
    expect([one.nodeIndex, two.nodeIndex, three.nodeIndex]).toEqual([1, 2, 3]);
    expect(one.node(2)).toEqual({
      index: 2,
      nodeId: 'w2',
      backplane: '127.0.0.1:2',
      sharesListener: true,
    });
    expect(one.node(3)?.sharesListener).toBe(false);
    expect(three.node(1)?.sharesListener).toBe(false);
    expect(() => cluster.join({ backplane: 'x', index: 2 })).toThrow(NodeIndexTakenError);
    expect(() => cluster.join({ backplane: 'x', index: 0 })).toThrow(ClusterOptionError);
    await tick();
    cluster.remove(2);
    await tick();
    expect(events.map((e) => e.type)).toEqual(['node-up', 'node-up', 'node-down']);
    expect(one.node(2)).toBeUndefined();
    expect(one.nodes().map((n) => n.index)).toEqual([1, 3]);
    await expect(two.claimGroup('g')).rejects.toThrow(ClusterStoreClosedError);
    // The index is free again (a restarted worker takes it back).
    expect(cluster.join({ backplane: 'y', index: 2 }).nodeIndex).toBe(2);
  });

  it('one owner per group; a gone owner frees its leases; routes name the owner', async () => {
    const cluster = new MemoryCluster();
    const one = cluster.join({ backplane: 'a' });
    const two = cluster.join({ backplane: 'b' });
    const three = cluster.join({ backplane: 'c' });
    const claims = await Promise.all([
      one.claimGroup('g'),
      two.claimGroup('g'),
      three.claimGroup('g'),
    ]);
    expect(new Set(claims).size).toBe(1);
    expect(claims[0]).toBe(1);
    await one.publishRoute('127.0.0.9:5000', 'g');
    expect(await three.lookupRoute('127.0.0.9:5000')).toBe(1);
    expect(await three.lookupRoute('127.0.0.9:5001')).toBeUndefined();
    await one.close();
    expect(await three.lookupRoute('127.0.0.9:5000')).toBeUndefined();
    const again = await Promise.all([three.claimGroup('g'), two.claimGroup('g')]);
    expect(again).toEqual([3, 3]);
    await two.releaseGroup('g'); // not its lease: nothing happens
    expect(await two.claimGroup('g')).toBe(3);
    await three.releaseGroup('g');
    expect(await two.claimGroup('g')).toBe(2);
  });

  it('keeps routes and the SRT peer while the lease is held, drops them on release', async () => {
    const { cluster, one, two, at } = await heldGroup(['s', 't']);
    // A peer for a group this node does not hold is not recorded.
    await two.publishSrtPeer('g', 78);
    // Held: nothing expires, however long the stream runs.
    at(50_000);
    expect(await two.lookupRoute('s')).toBe(1);
    expect(await two.srtPeerOf('g')).toBe(77);
    // Released (the group ended): its routes and peer go at once.
    await one.releaseGroup('g');
    expect(await two.lookupRoute('s')).toBeUndefined();
    expect(await two.srtPeerOf('g')).toBeUndefined();
    expect(cluster.routeCount()).toBe(0);
  });

  it("keeps a dead owner's SRT peer and routes for the TTL (the adopter reads the peer)", async () => {
    const { cluster, two, at } = await heldGroup(['s']);
    at(10_000);
    cluster.remove(1); // its process died
    at(10_999);
    expect(await two.srtPeerOf('g')).toBe(77);
    expect(await two.lookupRoute('s')).toBeUndefined(); // no live owner
    expect(await two.claimGroup('g')).toBe(2);
    expect(await two.lookupRoute('s')).toBe(2); // the adopter holds the group now
    await two.releaseGroup('g');
    const three = cluster.join({ backplane: 'c' });
    await three.claimGroup('h');
    await three.publishSrtPeer('h', 5);
    at(20_000);
    cluster.remove(three.nodeIndex);
    at(21_000);
    expect(await two.srtPeerOf('h')).toBeUndefined(); // past the TTL
  });

  it('keeps stats per live node', async () => {
    const cluster = new MemoryCluster();
    const one = cluster.join({ backplane: 'a' });
    const two = cluster.join({ backplane: 'b' });
    await one.publishStats({ groups: 1 });
    await two.publishStats({ groups: 2 });
    expect([...(await two.clusterStats())]).toEqual([
      [1, { groups: 1 }],
      [2, { groups: 2 }],
    ]);
    cluster.remove(1);
    expect([...(await two.clusterStats()).keys()]).toEqual([2]);
    expect(() => new MemoryCluster({ clusterKey: new Uint8Array(8) })).toThrow(/32 bytes/);
  });
});
