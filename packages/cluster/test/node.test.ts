// ClusterNode (issue 14): two or three receiver nodes in one process on 127.0.0.x real UDP, links
// of one group sent straight to different nodes. Forwarding to the owner, replies back through the
// node that heard the link, the authenticated backplane, adoption when the owner is gone, and one
// owner when two nodes adopt at once.
import { afterEach, describe, expect, it } from 'vitest';
import { boundUdpSocket, waitFor } from '@bond/io/testing';
import {
  Address,
  DatagramKind,
  SRT_CONTROL,
  decodeSrtShutdown,
  encodeReg2,
  encodeSrtAck,
  peekSrtControlType,
} from '@bond/wire';
import {
  BACKPLANE_TAG_LENGTH,
  MemoryCluster,
  TO_OWNER,
  UNKNOWN_ISSUER_GRACE_MS,
  deriveBackplaneKey,
  encodeBackplane,
  type ClusterCoordinator,
  type CoordinatorEvent,
} from '../src/index.js';
import {
  Link,
  SrtSide,
  must,
  range,
  srtData,
  startNode,
  stream,
  type TestNode,
} from './cluster-helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(count: number, cluster = new MemoryCluster()) {
  const srt = await SrtSide.open();
  cleanups.push(() => srt.close());
  const nodes: TestNode[] = [];
  for (let i = 0; i < count; i++) {
    const node = await startNode(cluster, `127.0.0.${i + 1}`, srt.port);
    cleanups.push(() => node.close());
    nodes.push(node);
  }
  return { cluster, srt, nodes };
}

async function link(ip: string): Promise<Link> {
  const opened = await Link.open(ip);
  cleanups.push(() => opened.close());
  return opened;
}

/**
 * One group with link a registered at n1 (its issuer) and link b at n2, `count` packets streamed
 * over both and arrived at the SRT side.
 */
async function groupOnTwoNodes(
  n1: TestNode,
  n2: TestNode,
  srt: { readonly seqs: readonly number[] },
  count: number,
): Promise<{ a: Link; b: Link; id: Uint8Array }> {
  const a = await link('127.0.0.21');
  const b = await link('127.0.0.22');
  const id = await a.reg1(n1.listen);
  await a.reg2(n1.listen, id);
  await b.reg2(n2.listen, id);
  await stream(
    [
      { link: a, to: n1.listen },
      { link: b, to: n2.listen },
    ],
    0,
    count,
  );
  await waitFor(() => srt.seqs.length >= count, `the first ${count} packets`);
  return { a, b, id };
}

function groupsOf(node: TestNode): number {
  return node.receiver.stats().groups.length;
}

