// A bond-receiver cluster on Redis as users run it (issue 14, docs/cluster.md): a redis-server
// started here on a free port, three bond-receiver processes (the built dist/bin.js) on 127.0.0.11,
// .12 and .13 with their backplanes, the full-NAT load-balancer stand-in (`@bond/stand`) in front
// on 127.0.0.1, and a sender (core's SenderEngine over six loopback links, the receiver tests'
// stand-in) whose links the balancer hashes over the nodes. The SRT side is a UDP sink recording
// the SRT data sequence numbers and the socket each came from.
// 1. Every packet reaches the SRT side, in order, while the links are spread over the nodes.
// 2. SIGKILL the owner's process mid-stream (and mark it down at the balancer, as its health check
//    would): the sender's links re-register under the same group id through another node (REG3,
//    no new REG1), and data reaches the SRT side again from the new owner's upstream socket.
//    The times are measured and printed, never asserted; the recovery is (bounded waits).
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { boundUdpSocket, feedSrtData, waitFor } from '@bond/io/testing';
import { LbStandin, freeTcpPort, freeUdpPort, hasCommand } from '@bond/stand';
import {
  DatagramKind,
  classifyDatagram,
  peekSrtDataSeq,
  peekSrtDestinationSocketId,
} from '@bond/wire';
import {
  cleanupAfterEach,
  startBin,
  startProcess,
  type TestProcess,
} from '../../apps/common/test/support/testing.js';
import {
  createEndpoint,
  startSenderStandIn,
  type SenderEvent,
} from '../../apps/receiver/test/sender-stand-in.js';
import {
  RedisServer,
  findRedisServer,
  freePort,
} from '../../packages/cluster/test/redis-server.js';
import { PEERS_SOURCE, peerBinaries } from '../bench/lib/peers.mjs';
import { compileTool } from '../bench/lib/processes.mjs';

const BIN = join(import.meta.dirname, '..', '..', 'apps', 'receiver', 'dist', 'bin.js');
const built = existsSync(BIN);
const redisBinary = findRedisServer();
const NODE_ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const LINKS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
const PAYLOAD = 1316;
/** The recovery must happen within this after the kill (a bound, not a timing assertion). */
const RECOVERY_BOUND_MS = 15_000;
/**
 * The same bound for srtla_send and real SRT: srtla_send re-registers a link after its 4 s link
 * timeout, and the SRT caller reconnects once it sees its connection broken (SRT's peer idle
 * timeout, 5 s).
 */
const SRT_RECOVERY_BOUND_MS = 25_000;
const SRT_TOOL = 'srt-live-transmit';
const hasSrt = hasCommand(SRT_TOOL);
const hasPeers = existsSync(join(PEERS_SOURCE, 'build.sh')) && process.platform === 'linux';
const SRTLA_SEND_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const SENDER_BIN = join(import.meta.dirname, '..', '..', 'apps', 'sender', 'dist', 'bin.js');
/** The senders streaming real SRT through the cluster: the same command line (srtla_send's). */
const SENDERS: readonly {
  name: string;
  needs: string;
  available: boolean;
  command: () => string[];
}[] = [
  {
    name: 'bond-sender',
    needs: 'pnpm build',
    available: existsSync(SENDER_BIN),
    command: () => [process.execPath, SENDER_BIN],
  },
  {
    name: 'BELABOX srtla_send',
    needs: '../shared/peers (built once, about 45 s)',
    available: hasPeers,
    command: () => [peerBinaries().belaboxSend],
  },
];

/**
 * Each sender with `srt-live-transmit` as the SRT listener (it takes one connection and listens
 * again only once that one broke, 4.5-5 s after its last packet), and bond-sender once more with
 * a listener that takes a caller's new connection at once (tooling/bench/srt-listener-tool.c, as
 * SLS and MediaMTX do), which shows how soon the stream is back when the server does not wait.
 */
const SRT_CASES: readonly {
  sender: (typeof SENDERS)[number];
  listenerKind: 'srt-live-transmit' | 'takes every caller';
}[] = [
  ...SENDERS.map((sender) => ({ sender, listenerKind: 'srt-live-transmit' as const })),
  ...SENDERS.filter((sender) => sender.name === 'bond-sender').map((sender) => ({
    sender,
    listenerKind: 'takes every caller' as const,
  })),
];
/**
 * tooling/bench/srt-listener-tool.c built against libsrt (with pkg-config's flags where it knows
 * libsrt), or undefined where it cannot be built (no libsrt headers or library): that case is
 * skipped then.
 */
