// The receiver engine reads the SRT listener's handshakes on their way back to the caller: a
// rejection is reported once per group (event, counts), a conclusion marks the stream accepted,
// and a pending group whose caller is not accepted expires after the pending timeout, saying why.
import {
  Address,
  DatagramKind,
  SRT_HANDSHAKE_TYPE,
  classifyDatagram,
  decodeReg2,
  encodeKeepalive,
  encodeReg1,
  encodeReg2,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import { ReceiverEngine, createSeededRandom, type ReceiverEvent } from '../src/index.js';
import { srtData } from '@bond/wire/testing';
import { srtHandshake } from '@bond/wire/testing';

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}

const A = address('127.0.0.2', 5001);
const B = address('127.0.0.3', 5002);

function handshake(handshakeType: number): Uint8Array {
  return srtHandshake({ handshakeType, socketId: 99 });
}

const data = (seq: number): Uint8Array => srtData(seq);

/** A receiver and one group registered from `from` at t=0; events and transmits drained. */
function oneGroup(from: Address, pendingGroupTimeoutMs?: number) {
  const receiver = new ReceiverEngine({
    random: createSeededRandom(3),
    ...(pendingGroupTimeoutMs === undefined ? {} : { pendingGroupTimeoutMs }),
  });
  receiver.handleDatagram(0, from, encodeReg1(new Uint8Array(256).fill(4)));
  const reply = receiver.pollTransmit();
  if (reply === undefined || classifyDatagram(reply.bytes) !== DatagramKind.SrtlaReg2) {
    throw new Error('no REG2');
  }
  receiver.handleDatagram(0, from, encodeReg2(decodeReg2(reply.bytes)));
  // REG1 kept no state: the REG2 created the group, and its REG3 names it.
  const groupId = receiver.pollTransmit()?.groupId ?? -1;
  drainAll(receiver);
  return { receiver, groupId };
}

function drainAll(receiver: ReceiverEngine): ReceiverEvent[] {
  while (receiver.pollTransmit() !== undefined) {
    // transmits are not looked at here
  }
  const events: ReceiverEvent[] = [];
  for (let event = receiver.pollEvent(); event !== undefined; event = receiver.pollEvent()) {
    events.push(event);
  }
  return events;
}

/** Keepalives every second from `from` and housekeeping, from `start` to `end` ms. */
function keepAlive(receiver: ReceiverEngine, from: Address, start: number, end: number) {
  const events: ReceiverEvent[] = [];
  for (let now = start; now <= end; now += 1000) {
    receiver.handleDatagram(now, from, encodeKeepalive({ timestampMs: now }));
    receiver.handleTimeout(now);
    events.push(...drainAll(receiver));
  }
  return events;
}

