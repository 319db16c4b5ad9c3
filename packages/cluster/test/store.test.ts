// ClusterStore against a real redis-server (Debian's redis-server package), started by this file on
// a free loopback port without persistence and stopped in afterAll, also when a test failed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@bond/io/testing';
import {
  ClusterOptionError,
  ClusterStore,
  ClusterStoreClosedError,
  ClusterUnavailableError,
  NodeIndexTakenError,
  redactRedisUrl,
  type ClusterStoreOptions,
  type ClusterStoreState,
} from '../src/index.js';
import { findRedisServer, freePort, RedisServer } from './redis-server.js';

const binary = findRedisServer();
if (!binary) {
  console.warn(
    '@bond/cluster: redis-server is not installed, the store tests are skipped ' +
      '(install it: apt-get install -y redis-server)',
  );
}

describe('ClusterStore options', () => {
  it('rejects a bad URL, cluster name or TTL with a message naming it, before connecting', async () => {
    await expect(ClusterStore.open({ url: 'http://x:1', cluster: 'c' })).rejects.toThrow(
      /must start with redis:\/\//,
    );
    await expect(ClusterStore.open({ url: 'not a url', cluster: 'c' })).rejects.toThrow(
      ClusterOptionError,
    );
    await expect(ClusterStore.open({ url: 'redis://127.0.0.1:1', cluster: 'a b' })).rejects.toThrow(
      /cluster name "a b"/,
    );
    await expect(
      ClusterStore.open({ url: 'redis://127.0.0.1:1', cluster: 'c', nodeTtlMs: 0 }),
    ).rejects.toThrow(/nodeTtlMs must be an integer/);
  });

  it('never shows a password', () => {
    expect(redactRedisUrl('redis://user:secret@10.0.0.1:6379/2')).toBe(
      'redis://user:***@10.0.0.1:6379/2',
    );
    // Not a URL: anything before the last '@' may be a password.
    expect(redactRedisUrl('redis://user:secret@:6379')).toBe('redis://***@:6379');
    expect(redactRedisUrl('redis//:secret@10.0.0.1')).toBe('***@10.0.0.1');
    expect(redactRedisUrl('redis//10.0.0.1')).toBe('redis//10.0.0.1');
  });
});

