// bond's receiver engine, fed the sender side of sessions captured between real SRTLA
// implementations, answers with the same kinds of datagrams the real receiver did.
import { Address, hexToBytes, DatagramKind, classifyDatagram } from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { ReceiverEngine, ReceiverTarget, createSeededRandom } from '../src/index.js';
import {
  CAPTURED_SESSION_FILES,
  captureKindOf,
  loadCapturedSession,
} from '../../wire/test/vectors.js';

function parse(endpoint: string) {
  const colon = endpoint.lastIndexOf(':');
  const address = Address.parse(endpoint.slice(0, colon), Number(endpoint.slice(colon + 1)));
  if (address === undefined) throw new Error(`bad endpoint ${endpoint}`);
  return address;
}

for (const file of CAPTURED_SESSION_FILES) {
  const { datagrams } = loadCapturedSession(file);

  describe(`replaying ${file}`, () => {
    // The real receiver's replies on the sender hop, and what it forwarded to the listener.
    const realToSender = datagrams.filter(
      (d) => d.hop === 'sender<->receiver' && d.dir === 'from receiver',
    );
    const realToListener = datagrams.filter(
      (d) => d.hop === 'receiver<->listener' && d.dir === 'to listener',
    );

    const receiver = new ReceiverEngine({ random: createSeededRandom(1) });
    const ours: { kind: string; to: string; group: number }[] = [];
    const ourUpstream: string[] = [];
    let group = -1;
    // The real receiver's group id, which the captured sender then REG2s with: a real sender would
    // have adopted ours instead, so those REG2s carry ours in the replay.
    const realGroupHex = realToSender.find((d) => d.kind === 'srtla-reg2')?.hex;
    let ourReg2: Uint8Array | undefined;
    for (const datagram of datagrams) {
      let bytes = hexToBytes(datagram.hex);
      if (datagram.hop === 'sender<->receiver' && datagram.dir === 'to receiver') {
        if (datagram.hex === realGroupHex && ourReg2 !== undefined) bytes = ourReg2;
        receiver.handleDatagram(datagram.t_ms, parse(datagram.src), bytes);
      } else if (
        datagram.hop === 'receiver<->listener' &&
        datagram.dir === 'from listener' &&
        group >= 0
      ) {
        receiver.handleUpstreamDatagram(datagram.t_ms, group, bytes);
      } else {
        continue;
      }
      for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
        if (t.target === ReceiverTarget.Upstream) {
          group = t.groupId;
          ourUpstream.push(captureKindOf(t.bytes));
        } else {
          if (classifyDatagram(t.bytes) === DatagramKind.SrtlaReg2) ourReg2 = t.bytes.slice();
          ours.push({
            kind: captureKindOf(t.bytes),
            to: `${t.address?.ip}:${t.address?.port}`,
            group: t.groupId,
          });
        }
      }
    }

    it('answers registration with the same replies, in the same order, to the same addresses', () => {
      const registration = (kind: string) => kind.startsWith('srtla-reg');
      const real = realToSender
        .map((d) => ({ kind: captureKindOf(hexToBytes(d.hex)), to: d.dst }))
        .filter((d) => registration(d.kind));
      const mine = ours.filter((d) => registration(d.kind)).map(({ kind, to }) => ({ kind, to }));
      expect(real.map((d) => d.kind)).toEqual([
        'srtla-reg-ngp',
        'srtla-reg-ngp',
        'srtla-reg2',
        'srtla-reg3',
        'srtla-reg3',
      ]);
      expect(mine).toEqual(real);
    });

    it('echoes every keepalive the sender sent, to the link it came from', () => {
      const sent = datagrams.filter(
        (d) =>
          d.hop === 'sender<->receiver' && d.dir === 'to receiver' && d.kind === 'srtla-keepalive',
      );
      const echoes = ours.filter((d) => d.kind === 'srtla-keepalive');
      expect(echoes.map((d) => d.to)).toEqual(sent.map((d) => d.src));
    });

    it('replies with only kinds the real receiver also sent', () => {
      const realKinds = new Set(realToSender.map((d) => captureKindOf(hexToBytes(d.hex))));
      const ourKinds = new Set(ours.map((d) => d.kind));
      for (const kind of ourKinds) expect(realKinds).toContain(kind);
      for (const kind of [
        'srtla-reg3',
        'srtla-ack',
        'srtla-keepalive',
        'srt-ack',
        'srt-handshake',
      ]) {
        expect(ourKinds).toContain(kind);
      }
    });

    it('forwards the same kinds to the SRT listener as the real receiver', () => {
      const realKinds = new Set(realToListener.map((d) => captureKindOf(hexToBytes(d.hex))));
      const ourKinds = new Set(ourUpstream);
      expect([...ourKinds].sort()).toEqual([...realKinds].sort());
      const dataCount = (list: string[]) => list.filter((k) => k === 'srt-data').length;
      const senderData = datagrams.filter(
        (d) => d.hop === 'sender<->receiver' && d.dir === 'to receiver' && d.kind === 'srt-data',
      );
      expect(dataCount(ourUpstream)).toBe(senderData.length);
    });
  });
}
