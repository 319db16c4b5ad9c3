// Registration that costs nothing until it is real (issue 17): REG1 answered by a cookie id and no
// state, a verified REG2 creates a pending group, the first SRT packet makes it active, pending
// groups are rationed per source, eviction spares groups that carried SRT, and a link joining from
// a network none of the group's links use is reported.
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
import {
  COOKIE_LIFETIME_MS,
  COOKIE_NODE_OFFSET,
  COOKIE_VERSION,
  ReceiverEngine,
  ReceiverTarget,
  createSeededRandom,
  type ReceiverEvent,
  type ReceiverOptions,
} from '../src/index.js';
import { srtData } from '@bond/wire/testing';
import { srtHandshake } from '@bond/wire/testing';

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}

interface Out {
  target: number;
  to: string | undefined;
  groupId: number;
  kind: DatagramKind;
  bytes: Uint8Array;
}

function drain(receiver: ReceiverEngine): { out: Out[]; events: ReceiverEvent[] } {
  const out: Out[] = [];
  for (let t = receiver.pollTransmit(); t !== undefined; t = receiver.pollTransmit()) {
    out.push({
      target: t.target,
      to: t.address?.toString(),
      groupId: t.groupId,
      kind: classifyDatagram(t.bytes),
      bytes: t.bytes.slice(),
    });
  }
  const events: ReceiverEvent[] = [];
  for (let e = receiver.pollEvent(); e !== undefined; e = receiver.pollEvent()) events.push(e);
  return { out, events };
}

function engine(options: Partial<ReceiverOptions> = {}): ReceiverEngine {
  return new ReceiverEngine({ random: createSeededRandom(17), ...options });
}

/** REG1 from `from` at `now`; the group id its REG2 answer carries. */
function askId(receiver: ReceiverEngine, now: number, from: Address, fill = 7): Uint8Array {
  receiver.handleDatagram(now, from, encodeReg1(new Uint8Array(256).fill(fill)));
  const { out } = drain(receiver);
  const reply = out[0];
  if (out.length !== 1 || reply?.kind !== DatagramKind.SrtlaReg2) throw new Error('no REG2');
  return decodeReg2(reply.bytes);
}

/** REG2 with `id` from `from`: what came back (kinds) and the events. */
function reg2(receiver: ReceiverEngine, now: number, from: Address, id: Uint8Array) {
  receiver.handleDatagram(now, from, encodeReg2(id));
  const { out, events } = drain(receiver);
  return { kinds: out.map((o) => o.kind), groupId: out[0]?.groupId ?? -1, events };
}

/** Registers `from` (REG1 then REG2) at `now`; returns the group handle and id. */
function register(receiver: ReceiverEngine, now: number, from: Address, fill = 7) {
  const id = askId(receiver, now, from, fill);
  const answer = reg2(receiver, now, from, id);
  if (answer.kinds[0] !== DatagramKind.SrtlaReg3)
    throw new Error(`refused: ${answer.kinds.join(',')}`);
  return { id, group: answer.groupId };
}

/** An SRT caller's induction handshake (what an encoder sends first). */
function induction(): Uint8Array {
  return srtHandshake({
    version: 4,
    extension: 2,
    initialSeq: 1,
    handshakeType: SRT_HANDSHAKE_TYPE.INDUCTION,
    socketId: 11,
  });
}

const data = (seq: number): Uint8Array => srtData(seq);

const A = address('127.0.0.2', 5001);
const B = address('127.0.0.3', 5002);

