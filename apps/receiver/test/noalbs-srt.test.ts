// The stats NOALBS reads, from a real SRT stream: srt-live-transmit (caller) -> bond's sender
// engine over 2 loopback links -> bond-receiver (run(), real sockets, --http) ->
// srt-live-transmit (listener). Both forms are checked field by field while the stream is live,
// for an unknown stream, and once the caller has hung up (the group still exists then).
import { describe, expect, it } from 'vitest';
import {
  cleanupAfterEach,
  startProcess,
  type TestProcess,
  waitFor,
} from '../../common/test/support/testing.js';
import { freeUdpPort, hasCommand, startReceiver } from './helpers.js';
import {
  expectOpenIrlOffline,
  expectOpenIrlPublisher,
  expectSlsOffline,
  expectSlsPublisher,
} from './noalbs-forms.js';
import { createEndpoint, startSenderStandIn } from './sender-stand-in.js';

const SRT_TOOL = 'srt-live-transmit';
const hasSrt = hasCommand(SRT_TOOL);
const PAYLOAD = 1316;
// The listener receives with 1200 ms and asks nothing of the other direction; the caller offers
// 800 ms both ways. The listener's handshake response then says 1200 (its receive latency) in
// the high half-word and 800 in the low one: the latency reported must be 1200.
const LISTENER_LATENCY_MS = 1200;
const CALLER_LATENCY_MS = 800;

const defer = cleanupAfterEach();