describe('receiver engine: SRT rejections and pending groups', () => {
  it('reports a rejection once per group and code, forwards it to the caller, and counts it', () => {
    const { receiver, groupId } = oneGroup(A);
    // The caller's induction and conclusion, each answered by the listener; the conclusion with
    // a rejection: passphrase on one side only (1011), twice (the caller retries).
    receiver.handleDatagram(100, A, handshake(SRT_HANDSHAKE_TYPE.INDUCTION));
    receiver.handleUpstreamDatagram(110, groupId, handshake(SRT_HANDSHAKE_TYPE.INDUCTION));
    receiver.handleDatagram(120, A, handshake(SRT_HANDSHAKE_TYPE.CONCLUSION));
    receiver.handleUpstreamDatagram(130, groupId, handshake(1011));
    const toCaller: number[] = [];
    for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
      if (t.address?.equals(A) === true) toCaller.push(t.bytes.length);
    }
    // Both listener handshakes went back to the caller: rejections are forwarded, not eaten.
    expect(toCaller).toEqual([64, 64]);
    // The caller's first handshake made the group active (its upstream socket opens then).
    expect(drainAll(receiver)).toEqual([
      { type: 'group-active', groupId },
      { type: 'srt-rejected', groupId, code: 1011 },
    ]);
    receiver.handleDatagram(400, A, handshake(SRT_HANDSHAKE_TYPE.CONCLUSION));
    receiver.handleUpstreamDatagram(410, groupId, handshake(1011));
    expect(drainAll(receiver)).toEqual([]);
    // Another reason for the same group is a new report.
    receiver.handleUpstreamDatagram(420, groupId, handshake(1010));
    expect(drainAll(receiver)).toEqual([{ type: 'srt-rejected', groupId, code: 1010 }]);

    const stats = receiver.stats(500);
    expect(stats.srtRejections).toEqual([
      { code: 1010, streams: 1 },
      { code: 1011, streams: 1 },
    ]);
    expect(stats.groups[0]).toMatchObject({
      // The first handshake ended "pending" (it carried SRT), though no data came yet.
      state: 'active',
      srtAccepted: false,
      srtRejection: 1010,
      srtRejections: 3,
    });
  });

  it('drops a rejected pending group after the pending timeout although its sender stays, saying why', () => {
    const { receiver, groupId } = oneGroup(A, 3000);
    receiver.handleDatagram(500, A, handshake(SRT_HANDSHAKE_TYPE.CONCLUSION));
    receiver.handleUpstreamDatagram(510, groupId, handshake(1011));
    drainAll(receiver);
    // The sender keeps its link alive (keepalives every second): before the fix, that kept the
    // rejected group pending for ever.
    const early = keepAlive(receiver, A, 1000, 3000);
    expect(early.filter((event) => event.type === 'group-removed')).toEqual([]);
    expect(receiver.size.groups).toBe(1);
    const events = keepAlive(receiver, A, 4000, 5000);
    expect(events).toContainEqual({
      type: 'group-removed',
      groupId,
      reason:
        'the SRT server rejected the stream: passphrase set on one side only (encoder or SRT server) (1011)',
    });
    expect(receiver.size.groups).toBe(0);
  });

  it('drops a pending group whose caller the listener never answers, and keeps an idle sender', () => {
    const { receiver, groupId } = oneGroup(A, 3000);
    receiver.handleDatagram(0, A, handshake(SRT_HANDSHAKE_TYPE.INDUCTION));
    const events = keepAlive(receiver, A, 1000, 4000);
    expect(events).toContainEqual({
      type: 'group-removed',
      groupId,
      reason: 'no SRT connection within 3 s: the SRT server did not accept the stream',
    });
    // A sender with no encoder yet (keepalives only, no SRT) keeps its group.
    const idle = oneGroup(B, 3000);
    keepAlive(idle.receiver, B, 1000, 20_000);
    expect(idle.receiver.size.groups).toBe(1);
    // ... until it goes silent for the pending timeout.
    for (let now = 21_000; now <= 24_000; now += 1000) idle.receiver.handleTimeout(now);
    expect(drainAll(idle.receiver)).toContainEqual({
      type: 'group-removed',
      groupId: idle.groupId,
      reason: 'no data within 3 s (pending group timed out)',
    });
  });

  it('keeps an accepted group, and forgets a rejection once the listener accepts', () => {
    const { receiver, groupId } = oneGroup(A, 3000);
    receiver.handleDatagram(0, A, handshake(SRT_HANDSHAKE_TYPE.CONCLUSION));
    receiver.handleUpstreamDatagram(10, groupId, handshake(1010));
    receiver.handleDatagram(200, A, handshake(SRT_HANDSHAKE_TYPE.CONCLUSION));
    receiver.handleUpstreamDatagram(210, groupId, handshake(SRT_HANDSHAKE_TYPE.CONCLUSION));
    drainAll(receiver);
    expect(receiver.stats(300).groups[0]).toMatchObject({
      srtAccepted: true,
      srtRejection: undefined,
    });
    // Accepted but no data yet: not dropped while the sender is alive.
    keepAlive(receiver, A, 1000, 8000);
    expect(receiver.size.groups).toBe(1);
    receiver.handleDatagram(8100, A, data(1));
    expect(receiver.stats(8100).groups[0]?.state).toBe('active');
    // The same rejection after an acceptance is reported again.
    receiver.handleUpstreamDatagram(8200, groupId, handshake(1010));
    expect(drainAll(receiver)).toContainEqual({ type: 'srt-rejected', groupId, code: 1010 });
  });
});

describe('receiver engine: a refused upstream', () => {
  it('keeps the group, and a pending one expires saying nothing listens there', () => {
    const { receiver, groupId } = oneGroup(A, 3000);
    receiver.handleDatagram(0, A, handshake(SRT_HANDSHAKE_TYPE.INDUCTION));
    receiver.upstreamRefused(5, groupId);
    expect(drainAll(receiver)).toEqual([{ type: 'group-active', groupId }]);
    expect(receiver.size.groups).toBe(1);
    const events = keepAlive(receiver, A, 1000, 4000);
    expect(events).toContainEqual({
      type: 'group-removed',
      groupId,
      reason: "no SRT connection within 3 s: nothing listens at the SRT server's address (refused)",
    });
  });
});