describe('receiver registration: REG1 keeps no state', () => {
  it('answers REG1 with the sender half, a versioned cookie half (node 0), and creates nothing', () => {
    const receiver = engine();
    const id = askId(receiver, 0, A, 0x5a);
    expect(id.subarray(0, 128).every((byte) => byte === 0x5a)).toBe(true);
    expect(id[128]).toBe(COOKIE_VERSION);
    expect([id[COOKIE_NODE_OFFSET], id[COOKIE_NODE_OFFSET + 1]]).toEqual([0, 0]);
    expect(receiver.size).toEqual({ groups: 0, links: 0 });
    expect(receiver.stats(0)).toMatchObject({ groupsCreated: 0, pendingGroups: 0 });
    // Two answers to the same REG1 differ (the nonce): each is a distinct group id.
    const again = askId(receiver, 0, A, 0x5a);
    expect(Buffer.from(again).equals(Buffer.from(id))).toBe(false);
  });

  it('answers REG1s queued before one drain each with its own id, and each creates its group', () => {
    // The answers are written in place into per-slot buffers: one batch's answers must not share
    // bytes (a batch of REG1 is answered before the runtime drains).
    const receiver = engine();
    const sources = [A, B, address('127.0.0.4', 5003)];
    sources.forEach((from, i) => {
      receiver.handleDatagram(i, from, encodeReg1(new Uint8Array(256).fill(0x10 + i)));
    });
    const { out } = drain(receiver);
    expect(out.map((o) => [o.kind, o.to])).toEqual(
      sources.map((from) => [DatagramKind.SrtlaReg2, from.toString()]),
    );
    const ids = out.map((o) => decodeReg2(o.bytes));
    ids.forEach((id, i) => {
      expect(id.subarray(0, 128).every((byte) => byte === 0x10 + i)).toBe(true);
    });
    expect(new Set(ids.map((id) => Buffer.from(id).toString('hex'))).size).toBe(3);
    ids.forEach((id, i) => {
      expect(reg2(receiver, 10, sources[i] ?? A, id).kinds).toEqual([DatagramKind.SrtlaReg3]);
    });
    expect(receiver.size).toEqual({ groups: 3, links: 3 });
    // Many more answers (the transmit ring wraps): each still carries its own sender half.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        const from = address(`127.9.${round}.${i + 1}`, 4000);
        receiver.handleDatagram(20, from, encodeReg1(new Uint8Array(256).fill(i)));
      }
      const many = drain(receiver).out;
      expect(many).toHaveLength(100);
      many.forEach((o, i) => {
        expect(o.kind).toBe(DatagramKind.SrtlaReg2);
        expect(o.bytes.subarray(2, 130).every((byte) => byte === i)).toBe(true);
      });
    }
  });

  it('creates no group for a REG2 that is forged, tampered with, from another receiver, or expired', () => {
    const receiver = engine();
    const id = askId(receiver, 0, A);
    const forged = id.slice();
    forged.fill(0x33, 129);
    const attempts: [string, Uint8Array, number][] = [['forged', forged, 10]];
    // Every byte of the id counts: sender half, header, time, nonce, MAC, reserved bytes.
    for (const offset of [5, 128, COOKIE_NODE_OFFSET + 1, 131, 133, 140, 152, 183, 200, 255]) {
      const tampered = id.slice();
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      attempts.push([`byte ${offset} flipped`, tampered, 10]);
    }
    attempts.push([
      'from another receiver',
      askId(engine({ random: createSeededRandom(99) }), 0, A),
      10,
    ]);
    attempts.push(['expired', id, COOKIE_LIFETIME_MS + 1000]);
    for (const [name, bytes, now] of attempts) {
      const answer = reg2(receiver, now, A, bytes);
      expect(answer.kinds, name).toEqual([DatagramKind.SrtlaRegNgp]);
      expect(answer.events, name).toEqual([]);
      expect(receiver.size, name).toEqual({ groups: 0, links: 0 });
    }
    // A changed time field reads as issued in the future or long ago: counted as expired, with the
    // id that really is too old (the forged one overwrote the time too).
    const stats = receiver.stats(0);
    expect(stats).toMatchObject({ reg2Expired: 3, regNgpSent: attempts.length, groupsCreated: 0 });
    expect(stats.reg2Unverified).toBe(attempts.length - 3);
  });

  it('creates a pending group, with no SRT sent anywhere, from a valid REG2 within the lifetime', () => {
    const receiver = engine();
    const id = askId(receiver, 0, A);
    const answer = reg2(receiver, COOKIE_LIFETIME_MS - 1000, A, id);
    expect(answer.kinds).toEqual([DatagramKind.SrtlaReg3]);
    expect(answer.events.map((e) => e.type)).toEqual(['group-created', 'link-added']);
    expect(receiver.stats(COOKIE_LIFETIME_MS).groups[0]).toMatchObject({ state: 'pending' });
    expect(receiver.stats(COOKIE_LIFETIME_MS)).toMatchObject({
      pendingGroups: 1,
      pendingSourceIps: 1,
    });
    // A second link joins with the same id; a repeat from either is idempotent.
    expect(reg2(receiver, COOKIE_LIFETIME_MS, B, id).kinds).toEqual([DatagramKind.SrtlaReg3]);
    expect(reg2(receiver, COOKIE_LIFETIME_MS, A, id).kinds).toEqual([DatagramKind.SrtlaReg3]);
    expect(receiver.size).toEqual({ groups: 1, links: 2 });
    // Keepalives are no SRT: still pending.
    receiver.handleDatagram(COOKIE_LIFETIME_MS, A, encodeKeepalive({ timestampMs: 1 }));
    const { out, events } = drain(receiver);
    expect(out.map((o) => o.target)).toEqual([ReceiverTarget.Link]);
    expect(events).toEqual([]);
    // An existing group is found by its id whatever the cookie's age.
    expect(reg2(receiver, 10 * COOKIE_LIFETIME_MS, B, id).kinds).toEqual([DatagramKind.SrtlaReg3]);
  });

  it('makes the group active on its first SRT packet, a handshake, which goes upstream', () => {
    const receiver = engine();
    const { group } = register(receiver, 0, A);
    receiver.handleDatagram(10, A, induction());
    const { out, events } = drain(receiver);
    expect(events).toEqual([{ type: 'group-active', groupId: group }]);
    expect(out.map((o) => [o.target, o.groupId, o.kind])).toEqual([
      [ReceiverTarget.Upstream, group, DatagramKind.SrtControl],
    ]);
    expect(receiver.stats(10).groups[0]?.state).toBe('active');
    expect(receiver.stats(10)).toMatchObject({ pendingGroups: 0, pendingSourceIps: 0 });
  });
});

