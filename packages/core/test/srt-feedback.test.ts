// What the receiver reads from the SRT listener's control packets on their way back to the sender:
// ACK fields, NAK loss lists (losses counted once, drops estimated), the handshake response's
// latency; hand-built packets, malformed ones included.
import {
  Address,
  DatagramKind,
  SEQ_MAX,
  SRT_CONTROL,
  classifyDatagram,
  decodeReg2,
  encodeReg1,
  encodeReg2,
  encodeSrtAck,
  encodeSrtControl,
  encodeSrtNak,
  type SrtAck,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  FEEDBACK_OUTSTANDING_LIMIT,
  ReceiverEngine,
  ReceiverTarget,
  SrtFeedback,
  createSeededRandom,
} from '../src/index.js';
import { HSRSP, LIVE_FLAGS, SRT_VERSION, handshake } from './srt-handshakes.js';
import { srtData } from '@bond/wire/testing';

const FULL_ACK: SrtAck = {
  ackNumber: 7,
  timestamp: 1000,
  destinationSocketId: 42,
  ackSeq: 500,
  rttUs: 48_250,
  rttVarianceUs: 3_100,
  availableBufferPackets: 8_000,
  packetsReceivingRate: 950,
  linkCapacityPacketsPerSec: 12_000,
  receivingRateBytesPerSec: 1_250_000,
};

function nak(...ranges: [number, number][]): Uint8Array {
  return encodeSrtNak({
    typeSpecific: 0,
    timestamp: 0,
    destinationSocketId: 42,
    ranges: ranges.map(([first, last]) => ({ first, last })),
  });
}

function ack(ackSeq: number, fields: Partial<SrtAck> = {}): Uint8Array {
  return encodeSrtAck({ ackNumber: 1, timestamp: 0, destinationSocketId: 42, ackSeq, ...fields });
}

const FLAGS = LIVE_FLAGS;

