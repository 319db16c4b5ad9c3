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
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { waitFor } from '@bond/io/testing';
import { LbStandin, freeTcpPort, freeUdpPort } from '@bond/stand';
import { DatagramKind, classifyDatagram, encodeSrtData, peekSrtDataSeq } from '@bond/wire';
import {
  cleanupAfterEach,
  startBin,
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

const BIN = join(import.meta.dirname, '..', '..', 'apps', 'receiver', 'dist', 'bin.js');
const built = existsSync(BIN);
const redisBinary = findRedisServer();
const NODE_ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const LINKS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
const PAYLOAD = 1316;
/** The recovery must happen within this after the kill (a bound, not a timing assertion). */
const RECOVERY_BOUND_MS = 15_000;

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
async function startCluster(srtPort: number): Promise<NodeProcess[]> {
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
  return nodes;
}

describe.skipIf(!built || redisBinary === undefined)(
  'a bond-receiver cluster on Redis behind a load balancer (needs `pnpm build` and redis-server)',
  () => {
    it('carries a stream in order over links on several nodes, and recovers it after the owner is SIGKILLed', async () => {
      // The SRT side: every data packet's seq, and the socket (the owner's upstream) it came from.
      const arrivals: { seq: number; from: string; at: number }[] = [];
      const sink = createSocket('udp4');
      sink.on('message', (message, remote) => {
        if (classifyDatagram(message) !== DatagramKind.SrtData) return;
        arrivals.push({
          seq: peekSrtDataSeq(message),
          from: `${remote.address}:${remote.port}`,
          at: performance.now(),
        });
      });
      await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
      defer(
        () =>
          new Promise<void>((resolve) =>
            sink.close(() => {
              resolve();
            }),
          ),
      );

      const nodes = await startCluster(sink.address().port);
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
      const encoder = createSocket('udp4');
      await new Promise<void>((resolve) => encoder.bind(0, '127.0.0.1', resolve));
      defer(
        () =>
          new Promise<void>((resolve) =>
            encoder.close(() => {
              resolve();
            }),
          ),
      );
      let seq = 0;
      const feed = setInterval(() => {
        for (let i = 0; i < 2; i++) {
          const packet = encodeSrtData(
            {
              seq,
              packetPosition: 3,
              inOrder: false,
              encryptionKey: 0,
              retransmitted: false,
              messageNumber: seq + 1,
              timestamp: seq * 5000,
              destinationSocketId: 9,
            },
            new Uint8Array(PAYLOAD),
          );
          seq++;
          encoder.send(packet, sender.encoderPort, '127.0.0.1');
        }
      }, 10);
      defer(() => {
        clearInterval(feed);
        return Promise.resolve();
      });
      await waitFor(
        () => arrivals.length >= 600,
        () =>
          `600 packets at the SRT side, got ${arrivals.length}; output:\n${nodes.map((node) => `--- ${node.name}\n${node.process.output()}`).join('\n')}`,
        15_000,
      );

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
      clearInterval(feed);
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
  },
);
