// The receiver engine driven directly: what it answers, forwards and refuses (protocol.md 4.2, 5, 6.4, 6.5).
import {
  Address,
  addressKey,
  SRT_CONTROL,
  classifyDatagram,
  DatagramKind,
  decodeKeepalive,
  decodeReg2,
  decodeSrtlaAck,
  CONNECTION_INFO_LIMITS,
  encodeKeepalive,
  encodeReg1,
  encodeReg2,
  encodeSrtAck,
  encodeSrtControl,
  encodeSrtNak,
  peekSrtDataSeq,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  ReceiverEngine,
  ReceiverTarget,
  createPassThroughForwardPath,
  createReorderForwardPath,
  createSeededRandom,
  type ReceiverEngine as Receiver,
  type ReceiverOptions,
} from '../src/index.js';
import { srtData } from '@bond/wire/testing';

interface Sent {
  target: number;
  address: string | undefined;
  groupId: number;
  kind: DatagramKind;
  bytes: Uint8Array;
}

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}

function drain(receiver: Receiver): Sent[] {
  const out: Sent[] = [];
  for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
    out.push({
      target: t.target,
      address: t.address === undefined ? undefined : `${t.address.ip}:${t.address.port}`,
      groupId: t.groupId,
      kind: classifyDatagram(t.bytes),
      bytes: t.bytes.slice(),
    });
  }
  return out;
}

const data = (seq: number, timestampUs = 0, retransmitted = false): Uint8Array =>
  srtData(seq, { payloadBytes: 1316, timestamp: timestampUs, retransmitted });

/**
 * Registers `from` on its own: REG1, then the REG2 that brings the answered id back (which
 * creates the group). Returns the id and the group handle, or the refusal's kind.
 */
function registerOne(receiver: Receiver, now: number, from: Address, fill: number) {
  receiver.handleDatagram(now, from, encodeReg1(new Uint8Array(256).fill(fill)));
  const reply = drain(receiver)[0];
  if (reply?.kind !== DatagramKind.SrtlaReg2) return { refused: reply?.kind };
  const groupId = decodeReg2(reply.bytes);
  receiver.handleDatagram(now, from, encodeReg2(groupId));
  const answer = drain(receiver)[0];
  if (answer?.kind !== DatagramKind.SrtlaReg3) return { refused: answer?.kind, groupId };
  return { groupId, group: answer.groupId };
}

/** A receiver with one group of `links` registered links. */
function registered(links: Address[], options: Partial<ReceiverOptions> = {}) {
  const receiver = new ReceiverEngine({ random: createSeededRandom(5), ...options });
  const first = links[0];
  if (first === undefined) throw new Error('need a link');
  receiver.handleDatagram(0, first, encodeReg1(new Uint8Array(256).fill(7)));
  const reply = drain(receiver)[0];
  if (reply?.kind !== DatagramKind.SrtlaReg2) throw new Error('no REG2 reply');
  const groupId = decodeReg2(reply.bytes);
  for (const link of links) receiver.handleDatagram(0, link, encodeReg2(groupId));
  const replies = drain(receiver);
  expect(replies.map((r) => r.kind)).toEqual(links.map(() => DatagramKind.SrtlaReg3));
  // REG1 keeps no state (its reply belongs to no group): the first REG2 created the group.
  return { receiver, groupId, group: replies[0]?.groupId ?? -1 };
}

const A = address('127.0.0.2', 5001);
const B = address('127.0.0.3', 5002);

