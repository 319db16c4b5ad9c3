// A clustered receiver engine (issue 14): the cluster's cookie keys and the node index as options,
// the index in every id issued, `nodeOf` naming the issuer whatever the id's age, and
// `adoptGroup` taking over a group another node issued.
import {
  Address,
  DatagramKind,
  classifyDatagram,
  decodeReg2,
  encodeReg1,
  encodeReg2,
} from '@bond/wire';
import { describe, expect, it } from 'vitest';
import {
  COOKIE_LIFETIME_MS,
  COOKIE_NODE_OFFSET,
  InvalidConfigError,
  ReceiverEngine,
  createSeededRandom,
  type ReceiverEvent,
} from '../src/index.js';
import { srtData } from '@bond/wire/testing';

const KEYS = new Uint8Array(32).map((_, i) => i * 7 + 1);
const OTHER_KEYS = new Uint8Array(32).map((_, i) => i * 5 + 3);

function address(ip: string, port: number): Address {
  const parsed = Address.parse(ip, port);
  if (parsed === undefined) throw new Error(`bad address ${ip}`);
  return parsed;
}

function node(index: number, keys = KEYS, seed = index): ReceiverEngine {
  return new ReceiverEngine({
    random: createSeededRandom(seed),
    cluster: { cookieKeys: keys, nodeIndex: index },
  });
}

function drain(engine: ReceiverEngine) {
  const out: { kind: DatagramKind; to: string | undefined; bytes: Uint8Array }[] = [];
  for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
    out.push({
      kind: classifyDatagram(t.bytes),
      to: t.address?.toString(),
      bytes: t.bytes.slice(),
    });
  }
  const events: ReceiverEvent[] = [];
  for (let e = engine.pollEvent(); e !== undefined; e = engine.pollEvent()) events.push(e);
  return { out, events };
}

function askId(engine: ReceiverEngine, now: number, from: Address): Uint8Array {
  engine.handleDatagram(now, from, encodeReg1(new Uint8Array(256).fill(9)));
  const reply = drain(engine).out[0];
  if (reply?.kind !== DatagramKind.SrtlaReg2) throw new Error('no REG2 answer');
  return decodeReg2(reply.bytes);
}

const A = address('127.0.0.2', 4001);
const B = address('127.0.0.3', 4002);

describe('clustered receiver engine: node index and shared keys', () => {
  it('writes its node index into the ids it issues and names it by nodeOf on every node', () => {
    const one = node(1);
    const two = node(513);
    const id = askId(two, 0, A);
    expect([id[COOKIE_NODE_OFFSET], id[COOKIE_NODE_OFFSET + 1]]).toEqual([2, 1]);
    expect(two.nodeIndex).toBe(513);
    // Any node with the cluster's keys verifies it, whatever its age.
    expect(one.nodeOf(id)).toBe(513);
    expect(one.nodeOf(id)).toBe(two.nodeOf(id));
    // An engine outside the cluster does not; neither does a changed byte (node index included).
    expect(node(1, OTHER_KEYS).nodeOf(id)).toBeUndefined();
    const tampered = id.slice();
    tampered[COOKIE_NODE_OFFSET + 1] = 3;
    expect(one.nodeOf(tampered)).toBeUndefined();
    expect(one.nodeOf(id.subarray(0, 200))).toBeUndefined();
  });

  it('an engine without cluster options issues node 0 under keys of its own', () => {
    const plain = new ReceiverEngine({ random: createSeededRandom(4) });
    const id = askId(plain, 0, A);
    expect(plain.nodeOf(id)).toBe(0);
    expect(node(1).nodeOf(id)).toBeUndefined();
  });

  it('another node with the same keys creates the group from a fresh id (REG3)', () => {
    const id = askId(node(1), 0, A);
    const two = node(2);
    two.handleDatagram(10, A, encodeReg2(id));
    const { out, events } = drain(two);
    expect(out.map((o) => o.kind)).toEqual([DatagramKind.SrtlaReg3]);
    expect(events[0]).toMatchObject({ type: 'group-created', adopted: false });
    expect(two.hasGroup(id)).toBe(true);
    expect(two.hasLink(A)).toBe(true);
  });

  it('rejects bad cluster options with a clear error', () => {
    expect(() => node(1, new Uint8Array(16))).toThrow(InvalidConfigError);
    expect(() => node(1, new Uint8Array(16))).toThrow(/cookieKeys must be 32 bytes/);
    expect(() => node(65_536)).toThrow(/nodeIndex must be a whole number 0..65535/);
    expect(() => node(1.5)).toThrow(InvalidConfigError);
  });
});