describe('ClusterStore without a Redis', () => {
  it('fails to open with an error that says what is wrong and what to do', async () => {
    const port = await freePort(); // nothing listens there
    const error = await ClusterStore.open({
      url: `redis://:pw@127.0.0.1:${port}`,
      cluster: 'c',
      commandTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain('ECONNREFUSED'); // the client's own reason, not a generic one
    expect(message).toContain('check that redis-server runs');
    expect(message).not.toContain('pw@');
  });
});

describe.skipIf(!binary)('ClusterStore on redis-server', () => {
  let server: RedisServer;
  const stores: ClusterStore[] = [];
  let clusterSeq = 0;
  let cluster = 'test0';

  async function open(extra: Partial<ClusterStoreOptions> = {}): Promise<ClusterStore> {
    const store = await ClusterStore.open({
      url: server.url,
      cluster,
      nodeTtlMs: 600,
      commandTimeoutMs: 500,
      ...extra,
    });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    server = new RedisServer(binary ?? '', await freePort());
    await server.start();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    cluster = `test${++clusterSeq}`; // each test in its own key space
  });
  afterAll(async () => {
    await server.stop();
  });

  it('gives two nodes different indexes and lists both as live, with their backplanes', async () => {
    const a = await open();
    const b = await open();
    const na = await a.join({ backplane: '127.0.0.1:7001', nodeId: 'a' });
    const nb = await b.join({ backplane: '127.0.0.1:7002', nodeId: 'b' });
    expect(na.index).not.toBe(nb.index);
    for (const n of [na, nb]) expect(n.index).toBeGreaterThanOrEqual(1);
    for (const n of [na, nb]) expect(n.index).toBeLessThanOrEqual(65535);
    const live = await a.liveNodes();
    expect(live).toEqual(
      [
        { index: na.index, backplane: '127.0.0.1:7001', nodeId: 'a' },
        { index: nb.index, backplane: '127.0.0.1:7002', nodeId: 'b' },
      ].sort((x, y) => x.index - y.index),
    );
  });

  it('refuses an index a live node holds, and hands it out again once that node left', async () => {
    const a = await open();
    const b = await open();
    await a.join({ backplane: '127.0.0.1:7001', index: 42 });
    await expect(b.join({ backplane: '127.0.0.1:7002', index: 42 })).rejects.toThrow(
      NodeIndexTakenError,
    );
    await a.leave();
    expect(await b.liveNodes()).toEqual([]);
    expect((await b.join({ backplane: '127.0.0.1:7002', index: 42 })).index).toBe(42);
  });

  it('keeps a heartbeating node live past its TTL, and drops it once it stops', async () => {
    // A 1-s TTL (a heartbeat every 333 ms): a loaded machine's stalls do not drop the node.
    const a = await open({ nodeTtlMs: 1000 });
    const watcher = await open();
    const node = await a.join({ backplane: '127.0.0.1:7001' });
    // Two and a half TTLs of heartbeats: still live at the end.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await watcher.liveNodes()).map((n) => n.index)).toEqual([node.index]);
    // A node that dies without leaving: its heartbeat stops, nothing deletes its keys.
    (a as unknown as { stopHeartbeat(): void }).stopHeartbeat();
    await waitFor(async () => (await watcher.liveNodes()).length === 0, 'node key expiry', 5000);
    // Its index is free again.
    const b = await open();
    expect((await b.join({ backplane: '127.0.0.1:7002', index: node.index })).index).toBe(
      node.index,
    );
  });

  it('leases a group to exactly one node; only the owner renews or releases it', async () => {
    const a = await open();
    const b = await open();
    expect(await a.claimGroup('g1', 1, 10_000)).toBe(1);
    expect(await b.claimGroup('g1', 2, 10_000)).toBe(1); // held: answers the owner
    expect(await a.claimGroup('g1', 1, 10_000)).toBe(1); // the owner's claim renews
    expect(await b.renewGroup('g1', 2, 10_000)).toBe(false);
    expect(await a.renewGroup('g1', 1, 10_000)).toBe(true);
    expect(await b.releaseGroup('g1', 2)).toBe(false);
    expect(await b.groupOwner('g1')).toBe(1);
    expect(await a.releaseGroup('g1', 1)).toBe(true);
    expect(await b.groupOwner('g1')).toBeUndefined();
    expect(await a.releaseGroup('g1', 1)).toBe(false);
    expect(await b.claimGroup('g1', 2, 10_000)).toBe(2);
  });

  it('lets exactly one of many racing claims win', async () => {
    const nodes = await Promise.all([1, 2, 3, 4].map(() => open()));
    const answers = await Promise.all(nodes.map((s, i) => s.claimGroup('race', i + 1, 10_000)));
    const winner = answers[0];
    expect(answers.every((owner) => owner === winner)).toBe(true);
    expect([1, 2, 3, 4]).toContain(winner);
    expect(await nodes[0]?.groupOwner('race')).toBe(winner);
  });

  it('expires a lease its owner stops renewing, so another node can adopt the group', async () => {
    const a = await open();
    const b = await open();
    expect(await a.claimGroup('g2', 1, 300)).toBe(1);
    await waitFor(async () => (await b.groupOwner('g2')) === undefined, 'lease expiry', 5000);
    expect(await a.renewGroup('g2', 1, 300)).toBe(false); // too late: it is gone
    expect(await b.claimGroup('g2', 2, 10_000)).toBe(2);
  });

  it('sets, looks up, overwrites and expires routes', async () => {
    const a = await open();
    const b = await open();
    expect(await b.lookupRoute('10.0.0.1:5000')).toBeUndefined();
    await a.setRoute('10.0.0.1:5000', 'g1', 10_000);
    await a.setRoute('[2001:db8::1]:5000', 'g2', 300);
    expect(await b.lookupRoute('10.0.0.1:5000')).toBe('g1');
    expect(await b.lookupRoute('[2001:db8::1]:5000')).toBe('g2');
    await a.setRoute('10.0.0.1:5000', 'g3', 10_000); // the link rebound to another group
    expect(await b.lookupRoute('10.0.0.1:5000')).toBe('g3');
    await waitFor(
      async () => (await b.lookupRoute('[2001:db8::1]:5000')) === undefined,
      'route expiry',
      5000,
    );
    expect(await b.lookupRoute('10.0.0.1:5000')).toBe('g3');
  });

  it('keeps every key it writes under an expiry, in its own cluster', async () => {
    const a = await open();
    await a.join({ backplane: '127.0.0.1:7001' });
    await a.claimGroup('g', 1, 10_000);
    await a.setRoute('s', 'g', 10_000);
    const other = await ClusterStore.open({ url: server.url, cluster: `${cluster}-other` });
    stores.push(other);
    expect(await other.groupOwner('g')).toBeUndefined();
    expect(await other.lookupRoute('s')).toBeUndefined();
    expect(await other.liveNodes()).toEqual([]);
    // Read the key space with a plain client: every bond key of this cluster has a TTL.
    const raw = (a as unknown as { client: import('ioredis').Redis }).client;
    const keys = await raw.keys(`bond:${cluster}:*`);
    expect(keys.length).toBe(4); // nodeidx, node, group, route
    for (const key of keys) expect(await raw.pttl(key), key).toBeGreaterThan(0);
  });

  it('rejects calls after close()', async () => {
    const a = await open();
    await a.close();
    await expect(a.lookupRoute('s')).rejects.toThrow(ClusterStoreClosedError);
    expect(a.state).toBe('closed');
  });

  it('survives Redis going away mid-run: calls reject, the node says degraded, then recovers', async () => {
    const states: ClusterStoreState[] = [];
    const a = await open({ onStateChange: (state) => states.push(state) });
    const node = await a.join({ backplane: '127.0.0.1:7001' });
    await a.claimGroup('g', node.index, 10_000);
    try {
      await server.stop();
      const error = await a.lookupRoute('s').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterUnavailableError);
      expect((error as Error).message).toMatch(/did not answer the route lookup/);
      await expect(a.claimGroup('g2', node.index, 1000)).rejects.toThrow(ClusterUnavailableError);
      await a.heartbeat(); // never rejects
      expect(a.state).toBe('degraded');
    } finally {
      await server.start(); // same port, empty (no persistence)
    }
    // The client reconnects by itself; the heartbeat re-creates this node's keys.
    await waitFor(
      async () => {
        await a.heartbeat();
        return a.state === 'ready';
      },
      () => `reconnection (states: ${states.join(', ')})`,
      10_000,
    );
    expect(states).toContain('degraded');
    expect(states.at(-1)).toBe('ready');
    const other = await open();
    expect((await other.liveNodes()).map((n) => n.index)).toEqual([node.index]);
    expect(await a.groupOwner('g')).toBeUndefined(); // leases were lost with Redis: claim again
    expect(await a.claimGroup('g', node.index, 10_000)).toBe(node.index);
  });

  it('reports index-lost when another node took the index while the store was away', async () => {
    const states: ClusterStoreState[] = [];
    const a = await open({ onStateChange: (state) => states.push(state) });
    const node = await a.join({ backplane: '127.0.0.1:7001' });
    // As if the heartbeat stalled past the TTL and another node took the index meanwhile.
    (a as unknown as { stopHeartbeat(): void }).stopHeartbeat();
    const b = await open();
    await waitFor(
      async () => {
        try {
          await b.join({ backplane: '127.0.0.1:7002', index: node.index });
          return true;
        } catch (error) {
          if (error instanceof NodeIndexTakenError) return false;
          throw error;
        }
      },
      'the index to expire and be taken',
      5000,
    );
    await a.heartbeat();
    expect(a.state).toBe('index-lost');
    expect(states).toEqual(['index-lost']);
    expect((await b.liveNodes()).map((n) => n.backplane)).toEqual(['127.0.0.1:7002']);
    // Leaving deletes nothing of b's; joining again gives a a fresh index.
    await a.leave();
    const again = await a.join({ backplane: '127.0.0.1:7001' });
    expect(again.index).not.toBe(node.index);
    expect(a.state).toBe('ready');
    expect((await b.liveNodes()).map((n) => n.index).sort((x, y) => x - y)).toEqual(
      [node.index, again.index].sort((x, y) => x - y),
    );
  });
});