describe('ClusterNode: one group, links on different nodes', () => {
  it('forwards every link to the owner: every packet reaches the SRT side, in order', async () => {
    const { srt, nodes } = await setUp(3);
    const [n1, n2, n3] = nodes as [TestNode, TestNode, TestNode];
    const a = await link('127.0.0.21');
    const b = await link('127.0.0.22');
    const c = await link('127.0.0.23');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    // b and c register through other nodes: the REG3 comes back from the node each sent to.
    await b.reg2(n2.listen, id);
    await c.reg2(n3.listen, id);
    expect(groupsOf(n1)).toBe(1);
    expect(groupsOf(n2) + groupsOf(n3)).toBe(0);
    expect(
      n1.receiver
        .stats()
        .groups[0]?.links.map((l) => l.address)
        .sort(),
    ).toEqual([a.address, b.address, c.address].sort());

    const paths = [
      { link: a, to: n1.listen },
      { link: b, to: n2.listen },
      { link: c, to: n3.listen },
    ];
    await stream(paths, 0, 600);
    await waitFor(
      () => srt.seqs.length >= 600,
      () => `600 packets at the SRT side, got ${srt.seqs.length}`,
    );
    expect(srt.seqs).toEqual(range(0, 600));
    // One upstream socket: the owner's.
    expect(srt.sources.size).toBe(1);
    expect(n2.node.stats().forwarded).toBeGreaterThanOrEqual(200);
    expect(n3.node.stats().forwarded).toBeGreaterThanOrEqual(200);
    expect(n1.node.stats().forwardedIn).toBeGreaterThanOrEqual(400);

    // SRTLA ACKs (one per 10 data packets of a link) reach each link from the node it sends to.
    await waitFor(
      () =>
        a.count(DatagramKind.SrtlaAck, n1.listen) >= 20 &&
        b.count(DatagramKind.SrtlaAck, n2.listen) >= 20 &&
        c.count(DatagramKind.SrtlaAck, n3.listen) >= 20,
      'SRTLA ACKs to every link from its own node',
    );
    expect(b.count(DatagramKind.SrtlaAck, n1.listen)).toBe(0);

    // An SRT ACK from the listener reaches every link, each from the address it targets.
    const [source] = [...srt.sources];
    const [host, port] = (source ?? '').split(':');
    const ack = encodeSrtAck({
      timestamp: 1,
      destinationSocketId: 7,
      ackNumber: 1,
      ackSeq: 600,
      rttUs: 1000,
      rttVarianceUs: 100,
      availableBufferPackets: 1000,
    });
    const ackBefore = [a, b, c].map((l) => l.count(DatagramKind.SrtControl));
    srt.socket.send(ack, Number(port), host);
    await waitFor(
      () =>
        a.count(DatagramKind.SrtControl, n1.listen) > (ackBefore[0] ?? 0) &&
        b.count(DatagramKind.SrtControl, n2.listen) > (ackBefore[1] ?? 0) &&
        c.count(DatagramKind.SrtControl, n3.listen) > (ackBefore[2] ?? 0),
      'the SRT ACK at every link',
    );
    expect(n1.node.stats().repliesOut).toBeGreaterThan(0);
    expect(n2.node.stats().repliesIn).toBeGreaterThan(0);
  });

  it('learns the route of a link it never saw register from the coordinator, then forwards', async () => {
    const { srt, nodes } = await setUp(3);
    const [n1, n2, n3] = nodes as [TestNode, TestNode, TestNode];
    const a = await link('127.0.0.21');
    const b = await link('127.0.0.22');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    await b.reg2(n2.listen, id);
    // b's datagrams now reach n3 (a load balancer rehashed it): n3 drops them until the
    // coordinator answers its lookup (at most one a second per source), then forwards.
    let next = 0;
    await waitFor(() => {
      b.send(srtData(next++), n3.listen);
      return srt.seqs.length > 0;
    }, 'data through n3 after its lookup');
    expect(n3.node.stats().routeLookups).toBe(1);
    // Let what was sent while the lookup ran arrive (or not) before counting anew.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = srt.seqs.length;
    await stream([{ link: b, to: n3.listen }], next, 50);
    await waitFor(() => srt.seqs.length >= before + 50, 'the next 50 packets, none lost');
    expect(srt.seqs.slice(before)).toEqual(range(next, 50));
    expect(n3.node.stats().routeLookups).toBe(1);
    expect(n1.node.stats().forwardedIn).toBeGreaterThanOrEqual(51);
  });

  it('answers directly from the owner when the ingress node shares its listener', async () => {
    const cluster = new MemoryCluster();
    const srt = await SrtSide.open();
    cleanups.push(() => srt.close());
    const n1 = await startNode(cluster, '127.0.0.1', srt.port, { listener: 'shared' });
    cleanups.push(() => n1.close());
    const n2 = await startNode(cluster, '127.0.0.2', srt.port, { listener: 'shared' });
    cleanups.push(() => n2.close());
    const a = await link('127.0.0.21');
    const b = await link('127.0.0.22');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    // Through n2, but n1 answers from its own socket (SO_REUSEPORT on one host makes that the
    // address b targets; here the distinct addresses show the path taken).
    b.send(encodeReg2(id), n2.listen);
    await waitFor(
      () => b.count(DatagramKind.SrtlaReg3, n1.listen) > 0,
      'REG3 from the owner itself',
    );
    expect(b.count(DatagramKind.SrtlaReg3, n2.listen)).toBe(0);
    expect(n1.node.stats().repliesOut).toBe(0);
    expect(n2.node.stats().forwarded).toBeGreaterThan(0);
  });
});