describe('SRT feedback from the listener', () => {
  it('reads every field of a full ACK', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(10, SRT_CONTROL.ACK, encodeSrtAck(FULL_ACK));
    expect(feedback.stats(25)).toMatchObject({
      fullAcks: 1,
      lightAcks: 0,
      malformed: 0,
      lastRttAgoMs: 15,
      rttUs: 48_250,
      rttVarianceUs: 3_100,
      availableBufferPackets: 8_000,
      packetsReceivingRate: 950,
      linkCapacityPacketsPerSec: 12_000,
      receivingRateBytesPerSec: 1_250_000,
    });
  });

  it('keeps the last full ACK through light and small ACKs, and takes a small ACK’s RTT', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.ACK, encodeSrtAck(FULL_ACK));
    feedback.fromListener(5, SRT_CONTROL.ACK, ack(510));
    expect(feedback.stats(5)).toMatchObject({ lightAcks: 1, rttUs: 48_250, lastRttAgoMs: 5 });
    feedback.fromListener(
      8,
      SRT_CONTROL.ACK,
      ack(520, { rttUs: 60_000, rttVarianceUs: 1, availableBufferPackets: 7000 }),
    );
    expect(feedback.stats(8)).toMatchObject({
      fullAcks: 1,
      lightAcks: 2,
      rttUs: 60_000,
      availableBufferPackets: 7000,
      receivingRateBytesPerSec: 1_250_000,
      lastRttAgoMs: 0,
    });
  });

  it('has no RTT or rates before an ACK carries them', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.ACK, ack(1));
    expect(feedback.stats(0)).toMatchObject({
      lightAcks: 1,
      rttUs: undefined,
      receivingRateBytesPerSec: undefined,
      lastRttAgoMs: undefined,
    });
  });

  it('counts each lost sequence number once across repeated and overlapping loss lists', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.NAK, nak([10, 10], [20, 24]));
    expect(feedback.lostPackets).toBe(6);
    // The periodic NAK repeats the list and adds 25..26 and 30.
    feedback.fromListener(1, SRT_CONTROL.NAK, nak([10, 10], [20, 26], [30, 30]));
    expect(feedback.stats(1)).toMatchObject({ naks: 2, lostPackets: 9 });
  });

  it('counts loss ranges across the sequence wrap', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.NAK, nak([SEQ_MAX - 1, 2]));
    expect(feedback.lostPackets).toBe(5);
    feedback.fromListener(1, SRT_CONTROL.NAK, nak([SEQ_MAX, 4]));
    expect(feedback.lostPackets).toBe(7);
  });

  it('counts lost packets the ACK passed without a retransmission as dropped', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.NAK, nak([100, 104]));
    // 101 and 103 were retransmitted and went to the listener.
    feedback.forwarded(101);
    feedback.forwarded(103);
    // The ACK at 103 passes 100..102: 100 and 102 were given up.
    feedback.fromListener(1, SRT_CONTROL.ACK, ack(103));
    expect(feedback.droppedPackets).toBe(2);
    feedback.fromListener(2, SRT_CONTROL.ACK, ack(110));
    expect(feedback.stats(2)).toMatchObject({ lostPackets: 5, droppedPackets: 3 });
  });

  it('follows at most FEEDBACK_OUTSTANDING_LIMIT lost packets for the drop estimate', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.NAK, nak([0, 999_999]));
    expect(feedback.lostPackets).toBe(1_000_000);
    feedback.fromListener(1, SRT_CONTROL.ACK, ack(2_000_000));
    expect(feedback.droppedPackets).toBe(FEEDBACK_OUTSTANDING_LIMIT);
  });

  it('reads the listener’s receive latency from its handshake response, past other blocks', () => {
    const feedback = new SrtFeedback();
    // A stream id block (type 5) first, then HSRSP: receiver delay 1500 ms, sender delay 120 ms.
    feedback.fromListener(
      0,
      SRT_CONTROL.HANDSHAKE,
      handshake([
        [5, 0x6c697665],
        [HSRSP, SRT_VERSION, FLAGS, (1500 << 16) | 120],
      ]),
    );
    expect(feedback.stats(0)).toMatchObject({ latencyMs: 1500, malformed: 0 });
  });

  it('starts loss counting afresh with a new connection’s handshake response', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.NAK, nak([1_000_000, 1_000_009]));
    feedback.fromListener(
      1,
      SRT_CONTROL.HANDSHAKE,
      handshake([[HSRSP, SRT_VERSION, FLAGS, 200 << 16]]),
    );
    // The new connection's sequence numbers are below the old ones.
    feedback.fromListener(2, SRT_CONTROL.NAK, nak([50, 51]));
    expect(feedback.stats(2)).toMatchObject({ lostPackets: 12, latencyMs: 200 });
  });

  it('counts malformed packets and keeps what it had', () => {
    const feedback = new SrtFeedback();
    feedback.fromListener(0, SRT_CONTROL.ACK, encodeSrtAck(FULL_ACK));
    feedback.fromListener(0, SRT_CONTROL.NAK, nak([10, 12]));
    const before = feedback.stats(0);
    const bad: Uint8Array[] = [];
    // An ACK cut inside its header, and one cut before its sequence number.
    bad.push(encodeSrtAck(FULL_ACK).subarray(0, 12), encodeSrtAck(FULL_ACK).subarray(0, 18));
    // A NAK whose range start has no end.
    const open = nak([20, 30]);
    bad.push(open.subarray(0, open.length - 4));
    // A NAK whose list is not whole words.
    bad.push(Uint8Array.from([...nak([40, 40]), 0]));
    // A NAK whose range runs backwards, and one whose range end has the range flag.
    const backwards = nak([50, 60]);
    new DataView(backwards.buffer).setUint32(20, 40);
    bad.push(backwards);
    const flagged = nak([50, 60]);
    new DataView(flagged.buffer).setUint32(20, 0x80000000 | 60);
    bad.push(flagged);
    for (const bytes of bad) {
      const type = bytes.length >= 2 ? ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0) : 0;
      feedback.fromListener(1, type, bytes);
    }
    // A handshake whose extension block claims more words than there are.
    const overrun = handshake([[HSRSP, SRT_VERSION, FLAGS, 300 << 16]]);
    new DataView(overrun.buffer).setUint16(66, 9);
    feedback.fromListener(1, SRT_CONTROL.HANDSHAKE, overrun);
    // A handshake cut in its fixed part.
    feedback.fromListener(1, SRT_CONTROL.HANDSHAKE, overrun.subarray(0, 40));
    const after = feedback.stats(1);
    expect(after.malformed).toBe(bad.length + 1);
    expect({ ...after, malformed: 0, lastRttAgoMs: 0 }).toEqual({
      ...before,
      malformed: 0,
      lastRttAgoMs: 0,
    });
  });

  it('never throws on arbitrary bytes labelled as ACK, NAK or handshake', () => {
    const feedback = new SrtFeedback();
    const random = createSeededRandom(11);
    for (let round = 0; round < 2000; round++) {
      const bytes = new Uint8Array(Math.floor(random.nextFloat() * 120));
      random.fillBytes(bytes);
      const type = [SRT_CONTROL.ACK, SRT_CONTROL.NAK, SRT_CONTROL.HANDSHAKE][round % 3] ?? 0;
      expect(() => {
        feedback.fromListener(round, type, bytes);
      }).not.toThrow();
    }
    expect(feedback.malformed).toBeGreaterThan(0);
  });
});

