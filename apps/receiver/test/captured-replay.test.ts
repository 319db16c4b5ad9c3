// Replays the sender side of sessions captured between real SRTLA implementations
// (packages/wire/test/vectors/srtla-session-*.json) at a running bond-receiver over loopback
// sockets bound to the captured sender addresses, with a stand-in SRT listener replaying the
// captured listener's datagrams. Registration, SRTLA ACKs, SRT ACKs and keepalive echoes come back
// as the real receivers' did.
import { hexToBytes, DatagramKind, classifyDatagram, decodeSrtlaAck } from '@bond/wire';
import { createReceiveBatch, dgramBackend, type BatchSocket, type Address } from '@bond/io';
import { describe, expect, it, vi } from 'vitest';
import {
  CAPTURED_SESSION_FILES,
  captureKindOf,
  loadCapturedSession,
} from '../../../packages/wire/test/vectors.js';
import { cleanupAfterEach, waitFor } from '../../common/test/support/testing.js';
import { createEndpoint } from './sender-stand-in.js';
import { startReceiver } from './helpers.js';

// Real processes and sockets on a shared 2-core machine: generous bounds, never timing asserts.
vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

interface Peer {
  socket: BatchSocket;
  received: Uint8Array[];
}

async function openPeer(address: string): Promise<Peer> {
  const received: Uint8Array[] = [];
  const socket = await dgramBackend.open({
    address,
    batch: createReceiveBatch({ maxBatch: 64 }),
    onBatch: (batch, count) => {
      for (let i = 0; i < count; i++) {
        const bytes = batch.datagram(i).slice();
        received.push(bytes);
      }
    },
  });
  defer(() => socket.close());
  return { socket, received };
}

