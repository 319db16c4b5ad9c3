// End to end with real SRT: payloads piped into srt-live-transmit (caller) -> bond's sender engine
// over 3 loopback links -> bond-receiver (run(), real sockets) -> srt-live-transmit (listener),
// whose output is piped back. The ends are pipes (no loss there), so the only UDP hops are the
// ones through bond, where SRT repairs any loss.
// Everything arrives, in order, and the counts agree with the stats API and /metrics.
import { type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { boundUdpSocket } from '@bond/io/testing';
import {
  cleanupAfterEach,
  memoryLog,
  metricValue,
  parseMetrics,
  startProcess,
  type TestProcess,
  waitFor,
} from '../../common/test/support/testing.js';
import { freeUdpPort, hasCommand, startReceiver, feedNumberedPayloads } from './helpers.js';
import { createEndpoint, startSenderStandIn, type SenderStandIn } from './sender-stand-in.js';

const SRT_TOOL = 'srt-live-transmit';
const hasSrt = hasCommand(SRT_TOOL);
const PACKETS = 3000;
// 1316: 7 MPEG-TS packets, what SRT senders carry per datagram.
const PAYLOAD = 1316;
// 32 payloads: more than the caller's stdin reader (about 8 payloads) and the listener's stdout
// (4 KiB) hold back at the end of a stream.
const FILLER = 32;

const defer = cleanupAfterEach();

function srtUrl(host: string, port: number, mode: 'caller' | 'listener'): string {
  return `srt://${host}:${port}?mode=${mode}&latency=1000&lossmaxttl=40`;
}

async function startSink(): Promise<{ socket: Socket; counters: number[]; port: number }> {
  const counters: number[] = [];
  const socket = await boundUdpSocket(defer, (message) => counters.push(message.readUInt32BE(0)));
  return { socket, counters, port: socket.address().port };
}

function track(process: TestProcess): TestProcess {
  defer(() => process.stop());
  return process;
}

describe('bond-receiver with real SRT endpoints', () => {
  it.skipIf(!hasSrt)(
    `carries ${PACKETS} packets from an SRT caller to an SRT listener over 3 links, in order (needs ${SRT_TOOL})`,
    async () => {
      const chunks: Buffer[] = [];
      let receivedBytes = 0;
      const listenerPort = await freeUdpPort();
      const listener = track(
        startProcess(
          SRT_TOOL,
          ['-q', srtUrl('127.0.0.1', listenerPort, 'listener'), 'file://con'],
          {
            onStdout: (chunk) => {
              chunks.push(chunk);
              receivedBytes += chunk.length;
            },
          },
        ),
      );
      const log = memoryLog();
      const running = await startReceiver(
        defer,
        {
          srtPort: listenerPort,
          http: { host: '127.0.0.1', port: 0 },
          logLevel: 'info',
        },
        log,
      );
      const sender: SenderStandIn = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
        linkAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === 3, 'three links up');
      await waitFor(() => running.stats().srtListener.answered === true, 'the listener probe');

      const caller = track(
        startProcess(
          SRT_TOOL,
          // One payload per SRT packet, as an encoder sends them.
          [
            '-q',
            `-chunk:${PAYLOAD}`,
            'file://con',
            srtUrl('127.0.0.1', sender.encoderPort, 'caller'),
          ],
          {
            stdin: true,
          },
        ),
      );
      // The SRT handshake went through bond: the listener's replies came back to the group.
      await waitFor(
        () => (running.stats().groups[0]?.packetsFromListener ?? 0) >= 2,
        'the SRT handshake through bond',
      );

      const input = caller.child.stdin;
      if (input === null) throw new Error('no stdin');
      await feedNumberedPayloads(input, PACKETS, PAYLOAD, FILLER);
      await waitFor(
        () => receivedBytes >= PACKETS * PAYLOAD,
        `${PACKETS} payloads out of the SRT listener`,
        15_000,
      ).catch((error: unknown) => {
        const stats = running.stats().groups[0];
        throw new Error(
          `${String(error)}; the listener wrote ${receivedBytes / PAYLOAD} payloads, the sender sent ${sender.sent.data} data packets, the receiver forwarded ${stats?.packetsForwarded ?? 0} (dropped: ${JSON.stringify(running.stats().dropped)})`,
        );
      });
      // The byte stream is the payloads, each once, in order.
      const stream = Buffer.concat(chunks);
      expect(stream.length).toBeGreaterThanOrEqual(PACKETS * PAYLOAD);
      const counters = Array.from({ length: PACKETS }, (_, i) => stream.readUInt32BE(i * PAYLOAD));
      expect(counters).toEqual(Array.from({ length: PACKETS }, (_, i) => i));

      // Stop the caller so nothing more enters the group, then compare the counts.
      await caller.stop();
      await waitFor(
        () => running.stats().groups[0]?.packetsForwarded === sender.sent.srt,
        'the receiver to have forwarded everything the sender sent',
      );
      const group = running.stats().groups[0];
      if (group === undefined) throw new Error('no group');
      expect(group.links).toHaveLength(3);
      const dataPackets = group.links.reduce((sum, link) => sum + link.dataPackets, 0);
      expect(dataPackets).toBe(sender.sent.data);
      expect(dataPackets).toBeGreaterThanOrEqual(PACKETS);
      expect(group.links.filter((link) => link.dataPackets > 0).length).toBeGreaterThanOrEqual(2);
      expect(group.upstream.datagramsSent).toBe(group.packetsForwarded);

      const base = `http://${running.http?.address ?? ''}`;
      const api = (await (await fetch(`${base}/api/v1/stats`)).json()) as {
        groups: {
          id: number;
          packetsForwarded: number;
          links: { address: string; dataPackets: number; score: number; level: string }[];
        }[];
      };
      expect(api.groups[0]?.packetsForwarded).toBe(sender.sent.srt);
      // Clean links carrying data: the evaluator has evidence, and it is good.
      for (const link of api.groups[0]?.links ?? []) {
        expect(link.score).toBeGreaterThan(500);
      }
      const metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
      expect(
        metricValue(metrics, 'bond_receiver_group_forwarded_packets_total', {
          group: String(group.id),
        }),
      ).toBe(sender.sent.srt);
      for (const link of group.links) {
        expect(
          metricValue(metrics, 'bond_receiver_link_data_packets_total', { link: link.address }),
        ).toBe(link.dataPackets);
        expect(metricValue(metrics, 'bond_receiver_link_score', { link: link.address })).toBe(
          link.score,
        );
      }
      expect(log.lines().some((line) => line.msg === 'group created')).toBe(true);
      expect(listener.output()).not.toMatch(/error/i);
    },
    30_000,
  );

  it.skipIf(!hasSrt)(
    `says the SRT server is down, expires a pending group it refuses, and notices it come up (needs ${SRT_TOOL})`,
    async () => {
      const listenerPort = await freeUdpPort();
      const log = memoryLog();
      const running = await startReceiver(
        defer,
        {
          srtHost: 'localhost',
          srtPort: listenerPort,
          probeIntervalMs: 200,
          pendingGroupTimeoutMs: 1000,
        },
        log,
      );
      const messages = () => log.lines().map((line) => String(line.msg));
      await waitFor(
        () => messages().includes('SRT server does not answer'),
        'the probe to report the listener down',
      );
      expect(log.lines().find((line) => line.msg === 'SRT server does not answer')).toMatchObject({
        level: 'warn',
        detail: expect.stringMatching(/refused|no answer/) as unknown,
      });

      // A sender registers and its caller's SRT goes nowhere: the pending group expires after the
      // pending timeout, saying why.
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
        linkAddresses: ['127.0.0.2'],
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === 1, 'the link up');
      const encoder = await boundUdpSocket(defer);
      const handshake = Buffer.alloc(64);
      handshake.writeUInt16BE(0x8000, 0);
      for (let attempt = 0; attempt < 60 && running.stats().groups.length > 0; attempt++) {
        encoder.send(handshake, sender.encoderPort, '127.0.0.1');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await waitFor(() => running.stats().groups.length === 0, 'the refused group to expire');
      expect(log.lines().find((line) => line.msg === 'group removed')).toMatchObject({
        reason:
          "no SRT connection within 1 s: nothing listens at the SRT server's address (refused)",
      });

      const discard = await startSink();
      const listener = track(
        startProcess(SRT_TOOL, [
          '-q',
          srtUrl('127.0.0.1', listenerPort, 'listener'),
          `udp://127.0.0.1:${discard.port}`,
        ]),
      );
      await waitFor(
        () => messages().includes('SRT server answers again'),
        'the probe to see it up',
      );
      expect(running.stats().srtListener.answered).toBe(true);
      expect(listener.child.exitCode).toBeNull();
    },
    20_000,
  );
});