function track(process: TestProcess): TestProcess {
  defer(() => process.stop());
  return process;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('NOALBS stats from a real SRT stream', () => {
  it.skipIf(!hasSrt)(
    `serves the OpenIRL and SLS forms live, for an unknown stream and after the stream ended (needs ${SRT_TOOL})`,
    async () => {
      const listenerPort = await freeUdpPort();
      track(
        startProcess(SRT_TOOL, [
          '-q',
          `srt://127.0.0.1:${listenerPort}?mode=listener&rcvlatency=${LISTENER_LATENCY_MS}&peerlatency=0`,
          'file://con',
        ]),
      );
      const running = await startReceiver(defer, {
        srtPort: listenerPort,
        http: { host: '127.0.0.1', port: 0 },
        logLevel: 'info',
      });
      const base = `http://${running.http?.address ?? ''}`;
      const sender = await startSenderStandIn({
        receiver: createEndpoint('127.0.0.1', running.receiver.local.port),
        linkAddresses: ['127.0.0.2', '127.0.0.3'],
        // One packet in 50 lost on its first way: the listener NAKs it, SRT retransmits it.
        dropFirstCopy: (seq) => seq % 50 === 7,
      });
      defer(() => sender.close());
      await waitFor(() => sender.linksUp() === 2, 'two links up');
      await waitFor(() => running.stats().srtListener.answered === true, 'the listener probe');

      const caller = track(
        startProcess(
          SRT_TOOL,
          [
            '-q',
            `-chunk:${PAYLOAD}`,
            'file://con',
            `srt://127.0.0.1:${sender.encoderPort}?mode=caller&latency=${CALLER_LATENCY_MS}`,
          ],
          { stdin: true },
        ),
      );
      const input = caller.child.stdin;
      if (input === null) throw new Error('no stdin');
      // About 500 packets/s (5.3 Mbit/s) until the checks are done; bounded by `feed.on`.
      const feed = { on: true };
      const feeder = (async () => {
        for (let round = 0; feed.on && round < 3000; round++) {
          for (let burst = 0; burst < 5; burst++) input.write(Buffer.alloc(PAYLOAD, round & 0xff));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      defer(async () => {
        feed.on = false;
        await feeder;
      });

      const group = () => running.stats().groups[0];
      // Live: data flows, a rate was sampled, the listener's handshake response and ACKs passed.
      await waitFor(
        () => {
          const current = group();
          return (
            current !== undefined &&
            current.bitrateBitsPerSecond > 0 &&
            current.listenerFeedback.rttMs !== null &&
            current.listenerFeedback.arrivalSpeedBitsPerSecond !== null &&
            current.links.every((link) => link.bitrateBitsPerSecond > 0)
          );
        },
        'the stream live, with the listener’s ACKs',
        10_000,
      );
      // The listener reported losses in its NAKs.
      await waitFor(
        () => (group()?.listenerFeedback.lostPackets ?? 0) > 0,
        'the listener’s NAKs of the dropped packets',
      );
      const { id, tag } = group() ?? { id: -1, tag: '' };

      const openIrl = await getJson(`${base}/stats/${tag}`);
      expect(openIrl.status).toBe(200);
      const publisher = expectOpenIrlPublisher(openIrl.body);
      expect(publisher.bitrate as number).toBeGreaterThan(0);
      expect(publisher.latency).toBe(LISTENER_LATENCY_MS);
      expect(publisher.buffer).toBe(LISTENER_LATENCY_MS);
      expect(publisher.rtt as number).toBeGreaterThan(0);
      expect(publisher.uptime as number).toBeGreaterThanOrEqual(0);
      // One peer per link, each with its bitrate and an RTT.
      expect(publisher.peers).toHaveLength(2);
      for (const peer of publisher.peers as { bitrate: number; rtt: number }[]) {
        expect(peer.bitrate).toBeGreaterThan(0);
        expect(peer.rtt).toBeGreaterThan(0);
      }
      // The numeric id names the same group.
      expectOpenIrlPublisher((await getJson(`${base}/stats/${id}`)).body);

      for (const url of [`${base}/stats?publisher=${tag}`, `${base}/stats/${tag}?legacy=1`]) {
        const sls = await getJson(url);
        expect(sls.status, url).toBe(200);
        const entry = expectSlsPublisher(sls.body, tag);
        expect(entry.bitrate as number, url).toBeGreaterThan(0);
        // The forwarded rate, and from the listener's full ACKs its RTT and capacity estimate.
        expect(entry.mbpsRecvRate as number, url).toBeGreaterThan(0);
        expect(entry.rtt as number, url).toBeGreaterThan(0);
        expect(entry.mbpsBandwidth as number, url).toBeGreaterThan(0);
        expect(entry.msRcvBuf, url).toBe(LISTENER_LATENCY_MS);
        // Losses: reported by the listener, each at most once, never more than were dropped.
        expect(entry.pktRcvLoss as number, url).toBeGreaterThan(0);
        expect(entry.pktRcvLoss as number, url).toBeLessThanOrEqual(sender.dropped());
        expect(entry.bytesRcvLoss as number, url).toBeGreaterThan(0);
        // Every retransmission arrived in time (1.2 s latency on loopback): nothing counted dropped.
        expect(entry.pktRcvDrop, url).toBe(0);
        expect(entry.dropped_pkts, url).toBe(0);
      }
      // The plain listing, as NOALBS's SLS and BELABOX types fetch it.
      expectSlsPublisher((await getJson(`${base}/stats`)).body, tag);
      // The stats API carries the same figures.
      const api = (await getJson(`${base}/api/v1/stats`)).body as {
        groups: { bitrateBitsPerSecond: number; listenerFeedback: { latencyMs: number } }[];
      };
      expect(api.groups[0]?.listenerFeedback.latencyMs).toBe(LISTENER_LATENCY_MS);
      expect(api.groups[0]?.bitrateBitsPerSecond).toBeGreaterThan(0);

      // An unknown stream.
      const unknown = await getJson(`${base}/stats/live/nobody`);
      expect(unknown.status).toBe(200);
      expectOpenIrlOffline(unknown.body);
      expectSlsOffline((await getJson(`${base}/stats?publisher=live/nobody`)).body, 'live/nobody');

      // The stream ends: the caller hangs up (its SRT shutdown passes through bond). The group
      // stays until it times out, but it is no publisher any more.
      feed.on = false;
      await feeder;
      await caller.stop();
      await waitFor(
        async () => !('publisher' in ((await getJson(`${base}/stats/${tag}`)).body as object)),
        'the ended stream to be no publisher',
        10_000,
      );
      expect(group()?.tag).toBe(tag);
      const ended = await getJson(`${base}/stats/${tag}`);
      expect(ended.status).toBe(200);
      expectOpenIrlOffline(ended.body);
      for (const url of [
        `${base}/stats?publisher=${tag}`,
        `${base}/stats/${tag}?legacy=1`,
        `${base}/stats`,
      ]) {
        const sls = await getJson(url);
        expect(sls.status, url).toBe(200);
        expectSlsOffline(sls.body, tag);
      }
    },
    40_000,
  );
});