describe('ClusterNode: the backplane is authenticated', () => {
  it('drops a bad tag, an unknown node, a stale time and garbage; accepts a good one', async () => {
    const { cluster, srt, nodes } = await setUp(2);
    const [n1, n2] = nodes as [TestNode, TestNode];
    const a = await link('127.0.0.21');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    const linkAddress = must(
      Address.parse('127.0.0.21', Number(a.address.split(':')[1])),
      'the link address',
    );
    const key = deriveBackplaneKey(cluster.clusterKey);
    const wrongKey = deriveBackplaneKey(new Uint8Array(32).fill(3));
    const now = Math.floor(Date.now() / 1000);
    const make = (k: Uint8Array, node: number, seconds: number, seq: number) => {
      const out = new Uint8Array(4096);
      const length = encodeBackplane(
        out,
        new DataView(out.buffer),
        k,
        TO_OWNER,
        node,
        seconds,
        linkAddress,
        srtData(seq),
      );
      return out.subarray(0, length);
    };
    const target = n1.node.backplaneAddress;
    const spoofer = await boundUdpSocket((close) => cleanups.push(close));
    const send = (bytes: Uint8Array) => {
      spoofer.send(bytes, target.port, target.ip);
    };
    send(make(wrongKey, n2.index, now, 1));
    send(make(key, 999, now, 2));
    send(make(key, n2.index, now - 3600, 3));
    const tampered = make(key, n2.index, now, 4);
    const flipped = tampered.length - BACKPLANE_TAG_LENGTH - 1;
    tampered[flipped] = (tampered[flipped] ?? 0) ^ 1;
    send(tampered);
    send(new Uint8Array(20));
    await waitFor(
      () => {
        const r = n1.node.stats().backplane.rejected;
        return r.tag === 2 && r.node === 1 && r.time === 1 && r.length === 1;
      },
      () => `rejections: ${JSON.stringify(n1.node.stats().backplane.rejected)}`,
    );
    // Nothing of them reached the SRT side; a good one (right key, live node) does.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(srt.seqs).toEqual([]);
    expect(n1.node.stats().forwardedIn).toBe(0);
    send(make(key, n2.index, now, 5));
    await waitFor(() => srt.seqs.includes(5), 'the authenticated datagram at the SRT side');
    expect(n1.node.stats().backplane.received).toBe(1);
  });
});

