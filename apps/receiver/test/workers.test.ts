// `bond-receiver --workers 2` as users run it (the built dist/bin.js): two worker processes share
// the SRTLA port (SO_REUSEPORT: the kernel hashes each link's address to a worker, so one stream's
// links land on both), the primary coordinates them and serves HTTP for both.
// 1. A real SRT stream (srt-live-transmit caller -> bond's sender engine over 6 loopback links ->
//    the workers -> srt-live-transmit listener): every packet arrives, in order.
// 2. SIGKILL the worker that owns the stream mid-stream: the primary restarts it, the stream's
//    group comes back under the same id (on the restarted worker or adopted by the other), and
//    SRT data reaches the listener side again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { peekSrtDataSeq, DatagramKind, classifyDatagram } from '@bond/wire';
import {
  cleanupAfterEach,
  freeTcpPort,
  metricValue,
  parseMetrics,
  startBin,
  startProcess,
  type TestProcess,
} from '../../common/test/support/testing.js';
import { boundUdpSocket, feedSrtData, waitFor } from '@bond/io/testing';
import { freeUdpPort, hasCommand, feedNumberedPayloads } from './helpers.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const built = existsSync(BIN);
const SRT_TOOL = 'srt-live-transmit';
const hasSrt = hasCommand(SRT_TOOL);
const PACKETS = 3000;
const PAYLOAD = 1316;
const FILLER = 32;
const LINKS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];

// Real processes on a shared 2-core machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 60_000 });

const defer = cleanupAfterEach();

interface ClusterNodeDoc {
  index: number;
  state: string;
  pid: number | null;
  restarts: number;
  groups: { tag: string; state: string; links: number }[];
  load: { datagramsReceived: number };
  routing: { forwarded: number; forwardedIn: number; groupsAdopted: number } | null;
}

async function clusterDoc(http: number): Promise<ClusterNodeDoc[]> {
  const response = await fetch(`http://127.0.0.1:${http}/api/v1/cluster`);
  return ((await response.json()) as { nodes: ClusterNodeDoc[] }).nodes;
}

async function startWorkers(srtPort: number, extra: readonly string[] = []) {
  const srtlaPort = await freeUdpPort();
  const http = await freeTcpPort();
  const receiver = startBin(
    BIN,
    [
      '--workers',
      '2',
      '--srtla_port',
      String(srtlaPort),
      '--srt_hostname',
      '127.0.0.1',
      '--srt_port',
      String(srtPort),
      '--listen',
      '127.0.0.1',
      '--http',
      `127.0.0.1:${http}`,
      '--log-format',
      'text',
      ...extra,
    ],
    defer,
  );
  await waitFor(
    async () => {
      try {
        const nodes = await clusterDoc(http);
        return nodes.length === 2 && nodes.every((node) => node.state === 'up');
      } catch {
        return false;
      }
    },
    () => `two workers up; output:\n${receiver.output()}`,
    15_000,
  );
  return { receiver, srtlaPort, http };
}

function track(process: TestProcess): TestProcess {
  defer(() => process.stop());
  return process;
}