describe('receiver engine', () => {
  it('builds the group id from the sender half plus 128 random bytes of its own', () => {
    const { groupId } = registered([A]);
    expect(groupId.subarray(0, 128).every((byte) => byte === 7)).toBe(true);
    expect(groupId.subarray(128).some((byte) => byte !== 7)).toBe(true);
  });

  it('answers an unknown group id with a padded NGP and keeps no state', () => {
    const receiver = new ReceiverEngine({ random: createSeededRandom(1) });
    receiver.handleDatagram(0, A, encodeReg2(new Uint8Array(256).fill(1)));
    const [reply] = drain(receiver);
    expect(reply?.kind).toBe(DatagramKind.SrtlaRegNgp);
    expect(reply?.bytes).toHaveLength(32);
    expect(receiver.size).toEqual({ groups: 0, links: 0 });
  });

  it('treats a repeated REG2 from a registered link as idempotent', () => {
    const { receiver, groupId } = registered([A]);
    receiver.handleDatagram(1, A, encodeReg2(groupId));
    expect(drain(receiver).map((r) => r.kind)).toEqual([DatagramKind.SrtlaReg3]);
    expect(receiver.size).toEqual({ groups: 1, links: 1 });
  });

  it('refuses REG1 from an address that is already a link, and REG2 into a second group', () => {
    const { receiver } = registered([A]);
    // Once the group carries SRT, A is a live link: its REG1 is refused.
    receiver.handleDatagram(1, A, data(1));
    drain(receiver);
    receiver.handleDatagram(1, A, encodeReg1(new Uint8Array(256).fill(9)));
    expect(drain(receiver).map((r) => r.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    const other = registerOne(receiver, 1, B, 9).groupId;
    if (other === undefined) throw new Error('B did not register');
    receiver.handleDatagram(1, A, encodeReg2(other));
    expect(drain(receiver).map((r) => r.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.size).toEqual({ groups: 2, links: 2 });
  });

  it('treats IPv4 and IPv4-mapped IPv6 as the same link', () => {
    const { receiver } = registered([A]);
    receiver.handleDatagram(1, address('::ffff:127.0.0.2', 5001), data(10));
    const out = drain(receiver);
    expect(out.map((r) => r.target)).toEqual([ReceiverTarget.Upstream]);
  });

  it('keeps apart two IPv6 senders whose address keys collide', () => {
    // A birthday search over two words of the address finds two IPv6 addresses with one key.
    const seen = new Map<number, number>();
    let pair: [Address, Address] | undefined;
    for (let i = 1; pair === undefined && i < 2 ** 22; i++) {
      const key = addressKey(6, 0x20010db8, 0, i, i, 6000);
      const other = seen.get(key);
      if (other !== undefined) {
        pair = [
          Address.fromWords(6, 0x20010db8, 0, other, other, 6000),
          Address.fromWords(6, 0x20010db8, 0, i, i, 6000),
        ];
      }
      seen.set(key, i);
    }
    if (pair === undefined) throw new Error('no key collision found');
    const [linked, stranger] = pair;
    expect(stranger.key).toBe(linked.key);
    expect(stranger.equals(linked)).toBe(false);
    const { receiver, groupId } = registered([linked]);
    // Data from the stranger is not the link's: dropped, neither forwarded nor acknowledged.
    for (let seq = 0; seq < 10; seq++) receiver.handleDatagram(1, stranger, data(seq));
    expect(drain(receiver)).toEqual([]);
    // The stranger is not a link, but it could be none under that key: no group of its own (REG1
    // is answered, the REG2 that would create the group is refused and creates nothing)...
    expect(registerOne(receiver, 1, stranger, 3).refused).toBe(DatagramKind.SrtlaRegErr);
    // ...but it cannot join the linked group under a key another address holds.
    receiver.handleDatagram(1, stranger, encodeReg2(groupId));
    const refused = drain(receiver);
    expect(refused.map((r) => [r.kind, r.address])).toEqual([
      [DatagramKind.SrtlaRegErr, `${stranger.ip}:6000`],
    ]);
    expect(receiver.size).toEqual({ groups: 1, links: 1 });
    // The linked address still is the link.
    receiver.handleDatagram(1, linked, data(10));
    expect(drain(receiver).map((r) => r.target)).toEqual([ReceiverTarget.Upstream]);
  });

  it('sends a 44-byte SRTLA ACK with the 10 seqs after every 10 data packets, to the arrival link', () => {
    const { receiver } = registered([A, B]);
    const acks: Sent[] = [];
    for (let seq = 100; seq < 125; seq++) {
      receiver.handleDatagram(1, seq % 2 === 0 ? A : B, data(seq));
      acks.push(...drain(receiver).filter((r) => r.kind === DatagramKind.SrtlaAck));
    }
    expect(acks).toHaveLength(2);
    expect(acks[0]?.address).toBe('127.0.0.2:5001');
    expect(acks[0]?.bytes).toHaveLength(44);
    expect(decodeSrtlaAck(acks[0]?.bytes ?? new Uint8Array())).toEqual([
      100, 102, 104, 106, 108, 110, 112, 114, 116, 118,
    ]);
    expect(acks[1]?.address).toBe('127.0.0.3:5002');
  });

  it('acknowledges duplicates and retransmissions again', () => {
    const { receiver } = registered([A]);
    for (let index = 0; index < 10; index++) receiver.handleDatagram(1, A, data(5, 0, index > 0));
    const acks = drain(receiver).filter((r) => r.kind === DatagramKind.SrtlaAck);
    expect(decodeSrtlaAck(acks[0]?.bytes ?? new Uint8Array())).toEqual(new Array(10).fill(5));
  });

  it('forwards a packet duplicated on a second link once, and acknowledges it on both', () => {
    const { receiver } = registered([A, B]);
    for (let seq = 0; seq < 10; seq++) {
      receiver.handleDatagram(1, A, data(seq));
      receiver.handleDatagram(1, B, data(seq));
    }
    const out = drain(receiver);
    const upstream = out.filter((r) => r.target === ReceiverTarget.Upstream);
    expect(upstream.map((r) => peekSrtDataSeq(r.bytes))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const acks = out.filter((r) => r.kind === DatagramKind.SrtlaAck);
    expect(acks.map((r) => r.address)).toEqual(['127.0.0.2:5001', '127.0.0.3:5002']);
    const links = receiver.stats(1).groups[0]?.links ?? [];
    expect(links.map((link) => link.duplicates)).toEqual([0, 10]);
  });

  it('forwards a retransmission of a number it already forwarded (the listener asked for it again)', () => {
    const { receiver } = registered([A, B]);
    for (let seq = 0; seq < 4; seq++) receiver.handleDatagram(1, A, data(seq));
    // The listener lost 2 on its side and NAKed it: the sender re-sends it, on either link.
    receiver.handleDatagram(2, B, data(2, 0, true));
    receiver.handleDatagram(3, A, data(2, 0, true));
    const upstream = drain(receiver).filter((r) => r.target === ReceiverTarget.Upstream);
    expect(upstream.map((r) => peekSrtDataSeq(r.bytes))).toEqual([0, 1, 2, 3, 2, 2]);
    const links = receiver.stats(3).groups[0]?.links ?? [];
    expect(links.map((link) => link.duplicates)).toEqual([0, 0]);
    expect(links.map((link) => link.retransmitted)).toEqual([1, 1]);
  });

  it('forwards SRT upstream unchanged and never forwards unknown SRTLA types', () => {
    const { receiver, group } = registered([A]);
    const packet = data(1);
    receiver.handleDatagram(1, A, packet);
    const unknown = new Uint8Array(64);
    unknown.set([0x93, 0x00]);
    receiver.handleDatagram(1, A, unknown);
    receiver.handleDatagram(1, A, new Uint8Array([0x00, 0x00, 0x00, 0x01]));
    const out = drain(receiver);
    expect(out).toHaveLength(1);
    expect(out[0]?.target).toBe(ReceiverTarget.Upstream);
    expect(out[0]?.groupId).toBe(group);
    expect(out[0]?.bytes).toEqual(packet);
    const stats = receiver.stats(1);
    expect(stats.droppedSrtla).toBe(1);
    expect(stats.droppedShort).toBe(1);
    // The counters without the groups, and the groups one at a time: the same statistics.
    const counters = receiver.stats(1, false);
    expect(counters).toEqual({ ...stats, groups: [] });
    const each: unknown[] = [];
    receiver.forEachGroupStats(1, (one) => each.push(one));
    expect(each).toEqual(stats.groups);
    expect(each).toHaveLength(1);
  });

  it('sends SRT ACK and NAK to every link, everything else to the last address only', () => {
    const { receiver, group } = registered([A, B]);
    receiver.handleDatagram(1, A, data(1));
    receiver.handleDatagram(1, B, data(2));
    drain(receiver);
    receiver.handleUpstreamDatagram(
      2,
      group,
      encodeSrtAck({ ackNumber: 1, timestamp: 0, destinationSocketId: 0, ackSeq: 3 }),
    );
    expect(drain(receiver).map((r) => r.address)).toEqual(['127.0.0.2:5001', '127.0.0.3:5002']);
    receiver.handleUpstreamDatagram(
      2,
      group,
      encodeSrtNak({
        typeSpecific: 0,
        timestamp: 0,
        destinationSocketId: 0,
        ranges: [{ first: 1, last: 1 }],
      }),
    );
    expect(drain(receiver)).toHaveLength(2);
    const handshake = encodeSrtControl({
      controlType: SRT_CONTROL.KEEPALIVE,
      subtype: 0,
      typeSpecific: 0,
      timestamp: 0,
      destinationSocketId: 0,
      body: new Uint8Array(4),
    });
    receiver.handleUpstreamDatagram(2, group, handshake);
    expect(drain(receiver).map((r) => r.address)).toEqual(['127.0.0.3:5002']);
  });

  it("echoes keepalives padded to 32, and answers bond's trailer with a ReceiverReport", () => {
    const { receiver } = registered([A]);
    receiver.handleDatagram(1, A, new Uint8Array([0x90, 0x00]));
    const [bare] = drain(receiver);
    expect(bare?.bytes).toEqual(Uint8Array.from([0x90, 0x00, ...new Array<number>(30).fill(0)]));
    const info = {
      connId: 4,
      window: 20_000,
      inFlight: 3,
      rttMs: 50,
      nakCount: 0,
      bitrateBytesPerSec: 1000,
    };
    const bond = encodeKeepalive({
      timestampMs: 777,
      info,
      trailer: {
        body: 'sender',
        sender: {
          linkId: 4,
          linkName: 'wwan0',
          interfaceKind: 'cellular',
          priority: 100,
          srttUs: 0,
          rttvarUs: 0,
          window: 20_000,
          inFlight: 3,
          packetsSent: 0,
          bytesSent: 0,
          packetsNaked: 0,
          packetsRetransmitted: 0,
          sendRateBytesPerSec: 0,
          sharePermille: 1000,
          capabilities: 0,
        },
      },
    });
    receiver.handleDatagram(2, A, bond);
    const [echo] = drain(receiver);
    const decoded = decodeKeepalive(echo?.bytes ?? new Uint8Array());
    expect(echo?.bytes.subarray(0, 38)).toEqual(bond.subarray(0, 38));
    expect(decoded.timestampMs).toBe(777);
    expect(decoded.trailer?.body).toBe('receiver');
    if (decoded.trailer?.body === 'receiver') expect(decoded.trailer.receiver.linkId).toBe(4);
    // An extended keepalive from a non-bond sender is echoed unchanged (padded), no report added.
    const plain = encodeKeepalive({ timestampMs: 5, info });
    receiver.handleDatagram(3, A, plain);
    expect(drain(receiver)[0]?.bytes).toEqual(plain);
    expect(receiver.stats(3).groups[0]?.links[0]?.senderInfo).toEqual(info);
  });

  it('echoes a batch of plain keepalives each with its own bytes, zero-padded, reusing buffers', () => {
    // Echoes of bare and timestamped keepalives are written in place into per-slot buffers: the
    // keepalives of one batch (answered before one drain) must not share bytes, and a short one
    // after a longer one must not carry the longer one's tail.
    const { receiver } = registered([A, B]);
    const timestamped = (ms: number) => encodeKeepalive({ timestampMs: ms });
    const pollAll = () => {
      const out: Uint8Array[] = [];
      for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
        out.push(t.bytes);
      }
      return out;
    };
    receiver.handleDatagram(1, A, timestamped(1111));
    receiver.handleDatagram(1, B, timestamped(2222));
    receiver.handleDatagram(1, A, new Uint8Array([0x90, 0x00]));
    const first = pollAll();
    expect(first.map((bytes) => bytes.slice())).toEqual([
      Uint8Array.from([...timestamped(1111), ...new Array<number>(22).fill(0)]),
      Uint8Array.from([...timestamped(2222), ...new Array<number>(22).fill(0)]),
      Uint8Array.from([0x90, 0x00, ...new Array<number>(30).fill(0)]),
    ]);
    expect(new Set(first.map((bytes) => bytes.buffer)).size).toBe(3);
    // Later rounds reuse the slots' buffers: 200 keepalives, one drain each, echo from at most
    // one buffer per transmit slot (64), not one buffer each.
    const buffers = new Set<Uint8Array>();
    for (let i = 0; i < 200; i++) {
      receiver.handleDatagram(2, A, timestamped(3000 + i));
      const [echo] = pollAll();
      expect(echo?.slice()).toEqual(
        Uint8Array.from([...timestamped(3000 + i), ...new Array<number>(22).fill(0)]),
      );
      if (echo !== undefined) buffers.add(echo);
    }
    expect(buffers.size).toBeLessThanOrEqual(64);
    // A plain keepalive already as long as the padding goes back as the very bytes received.
    const long = new Uint8Array(40);
    long.set(timestamped(4444));
    receiver.handleDatagram(3, A, long);
    expect(pollAll()).toEqual([long]);
    expect(receiver.stats(3).groups[0]?.links.map((link) => link.keepalives)).toEqual([203, 1]);
  });

  it("clamps a sender's connection info to physical ranges before anything reads it", () => {
    const { receiver } = registered([A]);
    const hostile = encodeKeepalive({
      timestampMs: 5,
      info: {
        connId: 9,
        window: -5,
        inFlight: 2_000_000_000,
        rttMs: 4_000_000_000,
        nakCount: 4_000_000_000,
        bitrateBytesPerSec: 4_000_000_000,
      },
    });
    receiver.handleDatagram(2, A, hostile);
    // Echoed as sent (it is the sender's own datagram); stored clamped.
    expect(drain(receiver)[0]?.bytes).toEqual(hostile);
    expect(receiver.stats(2).groups[0]?.links[0]?.senderInfo).toEqual({
      connId: 9,
      window: 0,
      inFlight: CONNECTION_INFO_LIMITS.inFlight,
      rttMs: CONNECTION_INFO_LIMITS.rttMs,
      nakCount: 4_000_000_000,
      bitrateBytesPerSec: CONNECTION_INFO_LIMITS.bitrateBytesPerSec,
    });
  });

  it('expires links after 15 s and groups after 30 s of silence, pending groups after 5 s', () => {
    const { receiver } = registered([A, B]);
    receiver.handleDatagram(1000, A, data(1));
    for (let now = 1000; now <= 20_000; now += 1000) {
      receiver.handleDatagram(now, A, new Uint8Array([0x90, 0x00]));
      receiver.handleTimeout(now);
    }
    // B was silent since registration (t=0): gone after 15 s; A keeps the group alive.
    expect(receiver.size).toEqual({ groups: 1, links: 1 });
    for (let now = 21_000; now <= 36_000; now += 1000) receiver.handleTimeout(now);
    expect(receiver.size).toEqual({ groups: 1, links: 0 });
    for (let now = 37_000; now <= 51_000; now += 1000) receiver.handleTimeout(now);
    expect(receiver.size).toEqual({ groups: 0, links: 0 });

    const pending = new ReceiverEngine({ random: createSeededRandom(2) });
    registerOne(pending, 0, A, 0);
    for (let now = 1000; now <= 4000; now += 1000) pending.handleTimeout(now);
    expect(pending.size.groups).toBe(1);
    for (let now = 5000; now <= 6000; now += 1000) pending.handleTimeout(now);
    expect(pending.size.groups).toBe(0);
  });

  it('estimates queueing delay and delay offset from SRT timestamps', () => {
    const { receiver } = registered([A, B]);
    // A: 20 ms one way, B: 70 ms; from t=5 s, A queues up to 100 ms more.
    for (let index = 0; index < 1000; index++) {
      const sentMs = index * 10;
      const queued = sentMs >= 5000 ? Math.min(100, (sentMs - 5000) / 10) : 0;
      receiver.handleDatagram(sentMs + 20 + queued, A, data(2 * index, sentMs * 1000));
      receiver.handleDatagram(sentMs + 70, B, data(2 * index + 1, sentMs * 1000));
    }
    const [a, b] = receiver.stats(10_000).groups[0]?.links ?? [];
    expect(a?.queueingDelayUs).toBeGreaterThan(80_000);
    expect(b?.queueingDelayUs).toBeLessThan(1000);
    expect(a?.delayOffsetUs).toBe(0);
    expect(b?.delayOffsetUs).toBe(50_000);
  });

  it('reports a group going active and a link changing quality level', () => {
    const { receiver, group } = registered([A]);
    const events: string[] = [];
    const collect = () => {
      for (let e = receiver.pollEvent(); e !== undefined; e = receiver.pollEvent()) {
        events.push(e.type === 'link-quality' ? `link-quality ${e.level}` : e.type);
      }
    };
    collect();
    events.length = 0;
    for (let now = 0; now <= 12_000; now += 2) {
      receiver.handleDatagram(now, A, data(now / 2, now * 1000));
      drain(receiver);
      if (now % 1000 === 0) receiver.handleTimeout(now);
    }
    collect();
    expect(events[0]).toBe('group-active');
    expect(events).toContain('link-quality good');
    expect(events.filter((e) => e === 'group-active')).toHaveLength(1);
    expect(receiver.stats(12_000).groups[0]?.id).toBe(group);
  });

  it('configure() lowers the link limit and the link timeout of a running group, dropping no link', () => {
    const { receiver, groupId } = registered([A, B]);
    const C = address('127.0.0.4', 5003);
    receiver.configure({ maxLinksPerGroup: 1, linkTimeoutMs: 3000 });
    expect(receiver.limits).toMatchObject({ maxLinksPerGroup: 1, linkTimeoutMs: 3000 });
    receiver.handleDatagram(1, C, encodeReg2(groupId));
    expect(drain(receiver).map((r) => r.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.size).toEqual({ groups: 1, links: 2 });
    // B has been silent since t=0: gone at the first tick past 3 s (the default would keep it 15 s).
    for (let now = 1000; now <= 4000; now += 1000) {
      receiver.handleDatagram(now, A, new Uint8Array([0x90, 0x00]));
      receiver.handleTimeout(now);
    }
    expect(receiver.size).toEqual({ groups: 1, links: 1 });
    receiver.configure({ maxLinksPerGroup: 2 });
    receiver.handleDatagram(4001, C, encodeReg2(groupId));
    expect(drain(receiver).map((r) => r.kind)).toContain(DatagramKind.SrtlaReg3);
    expect(receiver.size).toEqual({ groups: 1, links: 2 });
  });

  it('configure() refuses new groups over a lowered group limit without evicting pending ones', () => {
    const receiver = new ReceiverEngine({ random: createSeededRandom(3), maxGroups: 3 });
    registerOne(receiver, 0, A, 1);
    registerOne(receiver, 0, B, 2);
    const C = address('127.0.0.4', 5003);
    // An id answered before the limit went down...
    receiver.handleDatagram(0, C, encodeReg1(new Uint8Array(256)));
    const late = decodeReg2(drain(receiver)[0]?.bytes ?? new Uint8Array(258));
    receiver.configure({ maxGroups: 1 });
    receiver.handleDatagram(1, C, encodeReg1(new Uint8Array(256)));
    expect(drain(receiver).map((r) => r.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    // ...creates nothing after it either.
    receiver.handleDatagram(1, C, encodeReg2(late));
    expect(drain(receiver).map((r) => r.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.size.groups).toBe(2);
    expect(receiver.stats(1).groupsEvicted).toBe(0);
  });

  it('configure() swaps the forward path of running groups, releasing what the old one held', () => {
    // B carries nothing yet, so the stream's start-up holds what A delivers for the whole hold.
    const { receiver } = registered([A, B]);
    receiver.configure({ forwardPath: createReorderForwardPath({ mode: { fixedMs: 100 } }) });
    receiver.handleDatagram(1, A, data(10));
    receiver.handleDatagram(2, A, data(12));
    expect(drain(receiver).filter((r) => r.target === ReceiverTarget.Upstream)).toEqual([]);
    expect(receiver.pollTimeout()).toBe(101);
    receiver.configure({ forwardPath: createPassThroughForwardPath });
    const released = drain(receiver).filter((r) => r.target === ReceiverTarget.Upstream);
    expect(released.map((r) => peekSrtDataSeq(r.bytes))).toEqual([10, 12]);
    expect(receiver.stats(3).groups[0]?.forwardPath).toEqual({ mode: 'off' });
    expect(receiver.pollTimeout()).toBe(1000); // housekeeping only: nothing held any more
  });

  it('gives a gap up as soon as every link delivered a later original (links keep order), not after the hold', () => {
    const { receiver } = registered([A, B], {
      forwardPath: createReorderForwardPath({ mode: { fixedMs: 100 } }),
    });
    const upstream = () =>
      drain(receiver)
        .filter((r) => r.target === ReceiverTarget.Upstream)
        .map((r) => peekSrtDataSeq(r.bytes));
    receiver.handleDatagram(1, A, data(10));
    receiver.handleDatagram(2, B, data(11));
    receiver.handleTimeout(200); // the start-up hold
    expect(upstream()).toEqual([10, 11]);
    // 12 never comes (the sender did not send it). A has passed it, B not yet: 12 may be on B.
    receiver.handleDatagram(300, A, data(13));
    expect(upstream()).toEqual([]);
    // B delivers 14: neither link can still bring 12, so 13 and 14 leave now, not at 400.
    receiver.handleDatagram(301, B, data(14));
    expect(upstream()).toEqual([13, 14]);
    // A link that reorders its own packets (16 before 15) clears a gap only that far below its
    // highest: 17 missing, A at 18 (clears below 17), B at 19: 17 is waited for.
    receiver.handleDatagram(310, A, data(16));
    receiver.handleDatagram(311, A, data(15));
    expect(upstream()).toEqual([15, 16]); // 16 waited for 15: B had not passed it
    receiver.handleDatagram(320, A, data(18));
    receiver.handleDatagram(321, B, data(19));
    expect(upstream()).toEqual([]);
    receiver.handleDatagram(322, B, data(17));
    expect(upstream()).toEqual([17, 18, 19]);
    // A retransmission does not count as a link's progress: B's retransmitted 30 leaves 20 waiting.
    receiver.handleDatagram(330, A, data(21));
    receiver.handleDatagram(331, B, data(30, 0, true));
    expect(upstream()).toEqual([]);
    receiver.handleTimeout(429);
    expect(upstream()).toEqual([]);
    receiver.handleTimeout(430);
    expect(upstream()).toEqual([21]);
    receiver.handleTimeout(431);
    expect(upstream()).toEqual([30]);
    const reorder = receiver.stats(431).groups[0]?.forwardPath as { skipped: number };
    expect(reorder.skipped).toBe(1 + 1 + 8); // 12 at once; 20 and 22-29 at the hold
  });

  it("ends a stream's start-up hold once every link has delivered, instead of bursting 200 ms later", () => {
    const C = address('127.0.0.4', 5003);
    const { receiver } = registered([A, B, C], {
      forwardPath: createReorderForwardPath({ mode: 'auto' }),
    });
    const upstream = () =>
      drain(receiver)
        .filter((r) => r.target === ReceiverTarget.Upstream)
        .map((r) => peekSrtDataSeq(r.bytes));
    receiver.handleDatagram(1, A, data(10));
    receiver.handleDatagram(2, B, data(12));
    // C has delivered nothing: 11 may be on it, and so may something before 10.
    expect(upstream()).toEqual([]);
    receiver.handleDatagram(3, C, data(11));
    // Every link is past 10, so the release point is final: everything leaves at 3 ms, in order.
    expect(upstream()).toEqual([10, 11, 12]);
    receiver.handleDatagram(4, A, data(13));
    expect(upstream()).toEqual([13]);
  });

  it('configure() checks every value before applying any', () => {
    const { receiver } = registered([A]);
    expect(() => {
      receiver.configure({ maxGroups: 5, linkTimeoutMs: 0 });
    }).toThrow(/linkTimeoutMs must be a positive number of milliseconds, got 0/);
    expect(receiver.limits).toEqual({
      maxLinksPerGroup: 16,
      maxGroups: 200,
      linkTimeoutMs: 15_000,
      groupTimeoutMs: 30_000,
      pendingGroupTimeoutMs: 5000,
      maxPendingGroupsPerIp: 4,
    });
  });

  it('rejects invalid configuration with a message that names the option', () => {
    expect(() => new ReceiverEngine({ random: createSeededRandom(1), maxGroups: 0 })).toThrow(
      /maxGroups must be a whole number of at least 1, got 0/,
    );
    expect(() => new ReceiverEngine({ random: createSeededRandom(1), linkTimeoutMs: -1 })).toThrow(
      /linkTimeoutMs/,
    );
  });
});