describe('clustered receiver engine: adoptGroup', () => {
  it('adopts an expired id another node issued; the next REG2 links and answers REG3', () => {
    const id = askId(node(1), 0, A);
    const two = node(2);
    const later = COOKIE_LIFETIME_MS + 60_000;
    // Too old to create a group by REG2 alone: "no such group".
    two.handleDatagram(later, A, encodeReg2(id));
    expect(drain(two).out.map((o) => o.kind)).toEqual([DatagramKind.SrtlaRegNgp]);
    expect(two.hasGroup(id)).toBe(false);

    const handle = two.adoptGroup(later, id, A);
    expect(handle).toBeTypeOf('number');
    const adopted = drain(two);
    expect(adopted.out).toEqual([]);
    expect(adopted.events).toEqual([
      { type: 'group-created', groupId: handle, address: A, id, adopted: true },
    ]);
    expect(two.adoptGroup(later, id, A)).toBe(handle);
    expect(drain(two).events).toEqual([]);

    two.handleDatagram(later, A, encodeReg2(id));
    two.handleDatagram(later, B, encodeReg2(id));
    const linked = drain(two);
    expect(linked.out.map((o) => [o.kind, o.to])).toEqual([
      [DatagramKind.SrtlaReg3, A.toString()],
      [DatagramKind.SrtlaReg3, B.toString()],
    ]);
    expect(linked.events.map((e) => e.type)).toEqual(['link-added', 'link-added']);
    // Data flows to the SRT side through the adopted group.
    two.handleDatagram(later, B, srtData(5));
    const data = drain(two);
    expect(data.events.map((e) => e.type)).toEqual(['group-active']);
    expect(two.stats(later).groups[0]?.packetsForwarded).toBe(1);
  });

  it('adopts nothing from an id that does not verify', () => {
    const id = askId(node(1, OTHER_KEYS), 0, A);
    const two = node(2);
    expect(two.adoptGroup(0, id, A)).toBeUndefined();
    expect(two.size).toEqual({ groups: 0, links: 0 });
    expect(drain(two).events).toEqual([]);
  });

  it("handleLinkDatagram takes a link's datagram in one call and leaves anything else alone", () => {
    const engine = node(1);
    const id = askId(engine, 0, A);
    engine.handleDatagram(1, A, encodeReg2(id));
    drain(engine);
    // Not a link: nothing happens (no answer, no count); the caller routes it.
    expect(engine.handleLinkDatagram(2, B, encodeReg1(new Uint8Array(256).fill(9)))).toBe(false);
    expect(engine.handleLinkDatagram(2, B, srtData(1))).toBe(false);
    expect(drain(engine)).toEqual({ out: [], events: [] });
    expect(engine.stats(2).droppedUnregistered).toBe(0);
    // A link: handled as handleDatagram would (the group turns active and the data goes upstream).
    expect(engine.handleLinkDatagram(3, A, srtData(1))).toBe(true);
    const { out, events } = drain(engine);
    expect(events.map((event) => event.type)).toContain('group-active');
    expect(out.map((o) => o.to)).toContain(undefined); // upstream: no link address
    // A REG2 from a link is answered as before.
    expect(engine.handleLinkDatagram(4, A, encodeReg2(id))).toBe(true);
    expect(drain(engine).out.map((o) => o.kind)).toEqual([DatagramKind.SrtlaReg3]);
  });
});