function buildSrtListenerTool(): string | undefined {
  const flags = spawnSync('pkg-config', ['--libs', 'srt'], { encoding: 'utf8' });
  const libraries =
    flags.status === 0 ? flags.stdout.trim().split(/\s+/).filter(Boolean) : ['-lsrt-gnutls'];
  try {
    return compileTool('srt-listener-tool', libraries);
  } catch {
    return undefined;
  }
}
const srtListenerTool = hasSrt ? buildSrtListenerTool() : undefined;

// Real processes on a shared 2-core machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 90_000 });

const defer = cleanupAfterEach();

interface NodeProcess {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly http: number;
  readonly process: TestProcess;
}

interface StatsGroup {
  tag: string;
  state: string;
  links: unknown[];
  node?: number;
  nodeId?: string;
}

async function groupsOf(node: NodeProcess): Promise<StatsGroup[]> {
  const response = await fetch(`http://127.0.0.1:${node.http}/api/v1/stats`);
  return ((await response.json()) as { groups: StatsGroup[] }).groups;
}

async function clusterNodes(node: NodeProcess): Promise<{ nodeId: string; state: string }[]> {
  const response = await fetch(`http://127.0.0.1:${node.http}/api/v1/cluster`);
  return ((await response.json()) as { nodes: { nodeId: string; state: string }[] }).nodes;
}

