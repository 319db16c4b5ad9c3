// RedisCoordinator against a real redis-server (started by this file on a free loopback port with
// persistence off, stopped in afterAll also when a test failed). Every coordinator a test starts is
// closed in afterEach.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@bond/io/testing';
import {
  ClusterOptionError,
  ClusterUnavailableError,
  RedisCoordinator,
  type CoordinatorEvent,
  type CoordinatorLogger,
  type RedisCoordinatorOptions,
} from '../src/index.js';
import { findRedisServer, freePort, RedisServer } from './redis-server.js';

const binary = findRedisServer();
const key = randomBytes(32);

/** A logger that keeps its lines, for asserting what was said (and how often). */
function recordingLogger(): CoordinatorLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
  };
}

describe('RedisCoordinator options', () => {
  it('refuses a cluster key that is not 32 bytes, and renewals too slow for the lease', async () => {
    const base = { url: 'redis://127.0.0.1:1', backplane: '127.0.0.1:7000' };
    await expect(
      RedisCoordinator.start({ ...base, clusterKey: new Uint8Array(16) }),
    ).rejects.toThrow(/cluster key must be 32 bytes, got 16/);
    await expect(
      RedisCoordinator.start({ ...base, clusterKey: key, leaseTtlMs: 1000, renewEveryMs: 600 }),
    ).rejects.toThrow(ClusterOptionError);
  });

  it('fails to start, naming the Redis without its password, when nothing answers', async () => {
    const port = await freePort();
    const error = await RedisCoordinator.start({
      url: `redis://:hunter2@127.0.0.1:${port}`,
      clusterKey: key,
      backplane: '127.0.0.1:7000',
      commandTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe.skipIf(!binary)('RedisCoordinator on redis-server', () => {
  let server: RedisServer;
  let raw: Redis;
  const running: RedisCoordinator[] = [];
  let clusterSeq = 0;
  let cluster = 'coord0';

  async function start(
    backplanePort: number,
    extra: Partial<RedisCoordinatorOptions> = {},
  ): Promise<RedisCoordinator> {
    const coordinator = await RedisCoordinator.start({
      url: server.url,
      cluster,
      clusterKey: key,
      backplane: `127.0.0.1:${backplanePort}`,
      nodeId: `node-${backplanePort}`,
      commandTimeoutMs: 500,
      ...extra,
    });
    running.push(coordinator);
    return coordinator;
  }

  function record(coordinator: RedisCoordinator): CoordinatorEvent[] {
    const events: CoordinatorEvent[] = [];
    coordinator.onEvent((event) => events.push(event));
    return events;
  }

  beforeAll(async () => {
    server = new RedisServer(binary ?? '', await freePort());
    await server.start();
    raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => undefined); // the restart test stops the server under it
    await raw.connect();
  });
  afterEach(async () => {
    for (const coordinator of running.splice(0)) await coordinator.close();
    cluster = `coord${++clusterSeq}`;
  });
  afterAll(async () => {
    raw.disconnect();
    await server.stop();
  });

  it('joins: each node sees the other through node-up, with its backplane and node id', async () => {
    const a = await start(7001);
    const events = record(a);
    const b = await start(7002);
    expect(a.nodeIndex).not.toBe(b.nodeIndex);
    await waitFor(() => a.node(b.nodeIndex) !== undefined, 'a to see b', 5000);
    expect(a.node(b.nodeIndex)).toEqual({
      index: b.nodeIndex,
      nodeId: 'node-7002',
      backplane: '127.0.0.1:7002',
      sharesListener: false,
    });
    expect(a.node(a.nodeIndex)?.sharesListener).toBe(true);
    expect(events).toContainEqual({ type: 'node-up', node: a.node(b.nodeIndex) });
    expect(
      b
        .nodes()
        .map((n) => n.index)
        .sort(),
    ).toEqual([a.nodeIndex, b.nodeIndex].sort());
    expect(a.state()).toBe('ready');
    expect(Buffer.from(a.clusterKey).equals(key)).toBe(true);
  });

  it('two coordinators racing for one group: exactly one wins, every time', async () => {
    const a = await start(7001);
    const b = await start(7002);
    const rounds = 200;
    const wins = new Map<number, number>();
    for (let round = 0; round < rounds; round++) {
      const group = `race-${round}`;
      const [ownerA, ownerB] = await Promise.all([a.claimGroup(group), b.claimGroup(group)]);
      expect(ownerA).toBe(ownerB);
      expect([a.nodeIndex, b.nodeIndex]).toContain(ownerA);
      expect(a.heldGroups().includes(group)).toBe(ownerA === a.nodeIndex);
      expect(b.heldGroups().includes(group)).toBe(ownerA === b.nodeIndex);
      wins.set(ownerA, (wins.get(ownerA) ?? 0) + 1);
    }
    expect([...wins.values()].reduce((x, y) => x + y, 0)).toBe(rounds);
  });

  it('keeps held leases past their TTL by renewing them, and frees them on release', async () => {
    const a = await start(7001, { leaseTtlMs: 400, renewEveryMs: 100 });
    const b = await start(7002, { leaseTtlMs: 400, renewEveryMs: 100 });
    expect(await a.claimGroup('g1')).toBe(a.nodeIndex);
    expect(await a.claimGroup('g2')).toBe(a.nodeIndex);
    const ttl = await raw.pttl(`bond:${cluster}:group:g1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
    // Five lease TTLs later the leases are still a's (one not renewed would have expired).
    const until = Date.now() + 2000;
    await waitFor(() => Date.now() >= until, 'two seconds to pass', 5000);
    expect(await b.claimGroup('g1')).toBe(a.nodeIndex);
    expect(await b.claimGroup('g2')).toBe(a.nodeIndex);
    await a.releaseGroup('g1');
    expect(await b.claimGroup('g1')).toBe(b.nodeIndex);
    expect(a.heldGroups()).toEqual(['g2']);
  }, 30_000);

  it('a node that dies without leaving: the other sees node-down and claims its groups', async () => {
    // Default timings: node TTL 2 s, lease TTL 2 s, poll every 500 ms.
    const victim = await start(7001);
    const survivor = await start(7002);
    const events = record(survivor);
    await waitFor(
      () => survivor.node(victim.nodeIndex) !== undefined,
      'survivor to see victim',
      5000,
    );
    expect(await victim.claimGroup('owned')).toBe(victim.nodeIndex);
    expect(await survivor.claimGroup('owned')).toBe(victim.nodeIndex);
    await victim.publishSrtPeer('owned', 31);
    const killedAt = Date.now();
    victim.abandon(); // timers stop, the connection drops, nothing is deleted: as a SIGKILL
    await waitFor(
      () => events.some((e) => e.type === 'node-down' && e.index === victim.nodeIndex),
      'node-down of the dead node',
      8000,
    );
    const downAfterMs = Date.now() - killedAt;
    expect(survivor.node(victim.nodeIndex)).toBeUndefined();
    let claimedAfterMs = 0;
    await waitFor(
      async () => {
        const owner = await survivor.claimGroup('owned');
        claimedAfterMs = Date.now() - killedAt;
        return owner === survivor.nodeIndex;
      },
      'the survivor to adopt the dead node’s group',
      8000,
    );
    console.log(
      `node-down seen ${downAfterMs} ms after the kill, group claimed ${claimedAfterMs} ms after it`,
    );
    expect(survivor.heldGroups()).toEqual(['owned']);
    // The dead owner's SRT peer is still there for the adopter (it outlives the lease).
    expect(await survivor.srtPeerOf('owned')).toBe(31);
  }, 30_000);

  it('Redis stopped and restarted: degraded (logged once), then ready, leases and routes re-asserted', async () => {
    const logA = recordingLogger();
    const a = await start(7001, { logger: logA });
    const b = await start(7002);
    const eventsA = record(a);
    const eventsB = record(b);
    await waitFor(() => b.node(a.nodeIndex) !== undefined, 'b to see a', 5000);
    expect(await a.claimGroup('g')).toBe(a.nodeIndex);
    await a.publishRoute('10.0.0.1:5000', 'g');
    try {
      await server.stop();
      await waitFor(() => a.state() === 'degraded', 'a to say degraded', 8000);
      await waitFor(() => b.state() === 'degraded', 'b to say degraded', 8000);
      // While Redis is away: the views keep their contents, calls that need an answer reject,
      // the others do not.
      expect(b.node(a.nodeIndex)).toBeDefined();
      await expect(b.claimGroup('other')).rejects.toThrow(ClusterUnavailableError);
      await expect(a.publishRoute('10.0.0.2:5000', 'g')).resolves.toBeUndefined();
      await expect(a.publishStats({ groups: 1 })).resolves.toBeUndefined();
      await expect(a.releaseGroup('never-held')).resolves.toBeUndefined();
      // Stay away for longer than the node TTL and the lease TTL.
      const until = Date.now() + 2500;
      await waitFor(() => Date.now() >= until, 'Redis to stay away 2.5 s', 5000);
    } finally {
      await server.start(); // same port, empty: no persistence
    }
    await waitFor(() => a.state() === 'ready' && b.state() === 'ready', 'both ready again', 10_000);
    // The lease and both routes come back from a's memory (the second route was published while
    // Redis was away).
    await waitFor(
      async () => (await b.lookupRoute('10.0.0.2:5000')) === a.nodeIndex,
      'the routes to be written again',
      5000,
    );
    expect(await b.lookupRoute('10.0.0.1:5000')).toBe(a.nodeIndex);
    expect(await b.claimGroup('g')).toBe(a.nodeIndex);
    // A live node is not called down because Redis came back empty.
    const until = Date.now() + 2500;
    await waitFor(() => Date.now() >= until, 'a node TTL after recovery', 5000);
    expect(eventsB.filter((e) => e.type === 'node-down')).toEqual([]);
    expect(b.node(a.nodeIndex)).toBeDefined();
    const states = eventsA.filter((e) => e.type === 'state').map((e) => e.state);
    expect(states).toEqual(['degraded', 'ready']);
    const stateLines = logA.lines.filter((line) => /degraded|ready again/.test(line));
    expect(stateLines).toHaveLength(2);
    expect(stateLines[0]).toMatch(
      new RegExp(
        `^warn cluster: degraded, Redis at redis://127.0.0.1:${server.port}/? does not answer \\(`,
      ),
    );
    expect(stateLines[1]).toMatch(/^info cluster: ready again/);
  }, 30_000);

  it('routes published by one node are looked up by the other, and end with the group', async () => {
    const a = await start(7001);
    const b = await start(7002);
    expect(await b.lookupRoute('192.0.2.1:4000')).toBeUndefined();
    expect(await a.claimGroup('g')).toBe(a.nodeIndex);
    await a.publishRoute('192.0.2.1:4000', 'g');
    await a.publishRoute('[2001:db8::5]:4000', 'g');
    expect(await b.lookupRoute('192.0.2.1:4000')).toBe(a.nodeIndex);
    expect(await b.lookupRoute('[2001:db8::5]:4000')).toBe(a.nodeIndex);
    const ttl = await raw.pttl(`bond:${cluster}:route:192.0.2.1:4000`);
    expect(ttl).toBeGreaterThan(0);
    await a.publishSrtPeer('g', 0xdead_beef);
    expect(await b.srtPeerOf('g')).toBe(0xdead_beef);
    await b.publishSrtPeer('g', 1); // not its group: not recorded
    expect(await b.srtPeerOf('g')).toBe(0xdead_beef);
    await a.releaseGroup('g'); // the group ended: its routes and SRT peer are deleted
    expect(await b.lookupRoute('192.0.2.1:4000')).toBeUndefined();
    expect(await raw.exists(`bond:${cluster}:route:192.0.2.1:4000`)).toBe(0);
    expect(await raw.exists(`bond:${cluster}:route:[2001:db8::5]:4000`)).toBe(0);
    expect(await b.srtPeerOf('g')).toBeUndefined();
  });

  it("rewrites held groups' routes and SRT peers before they expire", async () => {
    const a = await start(7001, { routeTtlMs: 900, renewEveryMs: 200, leaseTtlMs: 1000 });
    const b = await start(7002);
    expect(await a.claimGroup('g')).toBe(a.nodeIndex);
    await a.publishRoute('192.0.2.7:4000', 'g');
    await a.publishSrtPeer('g', 42);
    // Three route TTLs later, both are still there: the renewal rewrote them.
    await new Promise((resolve) => setTimeout(resolve, 2700));
    expect(await b.lookupRoute('192.0.2.7:4000')).toBe(a.nodeIndex);
    expect(await b.srtPeerOf('g')).toBe(42);
  });

  it('publishes stats per node, and lists those of live nodes', async () => {
    const a = await start(7001);
    const b = await start(7002);
    await a.publishStats({ groups: 3, node: 'a' });
    await b.publishStats({ groups: 5 });
    await waitFor(() => a.node(b.nodeIndex) !== undefined, 'a to see b', 5000);
    const stats = await a.clusterStats();
    expect(stats.get(a.nodeIndex)).toEqual({ groups: 3, node: 'a' });
    expect(stats.get(b.nodeIndex)).toEqual({ groups: 5 });
    expect(await raw.pttl(`bond:${cluster}:stats:${a.nodeIndex}`)).toBeGreaterThan(0);
  });

  it('reports group-lost when another node holds a lease this one held', async () => {
    const a = await start(7001, { leaseTtlMs: 400, renewEveryMs: 100, logger: recordingLogger() });
    const events = record(a);
    expect(await a.claimGroup('g')).toBe(a.nodeIndex);
    // As if a's renewals had stalled past the TTL and node 77 adopted the group meanwhile.
    await raw.set(`bond:${cluster}:group:g`, '77', 'PX', 10_000);
    await waitFor(() => events.some((e) => e.type === 'group-lost'), 'group-lost', 5000);
    expect(events).toContainEqual({ type: 'group-lost', groupKey: 'g', owner: 77 });
    expect(a.heldGroups()).toEqual([]);
  });

  it('close() leaves: the index and the leases are free at once', async () => {
    const a = await start(7001);
    const b = await start(7002);
    const eventsB = record(b);
    expect(await a.claimGroup('g')).toBe(a.nodeIndex);
    await a.close();
    expect(a.state()).toBe('closed');
    expect(await b.claimGroup('g')).toBe(b.nodeIndex);
    await waitFor(
      () => eventsB.some((e) => e.type === 'node-down' && e.index === a.nodeIndex),
      'node-down after leaving',
      5000,
    );
    await a.close(); // idempotent
  }, 30_000);
});