for (const file of CAPTURED_SESSION_FILES) {
  describe(`replaying ${file} at a running bond-receiver`, () => {
    it('answers registration, data and keepalives like the real receiver', async () => {
      const { datagrams } = loadCapturedSession(file);
      const toReceiver = datagrams.filter(
        (d) => d.hop === 'sender<->receiver' && d.dir === 'to receiver',
      );
      const realReplies = datagrams.filter(
        (d) => d.hop === 'sender<->receiver' && d.dir === 'from receiver',
      );
      const fromListener = datagrams.filter(
        (d) => d.hop === 'receiver<->listener' && d.dir === 'from listener',
      );

      const listener = await openPeer('127.0.0.1');
      const running = await startReceiver(defer, {
        srtPort: listener.socket.local.port,
        probeIntervalMs: 60_000,
      });
      const receiver = createEndpoint('127.0.0.1', running.receiver.local.port);

      // One socket per captured sender address, bound to the same IP.
      const peers = new Map<string, Peer>();
      for (const d of toReceiver) {
        if (!peers.has(d.src))
          peers.set(d.src, await openPeer(d.src.slice(0, d.src.lastIndexOf(':'))));
      }
      const peer = (src: string): Peer => {
        const found = peers.get(src);
        if (found === undefined) throw new Error(`no socket for ${src}`);
        return found;
      };
      const replies = () => [...peers.values()].reduce((sum, p) => sum + p.received.length, 0);

      const realGroupHex = realReplies.find((d) => d.kind === 'srtla-reg2')?.hex;
      let ourReg2: Uint8Array | undefined;
      let listenerIndex = 0;
      // The group's upstream socket, once it is open (the start-up probe uses another socket).
      let groupSocket: Address | undefined;
      const replayListenerUpTo = (count: number) => {
        const local = running.stats().groups[0]?.upstream.local;
        if (groupSocket === undefined && local !== undefined) {
          groupSocket = createEndpoint(
            '127.0.0.1',
            Number(local.slice(local.lastIndexOf(':') + 1)),
          );
        }
        for (; listenerIndex < count && groupSocket !== undefined; listenerIndex++) {
          listener.socket.send(hexToBytes(fromListener[listenerIndex]?.hex ?? ''), groupSocket);
        }
      };
      for (const [index, d] of toReceiver.entries()) {
        let bytes = hexToBytes(d.hex);
        if (d.hex === realGroupHex && ourReg2 !== undefined) bytes = ourReg2;
        const before = replies();
        peer(d.src).socket.send(bytes, receiver);
        if (d.kind === 'srtla-reg1' || d.kind === 'srtla-reg2') {
          // Registration is a conversation: wait for each answer, as the real sender did.
          await waitFor(() => replies() > before, `an answer to ${d.kind} #${index}`);
          if (d.kind === 'srtla-reg1') {
            const reply = peer(d.src).received.find(
              (r) => classifyDatagram(r) === DatagramKind.SrtlaReg2,
            );
            ourReg2 = reply;
          }
        } else if (index % 8 === 0) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        // The listener's replies follow the data, spread over the session.
        replayListenerUpTo(Math.floor(((index + 1) * fromListener.length) / toReceiver.length));
      }
      replayListenerUpTo(fromListener.length);

      const sentData = (src: string) =>
        toReceiver.filter((d) => d.src === src && d.kind === 'srt-data').length;
      const ourKinds = (src: string) => peer(src).received.map(captureKindOf);
      await waitFor(
        () =>
          [...peers.keys()].every(
            (src) =>
              ourKinds(src).filter((k) => k === 'srtla-ack').length ===
                Math.floor(sentData(src) / 10) &&
              ourKinds(src).filter((k) => k === 'srtla-keepalive').length ===
                toReceiver.filter((d) => d.src === src && d.kind === 'srtla-keepalive').length,
          ),
        'SRTLA ACKs for every 10 data packets and keepalive echoes per link',
      );

      // Registration: the same replies to the same links, in the same order.
      const registration = (kind: string) => kind.startsWith('srtla-reg');
      const realRegistration = realReplies
        .map((d) => ({ to: d.dst, kind: captureKindOf(hexToBytes(d.hex)) }))
        .filter((d) => registration(d.kind));
      expect(realRegistration.map((d) => d.kind)).toEqual([
        'srtla-reg-ngp',
        'srtla-reg-ngp',
        'srtla-reg2',
        'srtla-reg3',
        'srtla-reg3',
      ]);
      for (const src of peers.keys()) {
        expect(ourKinds(src).filter(registration)).toEqual(
          realRegistration.filter((d) => d.to === src).map((d) => d.kind),
        );
      }

      for (const src of peers.keys()) {
        // SRTLA ACKs: the same sequence numbers the real receiver acknowledged first on this link.
        const ours = peer(src).received.filter(
          (r) => classifyDatagram(r) === DatagramKind.SrtlaAck,
        );
        const real = realReplies
          .filter((d) => d.dst === src && d.kind === 'srtla-ack')
          .map((d) => hexToBytes(d.hex));
        expect(ours.length).toBeGreaterThan(0);
        expect(ours.map(decodeSrtlaAck)).toEqual(real.slice(0, ours.length).map(decodeSrtlaAck));
        // Keepalives: one echo per keepalive, on the link it came from.
        const keepalives = toReceiver.filter(
          (d) => d.src === src && d.kind === 'srtla-keepalive',
        ).length;
        expect(ourKinds(src).filter((k) => k === 'srtla-keepalive')).toHaveLength(keepalives);
      }

      // SRT ACKs from the listener go to every link (the real receiver did the same).
      const listenerAcks = fromListener.filter(
        (d) => captureKindOf(hexToBytes(d.hex)) === 'srt-ack',
      ).length;
      await waitFor(
        () =>
          [...peers.keys()].every(
            (src) => ourKinds(src).filter((k) => k === 'srt-ack').length === listenerAcks,
          ),
        'each SRT ACK on every link',
      );
      const realAckLinks = new Set(
        realReplies.filter((d) => captureKindOf(hexToBytes(d.hex)) === 'srt-ack').map((d) => d.dst),
      );
      expect([...realAckLinks].sort()).toEqual([...peers.keys()].sort());

      // What reached the SRT listener: every data packet the sender sent (the reorder engine,
      // on by default, releases them once no earlier one can still arrive).
      const dataSent = toReceiver.filter((d) => d.kind === 'srt-data').length;
      const forwardedData = (): number =>
        listener.received.filter((r) => classifyDatagram(r) === DatagramKind.SrtData).length;
      await waitFor(() => forwardedData() >= dataSent, 'every data packet at the listener');
      expect(forwardedData()).toBe(dataSent);
    });
  });
}
