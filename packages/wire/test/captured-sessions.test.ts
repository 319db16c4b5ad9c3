// Every datagram captured between real SRTLA implementations (BELABOX srtla_send, BELABOX and
// irlserver srtla_rec, srt-live-transmit) classifies as the capture labelled it, decodes with the
// matching codec, and re-encodes byte for byte.
import { describe, expect, it } from 'vitest';
import {
  DATAGRAM_KIND_NAMES,
  DatagramKind,
  SRTLA_ID_HALF_LENGTH,
  SRT_CONTROL,
  classifyDatagram,
  decodeReg1,
  decodeReg2,
  decodeSrtAck,
  decodeSrtControl,
  decodeSrtDataHeader,
  decodeSrtHandshake,
  decodeSrtShutdown,
  decodeSrtla,
  encodeSrtAck,
  encodeSrtControl,
  encodeSrtData,
  encodeSrtHandshake,
  encodeSrtShutdown,
  encodeSrtla,
  groupIdMatchesSender,
  peekSrtControlType,
  peekSrtDataSeq,
} from '../src/index.js';
import { CAPTURED_SESSION_FILES, fromHex, loadCapturedSession, toHex } from './vectors.js';

/** Capture labels of SRT control packets and the control type each must carry. */
const SRT_CONTROL_KINDS: Readonly<Record<string, number>> = {
  'srt-handshake': SRT_CONTROL.HANDSHAKE,
  'srt-keepalive': SRT_CONTROL.KEEPALIVE,
  'srt-ack': SRT_CONTROL.ACK,
  'srt-ackack': SRT_CONTROL.ACKACK,
  'srt-shutdown': SRT_CONTROL.SHUTDOWN,
};

/** Capture labels of SRTLA packets and the kind each must classify as. */
const SRTLA_KINDS: Readonly<Record<string, DatagramKind>> = {
  'srtla-keepalive': DatagramKind.SrtlaKeepalive,
  'srtla-ack': DatagramKind.SrtlaAck,
  'srtla-reg1': DatagramKind.SrtlaReg1,
  'srtla-reg2': DatagramKind.SrtlaReg2,
  'srtla-reg3': DatagramKind.SrtlaReg3,
  'srtla-reg-ngp': DatagramKind.SrtlaRegNgp,
  'srtla-reg-err': DatagramKind.SrtlaRegErr,
};

for (const file of CAPTURED_SESSION_FILES) {
  const session = loadCapturedSession(file);

  describe(session.title, () => {
    it('holds a whole session: registration, data, acks, keepalives, shutdown', () => {
      const kinds = new Set(session.datagrams.map((d) => d.kind));
      for (const kind of ['srtla-reg1', 'srtla-reg2', 'srtla-reg3', 'srtla-ack', 'srt-data']) {
        expect(kinds).toContain(kind);
      }
      expect(session.datagrams.length).toBeGreaterThan(400);
    });

    it('classifies every datagram as the capture labels it', () => {
      for (const datagram of session.datagrams) {
        const bytes = fromHex(datagram.hex);
        expect(bytes.length, datagram.kind).toBe(datagram.len);
        const kind = classifyDatagram(bytes);
        const label = `${datagram.kind} ${datagram.dir} @${datagram.t_ms}ms`;
        if (datagram.kind === 'srt-data') {
          expect(DATAGRAM_KIND_NAMES[kind], label).toBe('srt-data');
        } else if (datagram.kind in SRT_CONTROL_KINDS) {
          expect(kind, label).toBe(DatagramKind.SrtControl);
          expect(peekSrtControlType(bytes), label).toBe(SRT_CONTROL_KINDS[datagram.kind]);
        } else {
          expect(SRTLA_KINDS[datagram.kind], `unexpected label ${datagram.kind}`).toBeDefined();
          expect(kind, label).toBe(SRTLA_KINDS[datagram.kind]);
        }
      }
    });

    it('re-encodes every SRTLA datagram byte for byte, padding included', () => {
      const srtla = session.datagrams.filter((d) => d.kind.startsWith('srtla-'));
      expect(srtla.length).toBeGreaterThan(40);
      for (const datagram of srtla) {
        const bytes = fromHex(datagram.hex);
        const packet = decodeSrtla(bytes);
        const again = encodeSrtla(packet, { padTo: bytes.length });
        expect(toHex(again), `${datagram.kind} ${datagram.dir}`).toBe(datagram.hex);
      }
    });

    it('decodes padded replies exactly like unpadded ones', () => {
      for (const datagram of session.datagrams) {
        if (!/^srtla-(reg3|reg-ngp|reg-err)$/.test(datagram.kind)) continue;
        const bytes = fromHex(datagram.hex);
        expect(decodeSrtla(bytes)).toEqual(decodeSrtla(bytes.subarray(0, 2)));
      }
    });

    it('re-encodes SRT data and control packets byte for byte', () => {
      for (const datagram of session.datagrams) {
        const bytes = fromHex(datagram.hex);
        if (datagram.kind === 'srt-data') {
          const header = decodeSrtDataHeader(bytes);
          expect(header.seq).toBe(peekSrtDataSeq(bytes));
          expect(toHex(encodeSrtData(header, bytes.subarray(16)))).toBe(datagram.hex);
        } else if (datagram.kind in SRT_CONTROL_KINDS) {
          expect(toHex(encodeSrtControl(decodeSrtControl(bytes)))).toBe(datagram.hex);
        }
        if (datagram.kind === 'srt-ack') {
          const ack = decodeSrtAck(bytes);
          expect(ack.receivingRateBytesPerSec, 'a 44-byte ACK is a full ACK').toBeDefined();
          expect(toHex(encodeSrtAck(ack))).toBe(datagram.hex);
        }
        if (datagram.kind === 'srt-handshake') {
          const handshake = decodeSrtHandshake(bytes);
          expect(handshake.version === 4 || handshake.version === 5).toBe(true);
          expect(toHex(encodeSrtHandshake(handshake))).toBe(datagram.hex);
        }
        if (datagram.kind === 'srt-shutdown') {
          expect(toHex(encodeSrtShutdown(decodeSrtShutdown(bytes)))).toBe(datagram.hex);
        }
      }
    });

    it("answers REG1 with a group id that starts with the sender's first 128 bytes", () => {
      const reg1 = session.datagrams.find((d) => d.kind === 'srtla-reg1');
      const reply = session.datagrams.find(
        (d) => d.kind === 'srtla-reg2' && d.dir === 'from receiver',
      );
      if (reg1 === undefined || reply === undefined) throw new Error('capture lacks REG1/REG2');
      const senderId = decodeReg1(fromHex(reg1.hex));
      const groupId = decodeReg2(fromHex(reply.hex));
      expect(groupIdMatchesSender(groupId, senderId)).toBe(true);
      expect(toHex(groupId.subarray(SRTLA_ID_HALF_LENGTH))).not.toBe(
        toHex(senderId.subarray(SRTLA_ID_HALF_LENGTH)),
      );
    });

    it('has SRTLA ACKs that carry 10 data sequence numbers each', () => {
      for (const datagram of session.datagrams.filter((d) => d.kind === 'srtla-ack')) {
        const packet = decodeSrtla(fromHex(datagram.hex));
        expect(packet.type).toBe('ack');
        if (packet.type === 'ack') expect(packet.seqs).toHaveLength(10);
      }
    });
  });
}