describe('ClusterNode: failover', () => {
  it('another node adopts the group under the same id when its owner is gone; one owner when two adopt at once', async () => {
    const { cluster, srt, nodes } = await setUp(3);
    const [n1, n2, n3] = nodes as [TestNode, TestNode, TestNode];
    const { a, b, id } = await groupOnTwoNodes(n1, n2, srt, 100);
    expect(cluster.leasesOf(n1.index)).toHaveLength(1);

    // The owner dies: its process (here its receiver) is gone and the coordinator says so.
    await n1.close();
    await waitFor(() => n2.coordinator.node(n1.index) === undefined, 'node 1 down');
    // The senders notice and send REG2 again; their links land on n2 and n3 at once.
    const both = Promise.all([a.reg2(n3.listen, id), b.reg2(n2.listen, id)]);
    await both;
    // Exactly one node adopted the group; the other forwards to it.
    const owners = [n2, n3].filter((node) => groupsOf(node) === 1);
    expect(owners).toHaveLength(1);
    expect(groupsOf(n2) + groupsOf(n3)).toBe(1);
    const owner = must(owners[0], 'the owner');
    expect(cluster.leasesOf(owner.index)).toHaveLength(1);
    expect(n2.node.stats().groupsAdopted + n3.node.stats().groupsAdopted).toBe(1);
    expect(
      owner.receiver
        .stats()
        .groups[0]?.links.map((l) => l.address)
        .sort(),
    ).toEqual([a.address, b.address].sort());

    await stream(
      [
        { link: a, to: n3.listen },
        { link: b, to: n2.listen },
      ],
      100,
      200,
    );
    await waitFor(
      () => srt.seqs.length >= 300,
      () => `300 packets, got ${srt.seqs.length}`,
    );
    expect(srt.seqs).toEqual(range(0, 300));
    // A new upstream socket (the adopter's) carried the stream after the failover.
    expect(srt.sources.size).toBe(2);
  });

  it("tells the old SRT caller connection it ended when adopting a gone owner's group, and only then", async () => {
    const { srt, nodes } = await setUp(2);
    const [n1, n2] = nodes as [TestNode, TestNode];
    // The SRT listener answers every packet with an ACK addressed to the caller's socket.
    const CALLER = 0x1234_abcd;
    const ack = encodeSrtAck({
      timestamp: 1,
      destinationSocketId: CALLER,
      ackNumber: 1,
      ackSeq: 1,
      rttUs: 1000,
      rttVarianceUs: 100,
      availableBufferPackets: 1000,
    });
    srt.socket.on('message', (_message, rinfo) => {
      srt.socket.send(ack, rinfo.port, rinfo.address);
    });
    const shutdownsAt = (l: Link): number[] =>
      l.received
        .filter(
          (r) =>
            r.kind === DatagramKind.SrtControl &&
            peekSrtControlType(r.bytes) === SRT_CONTROL.SHUTDOWN,
        )
        .map((r) => decodeSrtShutdown(r.bytes).destinationSocketId);
    const { a, b, id } = await groupOnTwoNodes(n1, n2, srt, 40);
    // The owner learned the caller's socket from the listener's packets and published it.
    const groupKey = must(n1.node.ownedGroups()[0], "n1's group");
    await waitFor(
      async () => (await n2.coordinator.srtPeerOf(groupKey)) === CALLER,
      "the caller's socket id published with the group",
    );
    // A group created (or joined) the ordinary way ends no connection.
    expect([...shutdownsAt(a), ...shutdownsAt(b)]).toEqual([]);

    await n1.close();
    await waitFor(() => n2.coordinator.node(n1.index) === undefined, 'node 1 down');
    await a.reg2(n2.listen, id);
    await b.reg2(n2.listen, id);
    // Each link of the adopted group carries one shutdown addressed to the caller's old socket.
    await waitFor(
      () => shutdownsAt(a).length === 1 && shutdownsAt(b).length === 1,
      () => `one shutdown per link, got ${shutdownsAt(a).length} and ${shutdownsAt(b).length}`,
    );
    expect([...shutdownsAt(a), ...shutdownsAt(b)]).toEqual([CALLER, CALLER]);
    expect(n2.node.stats().callerShutdowns).toBe(2);
    // Links registering again later (the same group, already adopted) get no second one.
    await a.reg2(n2.listen, id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(shutdownsAt(a)).toHaveLength(1);
  });

  it('drops its copy of a group at once when told another node took the lease (group-lost)', async () => {
    const cluster = new MemoryCluster();
    const srt = await SrtSide.open();
    cleanups.push(() => srt.close());
    let tell: ((event: CoordinatorEvent) => void) | undefined;
    const n1 = await startNode(cluster, '127.0.0.1', srt.port, {
      view: (coordinator) => ({
        ...hiding(coordinator, -1, () => undefined),
        onEvent: (listener) => {
          tell = listener;
          return coordinator.onEvent(listener);
        },
      }),
    });
    cleanups.push(() => n1.close());
    const n2 = await startNode(cluster, '127.0.0.2', srt.port);
    cleanups.push(() => n2.close());
    const a = await link('127.0.0.21');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    await stream([{ link: a, to: n1.listen }], 0, 20);
    await waitFor(() => srt.seqs.length >= 20, 'the first 20 packets');
    expect(groupsOf(n1)).toBe(1);
    const groupKey = must(n1.node.ownedGroups()[0], "n1's group");
    must(tell, 'the event listener')({ type: 'group-lost', groupKey, owner: n2.index });
    // Gone from the engine (links forgotten, upstream socket closed), and no longer owned.
    await waitFor(() => groupsOf(n1) === 0, 'the group dropped at node 1');
    expect(n1.node.ownedGroups()).toEqual([]);
    // A datagram from the old link is no longer taken by node 1's engine for that group.
    const before = srt.seqs.length;
    await stream([{ link: a, to: n1.listen }], 20, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(srt.seqs.length).toBe(before);
  });

  it("a node restarted under the same index adopts its predecessor's group (same id)", async () => {
    const { cluster, srt, nodes } = await setUp(2);
    const [n1, n2] = nodes as [TestNode, TestNode];
    const a = await link('127.0.0.21');
    const b = await link('127.0.0.22');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    await n1.close();
    await waitFor(() => n2.coordinator.node(1) === undefined, 'node 1 down');
    // Its successor takes index 1 again; its clock started anew (10 minutes apart here), so the
    // id is not fresh for its engine: a plain REG2 would get "no such group".
    const later = () => performance.now() + 600_000;
    const again = await startNode(cluster, '127.0.0.1', srt.port, { index: 1, clock: later });
    cleanups.push(() => again.close());
    await waitFor(() => n2.coordinator.node(1) !== undefined, 'node 1 up again');
    // b reaches it through n2 (forwarded: the id names node 1), a directly.
    await b.reg2(n2.listen, id);
    await a.reg2(again.listen, id);
    expect(groupsOf(again)).toBe(1);
    expect(groupsOf(n2)).toBe(0);
    expect(again.node.stats().groupsAdopted).toBe(1);
    expect(b.count(DatagramKind.SrtlaRegNgp) + a.count(DatagramKind.SrtlaRegNgp)).toBe(0);
    await stream(
      [
        { link: a, to: again.listen },
        { link: b, to: n2.listen },
      ],
      0,
      100,
    );
    await waitFor(
      () => srt.seqs.length >= 100,
      () => `100 packets, got ${srt.seqs.length}`,
    );
    expect(srt.seqs).toEqual(range(0, 100));
  });

  it('answers "no such group" for an id outside the cluster and forwards nothing', async () => {
    const { nodes } = await setUp(2);
    const [n1, n2] = nodes as [TestNode, TestNode];
    const other = await setUp(1, new MemoryCluster());
    const a = await link('127.0.0.21');
    const foreign = await a.reg1(must(other.nodes[0], 'the other cluster').listen);
    a.send(encodeReg2(foreign), n2.listen);
    await waitFor(() => a.count(DatagramKind.SrtlaRegNgp, n2.listen) === 1, 'REG_NGP from n2');
    expect(n2.node.stats().forwarded).toBe(0);
    expect(n1.node.stats().forwardedIn).toBe(0);
  });
});

describe('ClusterNode: an issuer not seen yet', () => {
  it('waits before adopting the group of an issuer it has never seen (it may have just joined)', async () => {
    const cluster = new MemoryCluster();
    const srt = await SrtSide.open();
    cleanups.push(() => srt.close());
    const n1 = await startNode(cluster, '127.0.0.1', srt.port);
    cleanups.push(() => n1.close());
    let now = 0;
    let claims = 0;
    // n2's view has not caught up with n1 yet (as a Redis node between two polls).
    const n2 = await startNode(cluster, '127.0.0.2', srt.port, {
      nodeClock: () => now,
      view: (coordinator) => hiding(coordinator, n1.index, () => claims++),
    });
    cleanups.push(() => n2.close());
    const a = await link('127.0.0.21');
    const b = await link('127.0.0.22');
    const id = await a.reg1(n1.listen);
    await a.reg2(n1.listen, id);
    // REG2s for n1's group reach n2 within the grace: dropped, nothing claimed.
    for (const at of [0, 500, 1000]) {
      now = at;
      b.send(encodeReg2(id), n2.listen);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(claims).toBe(0);
    expect(groupsOf(n2)).toBe(0);
    // Still unknown after the grace: n2 claims, and n1 (alive, holding the lease) keeps it.
    now = UNKNOWN_ISSUER_GRACE_MS + 100;
    b.send(encodeReg2(id), n2.listen);
    await waitFor(() => n2.node.stats().adoptionsLost === 1, 'n2 lost the claim to n1');
    expect(claims).toBe(1);
    expect(groupsOf(n2)).toBe(0);
    expect(groupsOf(n1)).toBe(1);
  });
});

/** `coordinator` as a node sees it while `hidden` has not reached its view. */
function hiding(
  coordinator: ClusterCoordinator,
  hidden: number,
  onClaim: () => void,
): ClusterCoordinator {
  return {
    nodeIndex: coordinator.nodeIndex,
    clusterKey: coordinator.clusterKey,
    state: () => coordinator.state(),
    node: (index) => (index === hidden ? undefined : coordinator.node(index)),
    nodes: () => coordinator.nodes().filter((node) => node.index !== hidden),
    claimGroup: (groupKey) => {
      onClaim();
      return coordinator.claimGroup(groupKey);
    },
    releaseGroup: (groupKey) => coordinator.releaseGroup(groupKey),
    publishRoute: (source, groupKey) => coordinator.publishRoute(source, groupKey),
    lookupRoute: (source) => coordinator.lookupRoute(source),
    publishStats: (stats) => coordinator.publishStats(stats),
    clusterStats: () => coordinator.clusterStats(),
    onEvent: (listener) =>
      coordinator.onEvent((event) => {
        if (event.type === 'node-up' && event.node.index === hidden) return;
        listener(event);
      }),
    close: () => coordinator.close(),
  };
}