describe('receiver registration: fairness per source', () => {
  it('keeps one pending group per address and port: a newer registration replaces it', () => {
    const receiver = engine();
    const first = register(receiver, 0, A, 1);
    // A REG1 from the creator of a pending group is answered (it may start over)...
    const second = askId(receiver, 1, A, 2);
    const answer = reg2(receiver, 1, A, second);
    expect(answer.kinds).toEqual([DatagramKind.SrtlaReg3]);
    expect(answer.events).toContainEqual({
      type: 'group-removed',
      groupId: first.group,
      reason: 'replaced by a newer registration from the same address',
    });
    expect(receiver.size).toEqual({ groups: 1, links: 1 });
    // ... but once its group carries SRT, the address is a live link: REG1 is refused.
    receiver.handleDatagram(2, A, induction());
    drain(receiver);
    receiver.handleDatagram(3, A, encodeReg1(new Uint8Array(256)));
    expect(drain(receiver).out.map((o) => o.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    const third = askId(receiver, 3, address('127.0.0.9', 1), 3);
    expect(reg2(receiver, 3, A, third).kinds).toEqual([DatagramKind.SrtlaRegErr]);
    expect(receiver.size).toEqual({ groups: 1, links: 1 });
  });

  it('keeps at most maxPendingGroupsPerIp pending groups per IP, replacing that IP’s oldest', () => {
    const receiver = engine({ maxPendingGroupsPerIp: 3 });
    const other = register(receiver, 0, address('127.0.1.1', 7000));
    const groups = [];
    for (let port = 1; port <= 5; port++) {
      groups.push(register(receiver, port, address('127.0.0.2', 6000 + port), port).group);
    }
    const stats = receiver.stats(10);
    // The two oldest from 127.0.0.2 made room; the other IP's group is untouched.
    expect(stats.groups.map((g) => g.id).sort((a, b) => a - b)).toEqual(
      [other.group, ...groups.slice(2)].sort((a, b) => a - b),
    );
    expect(stats).toMatchObject({ pendingGroups: 4, pendingSourceIps: 2, groupsEvicted: 2 });
    // A group that carried SRT no longer counts toward its IP's pending groups.
    receiver.handleDatagram(11, address('127.0.0.2', 6005), induction());
    drain(receiver);
    register(receiver, 12, address('127.0.0.2', 6100), 9);
    expect(receiver.stats(12)).toMatchObject({ pendingGroups: 4, groupsEvicted: 2 });
    expect(() => {
      receiver.configure({ maxPendingGroupsPerIp: 0 });
    }).toThrow(/maxPendingGroupsPerIp must be a whole number of at least 1, got 0/);
  });

  it('evicts the oldest pending group when the table is full, never one that carried SRT', () => {
    const receiver = engine({ maxGroups: 3 });
    const live = register(receiver, 0, address('127.0.1.1', 1), 1);
    const old = register(receiver, 1, address('127.0.2.1', 1), 2);
    const young = register(receiver, 2, address('127.0.3.1', 1), 3);
    receiver.handleDatagram(3, address('127.0.1.1', 1), induction());
    drain(receiver);
    const newcomer = reg2(
      receiver,
      4,
      address('127.0.4.1', 1),
      askId(receiver, 4, address('127.0.4.1', 1), 4),
    );
    expect(newcomer.kinds).toEqual([DatagramKind.SrtlaReg3]);
    expect(newcomer.events).toContainEqual({
      type: 'group-removed',
      groupId: old.group,
      reason: 'evicted: group table full and this group never carried SRT',
    });
    expect(receiver.stats(4).groups.map((g) => g.id)).toEqual([
      live.group,
      young.group,
      newcomer.groupId,
    ]);
    // Every group carries SRT: REG1 is refused, and a REG2 with an earlier answer too.
    const early = askId(receiver, 5, address('127.0.5.1', 1), 5);
    for (const from of [address('127.0.3.1', 1), address('127.0.4.1', 1)]) {
      receiver.handleDatagram(5, from, induction());
    }
    drain(receiver);
    receiver.handleDatagram(6, address('127.0.6.1', 1), encodeReg1(new Uint8Array(256)));
    expect(drain(receiver).out.map((o) => o.kind)).toEqual([DatagramKind.SrtlaRegErr]);
    expect(reg2(receiver, 6, address('127.0.5.1', 1), early).kinds).toEqual([
      DatagramKind.SrtlaRegErr,
    ]);
    expect(receiver.size.groups).toBe(3);
  });

  it('lets a real sender in during a flood of REG1 and REG2 from 2,000 sources, and forgets the flood', () => {
    const receiver = engine();
    const live = register(receiver, 0, address('127.0.0.2', 5000), 1);
    receiver.handleDatagram(0, address('127.0.0.2', 5000), induction());
    drain(receiver);
    const sources = Array.from({ length: 2000 }, (_, i) =>
      address(`127.${10 + (i >> 8)}.${i & 0xff}.1`, 20_000 + (i % 5)),
    );
    let now = 1;
    let attackers = 0;
    /** `count` flood datagrams: REG1 from everyone; every fifth also sends its answer back. */
    const flood = (count: number) => {
      for (let i = 0; i < count; i++) {
        const from = sources[attackers++ % sources.length] ?? A;
        now += 0.2; // 5,000 per second
        if (attackers % 5 === 0)
          reg2(receiver, now, from, askId(receiver, now, from, attackers & 0xff));
        else {
          receiver.handleDatagram(
            now,
            from,
            encodeReg1(new Uint8Array(256).fill(attackers & 0xff)),
          );
          drain(receiver);
        }
      }
    };
    flood(10_000);
    expect(receiver.size.groups).toBe(200);
    // The sender registers mid-flood: REG1, the flood, REG2, the flood, then its first handshake.
    const sender = address('127.0.0.5', 4000);
    const id = askId(receiver, now, sender, 0xee);
    flood(100);
    const joined = reg2(receiver, now, sender, id);
    expect(joined.kinds).toEqual([DatagramKind.SrtlaReg3]);
    flood(100);
    receiver.handleDatagram(now, sender, induction());
    const { out, events } = drain(receiver);
    expect(events).toEqual([{ type: 'group-active', groupId: joined.groupId }]);
    expect(out.map((o) => o.target)).toEqual([ReceiverTarget.Upstream]);
    flood(10_000);
    const during = receiver.stats(now);
    expect(during.groups.length).toBe(200);
    expect(during.groups.filter((g) => g.state === 'active').map((g) => g.id)).toEqual([
      live.group,
      joined.groupId,
    ]);
    expect(during.pendingSourceIps).toBeLessThanOrEqual(200);
    // The flood stops: its pending groups expire, and with them the per-IP table's entries; the
    // two streams go on.
    for (let t = Math.ceil(now / 1000) * 1000; t <= now + 7000; t += 1000) {
      receiver.handleDatagram(t, sender, data(t));
      receiver.handleDatagram(t, address('127.0.0.2', 5000), data(t));
      receiver.handleTimeout(t);
    }
    drain(receiver);
    const after = receiver.stats(now + 7000);
    expect(after.groups.map((g) => g.id)).toEqual([live.group, joined.groupId]);
    expect(after).toMatchObject({ pendingGroups: 0, pendingSourceIps: 0 });
    expect(after.reg1Received).toBeGreaterThan(20_000);
  });
});

describe('receiver registration: links that join from elsewhere', () => {
  it('reports a link joining a group that carries SRT from a network none of its links use, once', () => {
    const receiver = engine();
    const { id, group } = register(receiver, 0, address('198.51.100.7', 4000));
    // While pending, any network may join (a sender brings its modems up): nothing to report.
    expect(reg2(receiver, 1, address('203.0.113.9', 4001), id).events.map((e) => e.type)).toEqual([
      'link-added',
    ]);
    receiver.handleDatagram(2, address('198.51.100.7', 4000), induction());
    drain(receiver);
    // The same /16 as a link: nothing to report.
    expect(reg2(receiver, 3, address('198.51.7.7', 4002), id).events.map((e) => e.type)).toEqual([
      'link-added',
    ]);
    const stranger = address('192.0.2.66', 4003);
    const joined = reg2(receiver, 4, stranger, id);
    expect(joined.events).toEqual([
      { type: 'link-from-new-network', groupId: group, address: stranger },
      { type: 'link-added', groupId: group, address: stranger },
    ]);
    // Its repeats are no new link.
    expect(reg2(receiver, 5, stranger, id).events).toEqual([]);
    // Another family is another network; an IPv6 link in the same /48 as it is not.
    const v6 = address('2001:db8:1:2::5', 4004);
    expect(reg2(receiver, 6, v6, id).events[0]?.type).toBe('link-from-new-network');
    expect(
      reg2(receiver, 7, address('2001:db8:1:ffff::9', 4005), id).events.map((e) => e.type),
    ).toEqual(['link-added']);
    expect(reg2(receiver, 8, address('2001:db8:2::9', 4006), id).events.map((e) => e.type)).toEqual(
      ['link-from-new-network', 'link-added'],
    );
    const stats = receiver.stats(9);
    expect(stats.newNetworkJoins).toBe(3);
    expect(stats.groups[0]?.newNetworkJoins).toBe(3);
  });
});