describe('the receiver engine and the listener’s feedback', () => {
  const address = (ip: string, port: number): Address => {
    const parsed = Address.parse(ip, port);
    if (parsed === undefined) throw new Error(`bad address ${ip}`);
    return parsed;
  };
  const A = address('127.0.0.2', 5001);
  const B = address('127.0.0.3', 5002);

  function setup() {
    const receiver = new ReceiverEngine({ random: createSeededRandom(5) });
    receiver.handleDatagram(0, A, encodeReg1(new Uint8Array(256).fill(7)));
    const reply = receiver.pollTransmit();
    if (reply === undefined) throw new Error('no REG2');
    const groupId = decodeReg2(reply.bytes.slice());
    receiver.handleDatagram(0, A, encodeReg2(groupId));
    // REG1 kept no state: the first REG2 created the group, and its REG3 names it.
    const groupHandle = receiver.pollTransmit()?.groupId ?? -1;
    receiver.handleDatagram(0, B, encodeReg2(groupId));
    while (receiver.pollTransmit() !== undefined);
    return { receiver, groupHandle };
  }

  const data = (seq: number): Uint8Array => srtData(seq, { payloadBytes: 1316 });

  it('reads the listener’s ACK and NAK, still sends them on every link, and rates what it forwards', () => {
    const { receiver, groupHandle } = setup();
    for (let seq = 0; seq < 100; seq++)
      receiver.handleDatagram(10 * seq, seq % 2 ? A : B, data(seq));
    while (receiver.pollTransmit() !== undefined);
    receiver.handleUpstreamDatagram(995, groupHandle, nak([100, 101]));
    receiver.handleUpstreamDatagram(996, groupHandle, encodeSrtAck(FULL_ACK));
    const sent: [number, DatagramKind][] = [];
    for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
      sent.push([t.target, classifyDatagram(t.bytes)]);
    }
    expect(sent).toEqual([
      [ReceiverTarget.Link, DatagramKind.SrtControl],
      [ReceiverTarget.Link, DatagramKind.SrtControl],
      [ReceiverTarget.Link, DatagramKind.SrtControl],
      [ReceiverTarget.Link, DatagramKind.SrtControl],
    ]);
    receiver.handleTimeout(1000);
    const group = receiver.stats(1000).groups[0];
    expect(group?.listenerFeedback).toMatchObject({
      fullAcks: 1,
      naks: 1,
      lostPackets: 2,
      rttUs: 48_250,
      receivingRateBytesPerSec: 1_250_000,
    });
    // 100 packets of 1332 bytes in the first second.
    expect(group?.forwardRateBytesPerSec).toBeCloseTo(133_200, 6);
    expect(group?.lastDataAgoMs).toBe(10);
    expect(group?.senderShutdownAgoMs).toBeUndefined();
  });

  it('says when the sender’s SRT caller shut the stream down, until data flows again', () => {
    const { receiver } = setup();
    receiver.handleDatagram(1, A, data(0));
    receiver.handleDatagram(
      2,
      A,
      encodeSrtControl({
        controlType: SRT_CONTROL.SHUTDOWN,
        subtype: 0,
        typeSpecific: 0,
        timestamp: 0,
        destinationSocketId: 1,
        body: new Uint8Array(4),
      }),
    );
    expect(receiver.stats(5).groups[0]?.senderShutdownAgoMs).toBe(3);
    receiver.handleDatagram(6, B, data(1));
    expect(receiver.stats(7).groups[0]?.senderShutdownAgoMs).toBeUndefined();
  });
});