describe.skipIf(!built)('bond-receiver --workers 2 (needs `pnpm build` for dist/bin.js)', () => {
  it.skipIf(!hasSrt).each([
    ['the native backend (SO_REUSEPORT)', 'auto'],
    ['dgram (one socket shared through node:cluster)', 'dgram'],
  ])(
    `carries ${PACKETS} SRT packets over links spread on both workers, in order: %s (needs ${SRT_TOOL})`,
    async (_name, backend) => {
      const chunks: Buffer[] = [];
      let receivedBytes = 0;
      const listenerPort = await freeUdpPort();
      track(
        startProcess(
          SRT_TOOL,
          ['-q', `srt://127.0.0.1:${listenerPort}?mode=listener&latency=1000`, 'file://con'],
          {
            onStdout: (chunk) => {
              chunks.push(chunk);
              receivedBytes += chunk.length;
            },
          },
        ),
      );
      const { receiver, srtlaPort, http } = await startWorkers(listenerPort, [
        '--io-backend',
        backend,
      ]);
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', srtlaPort),
        linkAddresses: LINKS,
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === LINKS.length, 'every link up', 10_000);
      const caller = track(
        startProcess(
          SRT_TOOL,
          [
            '-q',
            `-chunk:${PAYLOAD}`,
            'file://con',
            `srt://127.0.0.1:${sender.encoderPort}?mode=caller&latency=1000`,
          ],
          { stdin: true },
        ),
      );
      // The SRT handshake went through bond: the listener's replies came back to the group.
      await waitFor(
        async () => {
          const api = (await (await fetch(`http://127.0.0.1:${http}/api/v1/stats`)).json()) as {
            groups: { packetsFromListener: number }[];
          };
          return (api.groups[0]?.packetsFromListener ?? 0) >= 2;
        },
        'the SRT handshake through bond',
        10_000,
      );
      const input = caller.child.stdin;
      if (input === null) throw new Error('no stdin');
      await feedNumberedPayloads(input, PACKETS, PAYLOAD, FILLER);
      await waitFor(
        () => receivedBytes >= PACKETS * PAYLOAD,
        () =>
          `${PACKETS} payloads out of the SRT listener, got ${receivedBytes / PAYLOAD}; receiver:\n${receiver.output()}`,
        20_000,
      );
      const stream = Buffer.concat(chunks);
      const counters = Array.from({ length: PACKETS }, (_, i) => stream.readUInt32BE(i * PAYLOAD));
      expect(counters).toEqual(Array.from({ length: PACKETS }, (_, i) => i));

      const nodes = await clusterDoc(http);
      // One group, owned by one worker, with every link.
      const owners = nodes.filter((node) => node.groups.length > 0);
      expect(owners).toHaveLength(1);
      expect(owners[0]?.groups[0]?.links).toBe(LINKS.length);
      // When the kernel spread the links over both workers (it almost always does with six), the
      // other one forwarded to the owner.
      const received = nodes.map((node) => node.load.datagramsReceived);
      const forwarded = nodes.reduce((sum, node) => sum + (node.routing?.forwarded ?? 0), 0);
      if (received.every((count) => count > 0)) expect(forwarded).toBeGreaterThan(100);
      console.info(`workers received ${received.join(' + ')} datagrams; ${forwarded} forwarded`);

      const api = (await (await fetch(`http://127.0.0.1:${http}/api/v1/stats`)).json()) as {
        workers: number;
        groups: { node: number; links: unknown[] }[];
      };
      expect(api.workers).toBe(2);
      expect(api.groups).toHaveLength(1);
      expect(api.groups[0]?.node).toBe(owners[0]?.index);
      const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${http}/metrics`)).text());
      for (const node of ['1', '2']) {
        expect(metricValue(metrics, 'bond_receiver_uptime_seconds', { node })).toBeGreaterThan(0);
      }
      for (const node of ['1', '2']) {
        expect(
          metricValue(metrics, 'bond_receiver_backplane_rejected_total', { node, reason: 'tag' }),
        ).toBe(0);
      }
      const forwardedMetric = ['1', '2']
        .map((node) => metricValue(metrics, 'bond_receiver_cluster_forwarded_total', { node }))
        .reduce((sum: number, value) => sum + (value ?? 0), 0);
      expect(forwardedMetric).toBeGreaterThanOrEqual(forwarded);
      expect(
        metricValue(metrics, 'bond_receiver_groups', {
          node: String(owners[0]?.index),
          state: 'active',
        }),
      ).toBe(1);
    },
  );

  it.each([
    ['the native backend (SO_REUSEPORT)', 'auto'],
    ['dgram (one socket shared through node:cluster)', 'dgram'],
  ])(
    'restarts a worker killed mid-stream; the stream comes back under the same group id: %s',
    async (_name, backend) => {
      // The SRT side: a UDP sink recording data seqs and the sockets they came from.
      const seqs: number[] = [];
      const sink = await boundUdpSocket(defer, (message) => {
        if (classifyDatagram(message) === DatagramKind.SrtData) seqs.push(peekSrtDataSeq(message));
      });
      const { receiver, srtlaPort, http } = await startWorkers(sink.address().port, [
        '--io-backend',
        backend,
      ]);
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', srtlaPort),
        linkAddresses: LINKS,
        linkTimeoutMs: 3000,
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === LINKS.length, 'every link up', 10_000);
      // An encoder stand-in feeding SRT data into the sender: 200 packets/s until stopped.
      const feed = await feedSrtData(defer, { port: sender.encoderPort, payloadBytes: PAYLOAD });
      await waitFor(
        () => seqs.length >= 200,
        () => `200 packets at the sink, got ${seqs.length}`,
        10_000,
      );
      const before = await clusterDoc(http);
      const owner = before.find((node) => node.groups.length > 0);
      if (owner?.pid == null) throw new Error(`no owner: ${JSON.stringify(before)}`);
      const tag = owner.groups[0]?.tag;

      process.kill(owner.pid, 'SIGKILL');
      const killedAt = seqs.length;
      await waitFor(
        async () => {
          const nodes = await clusterDoc(http);
          const again = nodes.find((node) => node.index === owner.index);
          return again?.state === 'up' && again.pid !== owner.pid && again.restarts === 1;
        },
        () => `worker ${owner.index} restarted; output:\n${receiver.output()}`,
        15_000,
      );
      // The stream flows again: a group with the same id (tag) on a live worker, data at the sink.
      await waitFor(
        async () => {
          const nodes = await clusterDoc(http);
          return nodes.some((node) =>
            node.groups.some((group) => group.tag === tag && group.state === 'active'),
          );
        },
        async () => `the group ${tag} adopted; cluster: ${JSON.stringify(await clusterDoc(http))}`,
        20_000,
      );
      const resumedFrom = seqs.length;
      await waitFor(
        () => seqs.length >= resumedFrom + 200,
        () => `200 more packets at the sink after the restart (had ${killedAt} at the kill)`,
        20_000,
      );
      await feed.stop();
      expect(receiver.output()).toContain('worker died');
    },
  );
});