/** Redis, a key file and three nodes, all stopped through `defer`. */
async function startCluster(
  srtPort: number,
): Promise<{ nodes: NodeProcess[]; redis: RedisServer }> {
  const redis = new RedisServer(redisBinary ?? '', await freePort());
  defer(() => redis.stop());
  await redis.start();
  const dir = await mkdtemp(join(tmpdir(), 'bond-cluster-e2e-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'cluster.key');
  await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
  const nodes: NodeProcess[] = [];
  for (const [i, address] of NODE_ADDRESSES.entries()) {
    const name = `rx-${i + 1}`;
    const port = await freeUdpPort();
    const http = await freeTcpPort();
    const process = startBin(
      BIN,
      [
        '--srtla_port',
        String(port),
        '--listen',
        address,
        '--srt_hostname',
        '127.0.0.1',
        '--srt_port',
        String(srtPort),
        '--cluster',
        redis.url,
        '--node-id',
        name,
        '--backplane',
        `${address}:${await freeUdpPort()}`,
        '--cluster-key-file',
        keyFile,
        '--http',
        `127.0.0.1:${http}`,
        '--log-format',
        'text',
      ],
      defer,
    );
    nodes.push({ name, address, port, http, process });
  }
  const first = nodes[0];
  if (first === undefined) throw new Error('no nodes');
  await waitFor(
    async () => {
      try {
        const view = await clusterNodes(first);
        return view.length === nodes.length && view.every((node) => node.state === 'up');
      } catch {
        return false;
      }
    },
    () =>
      `three nodes up; output:\n${nodes.map((node) => `--- ${node.name}\n${node.process.output()}`).join('\n')}`,
    20_000,
  );
  return { nodes, redis };
}

/**
 * The cluster with a UDP sink as the SRT side (every data packet's seq, the socket it came from
 * and when), the balancer, the sender engine stand-in over six links, and an encoder stand-in
 * feeding it 200 SRT data packets a second; resolves once 600 reached the sink.
 */
async function engineStream() {
  // The SRT side: every data packet's seq, and the socket (the owner's upstream) it came from.
  const arrivals: { seq: number; from: string; at: number }[] = [];
  const sink = await boundUdpSocket(defer, (message, remote) => {
    if (classifyDatagram(message) !== DatagramKind.SrtData) return;
    arrivals.push({
      seq: peekSrtDataSeq(message),
      from: `${remote.address}:${remote.port}`,
      at: performance.now(),
    });
  });

  const { nodes, redis } = await startCluster(sink.address().port);
  const lb = await LbStandin.open({
    listen: { address: '127.0.0.1', port: 0 },
    nodes: nodes.map((node) => ({ address: node.address, port: node.port })),
  });
  defer(() => lb.close());

  const events: { event: SenderEvent; at: number }[] = [];
  const reg3s: { linkId: number; at: number }[] = [];
  const sender = await startSenderStandIn({
    receiver: createEndpoint(lb.address.address, lb.address.port),
    linkAddresses: LINKS,
    onEvent: (event, at) => events.push({ event, at }),
    onLinkDatagram: (linkId, kind, at) => {
      if (kind === DatagramKind.SrtlaReg3) reg3s.push({ linkId, at });
    },
  });
  defer(() => sender.close());
  await waitFor(() => sender.linksUp() === LINKS.length, 'every link up', 15_000);

  // An encoder stand-in feeding SRT data into the sender: 200 packets/s until stopped.
  const feed = await feedSrtData(defer, { port: sender.encoderPort, payloadBytes: PAYLOAD });
  await waitFor(
    () => arrivals.length >= 600,
    () =>
      `600 packets at the SRT side, got ${arrivals.length}; output:\n${nodes.map((node) => `--- ${node.name}\n${node.process.output()}`).join('\n')}`,
    15_000,
  );
  // One group, one upstream socket: say what the nodes did when not.
  const sources = new Set(arrivals.map((arrival) => arrival.from));
  if (sources.size !== 1) {
    throw new Error(
      `the stream reached the SRT side from ${sources.size} sockets (${[...sources].join(', ')}), first seqs ${arrivals
        .slice(0, 12)
        .map((arrival) => `${arrival.seq}@${arrival.from}`)
        .join(
          ' ',
        )}; sender events ${JSON.stringify(events.map((each) => each.event))}; output:\n${nodes
        .map((node) => `--- ${node.name}\n${node.process.output()}`)
        .join('\n')}`,
    );
  }
  return { arrivals, nodes, redis, lb, sender, events, reg3s, feed };
}

/**
 * One stream for the non-owner test: a sender stand-in over `links` to the balancer `lb`, fed by an
 * encoder stand-in 200 packets a second whose SRT data carry `socketId` (the sink tells the
 * streams apart by it). The REG3s its links get after `since()` are recorded by link.
 */
async function feedStream(lb: LbStandin, links: readonly string[], socketId: number) {
  const reg3s: { linkId: number; at: number }[] = [];
  const sender = await startSenderStandIn({
    receiver: createEndpoint(lb.address.address, lb.address.port),
    linkAddresses: links,
    onLinkDatagram: (linkId, kind, at) => {
      if (kind === DatagramKind.SrtlaReg3) reg3s.push({ linkId, at });
    },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await feed.stop();
    await sender.close();
  };
  const feed = await feedSrtData(defer, {
    port: sender.encoderPort,
    payloadBytes: PAYLOAD,
    destinationSocketId: socketId,
    paused: true,
  });
  defer(close);
  await waitFor(
    () => sender.linksUp() === links.length,
    `every link of stream ${socketId} up`,
    15_000,
  );
  return {
    sender,
    reg3s,
    close,
    start: feed.resume,
    stop: feed.pause,
    sent: feed.sent,
  };
}

describe.skipIf(!built || redisBinary === undefined)(
  'a bond-receiver cluster on Redis behind a load balancer (needs `pnpm build` and redis-server)',
  () => {
    it('carries a stream in order over links on several nodes, and recovers it after the owner is SIGKILLed', async () => {
      const { arrivals, nodes, lb, events, reg3s, feed } = await engineStream();

      // 1. In order, every packet, through one owner (the one upstream socket).
      const before = arrivals.slice();
      const firstSeq = before[0]?.seq ?? 0;
      expect(before.map((arrival) => arrival.seq)).toEqual(
        Array.from({ length: before.length }, (_, i) => firstSeq + i),
      );
      expect(new Set(before.map((arrival) => arrival.from)).size).toBe(1);
      const oldUpstream = before[0]?.from;

      const placements = [...lb.placements().values()];
      const spread = new Set(placements);
      const owners: NodeProcess[] = [];
      for (const node of nodes) if ((await groupsOf(node)).length > 0) owners.push(node);
      expect(owners).toHaveLength(1);
      const owner = owners[0];
      if (owner === undefined) throw new Error('no owner');
      const ownerGroups = await groupsOf(owner);
      const tag = ownerGroups[0]?.tag;
      expect(ownerGroups[0]?.links).toHaveLength(LINKS.length);
      // The stats name the owning node.
      expect(ownerGroups[0]?.nodeId).toBe(owner.name);
      expect(typeof ownerGroups[0]?.node).toBe('number');

      const ownerKey = `${owner.address}:${owner.port}`;
      const onOwner = placements.filter((node) => node === ownerKey).length;
      console.info(
        `links on ${spread.size} of 3 nodes (${onOwner} of ${LINKS.length} on the owner ${owner.name}); ${before.length} packets in order before the kill`,
      );
      // Links on other nodes than the owner reached it over the backplane (forwarded).
      if (onOwner < LINKS.length) {
        const metrics = await (await fetch(`http://127.0.0.1:${owner.http}/metrics`)).text();
        const forwardedIn = /^bond_receiver_cluster_forwarded_in_total\{[^}]*\} (\d+)/m.exec(
          metrics,
        );
        expect(Number(forwardedIn?.[1] ?? 0)).toBeGreaterThan(0);
      }

      // 2. SIGKILL the owner; the balancer's health check takes it out.
      const eventsBefore = events.length;
      const killedAt = performance.now();
      owner.process.child.kill('SIGKILL');
      const moved = lb.markDown(ownerKey);
      const survivors = nodes.filter((node) => node !== owner);

      // Every link registered again (a REG3 on each), through the surviving nodes.
      const reregistered = new Map<number, number>();
      await waitFor(
        () => {
          for (const { linkId, at } of reg3s) {
            if (at > killedAt && !reregistered.has(linkId)) reregistered.set(linkId, at);
          }
          return reregistered.size === LINKS.length;
        },
        () =>
          `every link re-registered (REG3) within ${RECOVERY_BOUND_MS} ms of the kill (${reregistered.size} did); events: ${JSON.stringify(events.slice(eventsBefore).map((each) => each.event))}; output:\n${survivors.map((node) => `--- ${node.name}\n${node.process.output()}`).join('\n')}`,
        RECOVERY_BOUND_MS,
      );
      // Data at the SRT side again, from a new upstream socket (the adopting node's).
      await waitFor(
        () =>
          arrivals.filter((arrival) => arrival.at > killedAt && arrival.from !== oldUpstream)
            .length >= 200,
        () =>
          `200 packets from the new owner within ${RECOVERY_BOUND_MS} ms of the kill, got ${arrivals.filter((arrival) => arrival.from !== oldUpstream).length}`,
        RECOVERY_BOUND_MS,
      );
      await feed.stop();
      const after = events.slice(eventsBefore).map((each) => each.event);
      // The same group: no new registration (REG1 -> REG2) after the kill.
      expect(after.filter((event) => event.type === 'bootstrap')).toEqual([]);
      expect(after.filter((event) => event.type === 'registered')).toEqual([]);
      // Adopted by a surviving node under the same group id, with every link.
      const adopters: NodeProcess[] = [];
      for (const node of survivors) {
        const groups = await groupsOf(node);
        if (groups.some((group) => group.tag === tag && group.state === 'active')) {
          adopters.push(node);
        }
      }
      expect(adopters).toHaveLength(1);
      const adopter = adopters[0];
      if (adopter === undefined) throw new Error('no adopter');
      const adopted = (await groupsOf(adopter)).find((group) => group.tag === tag);
      expect(adopted?.links).toHaveLength(LINKS.length);
      const resumed = arrivals.find(
        (arrival) => arrival.at > killedAt && arrival.from !== oldUpstream,
      );
      const lastOld = [...arrivals].reverse().find((arrival) => arrival.from === oldUpstream);
      const firstUp = Math.min(...reregistered.values());
      const allUp = Math.max(...reregistered.values());
      console.info(
        `failover (owner ${owner.name} SIGKILLed, ${moved} sources moved at the balancer, adopted by ${adopter.name}): ` +
          `first link re-registered after ${Math.round(firstUp - killedAt)} ms, all ${LINKS.length} after ${Math.round(allUp - killedAt)} ms; ` +
          `data at the SRT side again after ${Math.round((resumed?.at ?? Number.NaN) - killedAt)} ms ` +
          `(seq ${resumed?.seq}; the last before the kill was ${lastOld?.seq})`,
      );
    });

    it('SIGKILL of a node that owns nothing: its links move and re-register, the other streams lose nothing', async () => {
      // The SRT side: every data packet's seq, by stream (destination socket id).
      const arrivals = new Map<number, { seq: number; at: number }[]>();
      const sink = await boundUdpSocket(defer, (message) => {
        if (classifyDatagram(message) !== DatagramKind.SrtData) return;
        const stream = peekSrtDestinationSocketId(message);
        let list = arrivals.get(stream);
        if (list === undefined) {
          list = [];
          arrivals.set(stream, list);
        }
        list.push({ seq: peekSrtDataSeq(message), at: performance.now() });
      });
      const { nodes } = await startCluster(sink.address().port);
      const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
      const keyOf = (node: NodeProcess) => `${node.address}:${node.port}`;
      const balancer = async (members: readonly NodeProcess[]) => {
        const lb = await LbStandin.open({
          listen: { address: '127.0.0.1', port: 0 },
          nodes: members.map((node) => ({ address: node.address, port: node.port })),
        });
        defer(() => lb.close());
        return lb;
      };
      const ownerOf = async (candidates: readonly NodeProcess[]) => {
        for (const node of candidates) if ((await groupsOf(node)).length > 0) return node;
        throw new Error('no owner');
      };

      // Stream X: six links hashed over nodes 1 and 2; its owner is the node that answered its
      // REG1, the victim the other one, which must hold some of X's links (rehash until it does).
      const X = 101;
      let lbX = await balancer([n1, n2]);
      let x = await feedStream(lbX, LINKS, X);
      let xOwner = await ownerOf([n1, n2]);
      for (
        let attempt = 0;
        [...lbX.placements().values()].every((n) => n === keyOf(xOwner));
        attempt++
      ) {
        if (attempt === 5) throw new Error('stream X never had a link off its owner in 6 tries');
        await x.close();
        await lbX.close();
        await waitFor(
          async () => (await groupsOf(xOwner)).length === 0,
          'the abandoned attempt at stream X gone',
          20_000,
        );
        lbX = await balancer([n1, n2]);
        x = await feedStream(lbX, LINKS, X);
        xOwner = await ownerOf([n1, n2]);
      }
      const victim = xOwner === n1 ? n2 : n1;
      // Stream Y owned by X's owner, stream Z by node 3: no link of either on the victim.
      const Y = 102;
      const Z = 103;
      const y = await feedStream(await balancer([xOwner]), ['127.0.0.21', '127.0.0.22'], Y);
      const z = await feedStream(await balancer([n3]), ['127.0.0.23', '127.0.0.24'], Z);
      for (const stream of [x, y, z]) stream.start();
      await waitFor(
        () => [X, Y, Z].every((id) => (arrivals.get(id)?.length ?? 0) >= 300),
        () =>
          `300 packets of each stream, got ${[X, Y, Z].map((id) => arrivals.get(id)?.length ?? 0).join(', ')}`,
        15_000,
      );
      const onVictim = [...lbX.placements().values()].filter((n) => n === keyOf(victim)).length;

      // SIGKILL the victim; the balancer's health check takes it out, moving X's links on it.
      const killedAt = performance.now();
      victim.process.child.kill('SIGKILL');
      const moved = lbX.markDown(keyOf(victim));
      const reregistered = new Map<number, number>();
      await waitFor(
        () => {
          for (const { linkId, at } of x.reg3s) {
            if (at > killedAt && !reregistered.has(linkId)) reregistered.set(linkId, at);
          }
          return reregistered.size >= moved;
        },
        () => `the ${moved} moved links of stream X registered again (${reregistered.size} did)`,
        RECOVERY_BOUND_MS,
      );
      // Two more seconds of stream, then every packet sent must be in.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const stream of [x, y, z]) stream.stop();
      const lastOf: Record<number, number> = {
        [X]: x.sent() - 1,
        [Y]: y.sent() - 1,
        [Z]: z.sent() - 1,
      };
      await waitFor(
        () => [Y, Z].every((id) => arrivals.get(id)?.at(-1)?.seq === lastOf[id]),
        'the last packets of streams Y and Z',
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // X's stragglers
      const report = [X, Y, Z].map((id) => {
        const seqs = (arrivals.get(id) ?? []).map((each) => each.seq);
        const first = seqs[0] ?? 0;
        const last = lastOf[id] ?? 0;
        const missing = last - first + 1 - new Set(seqs).size;
        const inOrder = seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? -1));
        return { id, seqs, first, last, missing, inOrder };
      });
      const [rx, ry, rz] = report as [(typeof report)[0], (typeof report)[0], (typeof report)[0]];
      console.info(
        `non-owner SIGKILL (${victim.name} with ${onVictim} of stream X's ${LINKS.length} links, X owned by ${xOwner.name}): ` +
          `X's ${moved} moved links re-registered after ${Math.round(Math.min(...reregistered.values()) - killedAt)}-${Math.round(Math.max(...reregistered.values()) - killedAt)} ms; ` +
          `packets lost: X ${rx.missing} of ${rx.last - rx.first + 1}, Y (owned by ${xOwner.name}) ${ry.missing} of ${ry.last - ry.first + 1}, ` +
          `Z (owned by ${n3.name}) ${rz.missing} of ${rz.last - rz.first + 1}; in order: X ${rx.inOrder}, Y ${ry.inOrder}, Z ${rz.inOrder}`,
      );
      // The streams with no link on the victim: every packet, in order.
      for (const r of [ry, rz]) {
        expect(r.seqs).toEqual(Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i));
      }
      // Stream X carries on through its owner, in order (what was in flight on the victim is lost).
      expect(rx.inOrder).toBe(true);
      expect(rx.seqs.at(-1)).toBe(rx.last);
      expect((await groupsOf(xOwner)).find((g) => g.links.length >= LINKS.length)).toBeDefined();
    });

    it('keeps a flowing stream whole while Redis restarts (the nodes run on their caches)', async () => {
      const { arrivals, nodes, redis, feed } = await engineStream();
      const stoppedAt = performance.now();
      await redis.stop();
      // Away longer than a lease and a node key live (2 s): nothing may expire into a failover.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await redis.start();
      const restartedAt = performance.now();
      await waitFor(
        () => nodes.every((node) => node.process.output().includes('cluster: ready again')),
        () =>
          `every node ready again after the Redis restart; output:\n${nodes.map((node) => `--- ${node.name}\n${node.process.output()}`).join('\n')}`,
        15_000,
      );
      const readyAt = performance.now();
      // Two more seconds of stream after the restart, then everything sent must be at the sink.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await feed.stop();
      const last = feed.sent() - 1;
      await waitFor(
        () => arrivals.at(-1)?.seq === last,
        () => `packet ${last} at the sink, the last is ${arrivals.at(-1)?.seq}`,
        10_000,
      );
      const first = arrivals[0]?.seq ?? 0;
      const seqs = arrivals.map((arrival) => arrival.seq);
      const missing = last - first + 1 - new Set(seqs).size;
      console.info(
        `Redis stopped for ${Math.round(restartedAt - stoppedAt)} ms, every node ready again ${Math.round(readyAt - restartedAt)} ms after its restart; ` +
          `${seqs.length} packets at the SRT side, ${missing} missing; from ${JSON.stringify(
            [...new Set(arrivals.map((arrival) => arrival.from))].map((from) => {
              const mine = arrivals.filter((arrival) => arrival.from === from);
              return { from, count: mine.length, first: mine[0]?.seq, last: mine.at(-1)?.seq };
            }),
          )}`,
      );
      expect(seqs).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
      // No failover happened: one upstream socket all along, and every node said it was degraded.
      expect(new Set(arrivals.map((arrival) => arrival.from)).size).toBe(1);
      for (const node of nodes) expect(node.process.output()).toContain('cluster: degraded');
    });

    for (const { sender, listenerKind } of SRT_CASES) {
      const multi = listenerKind === 'takes every caller';
      it.skipIf(!hasSrt || !sender.available || (multi && srtListenerTool === undefined))(
        multi
          ? `${sender.name} with a real SRT stream (${SRT_TOOL} caller, a listener that takes every caller as SLS and MediaMTX do): the owner SIGKILLed and the stream back (needs ${sender.needs}, ${SRT_TOOL}, libsrt headers)`
          : `${sender.name} with a real SRT stream (${SRT_TOOL} caller and listener): in order, then the owner SIGKILLed and the stream back (needs ${sender.needs}, ${SRT_TOOL})`,
        async () => {
          // The SRT listener: every payload's counter (the first 4 bytes) and when it came out.
          let pending = Buffer.alloc(0);
          const received: { counter: number; at: number }[] = [];
          const listenerPort = await freeUdpPort();
          const [listenerCommand, listenerArgs] = multi
            ? [
                srtListenerTool ?? '',
                [String(listenerPort), '500', String(SRT_RECOVERY_BOUND_MS / 1000 + 120)],
              ]
            : [
                SRT_TOOL,
                ['-q', `srt://127.0.0.1:${listenerPort}?mode=listener&latency=500`, 'file://con'],
              ];
          const listener = startProcess(listenerCommand, listenerArgs, {
            onStdout: (chunk) => {
              pending = Buffer.concat([pending, chunk]);
              const at = performance.now();
              while (pending.length >= PAYLOAD) {
                received.push({ counter: pending.readUInt32BE(0), at });
                pending = pending.subarray(PAYLOAD);
              }
            },
          });
          defer(() => listener.stop());
          const { nodes } = await startCluster(listenerPort);
          const lb = await LbStandin.open({
            listen: { address: '127.0.0.1', port: 0 },
            nodes: nodes.map((node) => ({ address: node.address, port: node.port })),
          });
          defer(() => lb.close());
          const dir = await mkdtemp(join(tmpdir(), 'bond-cluster-srtla-send-'));
          defer(() => rm(dir, { recursive: true, force: true }));
          const ipsFile = join(dir, 'ips');
          await writeFile(ipsFile, `${SRTLA_SEND_IPS.join('\n')}\n`);
          // Free for a wildcard bind: srtla_send binds 0.0.0.0.
          const sendPort = await freeUdpPort('0.0.0.0');
          const [command, ...prefix] = sender.command();
          const senderProcess = startProcess(command ?? '', [
            ...prefix,
            String(sendPort),
            lb.address.address,
            String(lb.address.port),
            ipsFile,
          ]);
          defer(() => senderProcess.stop());
          const caller = startProcess(
            SRT_TOOL,
            [
              `-chunk:${PAYLOAD}`,
              'file://con',
              `srt://127.0.0.1:${sendPort}?mode=caller&latency=500`,
            ],
            { stdin: true },
          );
          defer(() => caller.stop());
          const everyOutput = () =>
            `${sender.name}:\n${senderProcess.output()}\n${nodes.map((node) => `--- ${node.name}\n${node.process.output()}`).join('\n')}`;
          // The SRT handshake went through the cluster: the listener's answers reached the group.
          let owner: NodeProcess | undefined;
          await waitFor(
            async () => {
              for (const node of nodes) {
                let api: { groups: { packetsFromListener: number }[] };
                try {
                  const response = await fetch(`http://127.0.0.1:${node.http}/api/v1/stats`);
                  api = (await response.json()) as typeof api;
                } catch {
                  continue; // a kept-alive connection the server closed: ask again next round
                }
                if ((api.groups[0]?.packetsFromListener ?? 0) >= 2) owner = node;
              }
              return owner !== undefined;
            },
            () => `the SRT handshake through the cluster; ${everyOutput()}`,
            20_000,
          );
          if (owner === undefined) throw new Error('no owner');
          const input = caller.child.stdin;
          if (input === null) throw new Error('no stdin');
          // 100 payloads a second, each with its counter, until stopped.
          const writtenAt: number[] = [];
          const feed = setInterval(() => {
            for (let i = 0; i < 2; i++) {
              const payload = Buffer.alloc(PAYLOAD);
              payload.writeUInt32BE(writtenAt.length, 0);
              writtenAt.push(performance.now());
              input.write(payload);
            }
          }, 20);
          defer(() => {
            clearInterval(feed);
            return Promise.resolve();
          });
          await waitFor(
            () => received.length >= 500,
            () => `500 payloads out of the SRT listener, got ${received.length}; ${everyOutput()}`,
            20_000,
          );
          const before = received.slice();
          expect(before.map((each) => each.counter)).toEqual(
            Array.from({ length: before.length }, (_, i) => i),
          );
          const placements = [...lb.placements().values()];
          const ownerKey = `${owner.address}:${owner.port}`;
          const tag = (await groupsOf(owner))[0]?.tag;
          console.info(
            `${sender.name}: ${placements.length} links on ${new Set(placements).size} of 3 nodes (${placements.filter((node) => node === ownerKey).length} on the owner ${owner.name}); ${before.length} payloads in order before the kill`,
          );

          const killedAt = performance.now();
          owner.process.child.kill('SIGKILL');
          const moved = lb.markDown(ownerKey);
          const survivors = nodes.filter((node) => node !== owner);
          // When the caller saw its connection end (told by the adopting node, or by its own
          // peer-idle timeout): srt-live-transmit says so on stderr.
          const disconnectedBefore = caller.output().split('SRT target disconnected').length;
          let callerDisconnectedAt: number | undefined;
          const watchCaller = setInterval(() => {
            if (caller.output().split('SRT target disconnected').length > disconnectedBefore) {
              callerDisconnectedAt ??= performance.now();
              clearInterval(watchCaller);
            }
          }, 20);
          defer(() => {
            clearInterval(watchCaller);
            return Promise.resolve();
          });
          // Re-registered: a surviving node holds the group (same id), then with every link.
          let firstLinkAt: number | undefined;
          let reregisteredAt: number | undefined;
          let adopter: NodeProcess | undefined;
          await waitFor(
            async () => {
              for (const node of survivors) {
                const group = (await groupsOf(node)).find((each) => each.tag === tag);
                if (group === undefined) continue;
                firstLinkAt ??= performance.now();
                adopter = node;
                if (group.links.length === SRTLA_SEND_IPS.length)
                  reregisteredAt = performance.now();
              }
              return reregisteredAt !== undefined;
            },
            () =>
              `${sender.name}'s links re-registered on a surviving node within ${SRT_RECOVERY_BOUND_MS} ms; ${everyOutput()}`,
            { timeoutMs: SRT_RECOVERY_BOUND_MS, intervalMs: 100 },
          );
          // Flowing again: payloads written after the kill come out of the SRT listener.
          const fresh = () =>
            received.filter((each) => (writtenAt[each.counter] ?? Infinity) > killedAt);
          await waitFor(
            () => fresh().length >= 200,
            () =>
              `200 payloads written after the kill out of the SRT listener within ${SRT_RECOVERY_BOUND_MS} ms, got ${fresh().length}; ${everyOutput()}`,
            SRT_RECOVERY_BOUND_MS,
          );
          clearInterval(feed);
          const resumed = fresh()[0];
          // After the reconnection the stream is in order again (what was lost at the kill is gone).
          const counters = received
            .slice(resumed === undefined ? received.length : received.indexOf(resumed))
            .map((each) => each.counter);
          expect(counters).toEqual([...counters].sort((a, b) => a - b));
          expect(new Set(counters).size).toBe(counters.length);
          console.info(
            `${sender.name} failover, listener ${listenerKind} (owner ${owner.name} SIGKILLed, ${moved} sources moved, adopted by ${adopter?.name}): ` +
              `group adopted with its first link after ${Math.round((firstLinkAt ?? Number.NaN) - killedAt)} ms, all ${SRTLA_SEND_IPS.length} links after ${Math.round((reregisteredAt ?? Number.NaN) - killedAt)} ms (polled every 100 ms), ` +
              `the SRT caller's connection ended after ${Math.round((callerDisconnectedAt ?? Number.NaN) - killedAt)} ms, ` +
              `SRT data flowing again after ${Math.round((resumed?.at ?? Number.NaN) - killedAt)} ms ` +
              `(payload ${resumed?.counter}, written ${Math.round((writtenAt[resumed?.counter ?? 0] ?? Number.NaN) - killedAt)} ms after the kill)`,
          );
        },
        // Building the peers the first time takes about 45 s.
        180_000,
      );
    }
  },
);
