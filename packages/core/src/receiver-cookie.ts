/**
 * The receiver's half of a group id as a registration cookie (issue 17): REG1 is answered without
 * keeping any state, and the REG2 that comes back proves, by the id alone, that this receiver
 * issued it recently. Like a TCP SYN cookie, a flood of REG1 creates nothing.
 *
 * Layout of the receiver's half (the group id's bytes 128..255; offsets within the half):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 1 | layout version, {@link COOKIE_VERSION} |
 * | 1 | 2 | node index, big-endian: the clustered receiver node that issued it (and owns its group); 0 outside a cluster |
 * | 3 | 1 | reserved, 0 |
 * | 4 | 4 | issued at: the engine clock in whole seconds, big-endian, modulo 2^32 |
 * | 8 | 8 | nonce: 4 bytes drawn at engine start, then a 4-byte counter (every answer is distinct) |
 * | 16 | 16 | MAC: SipHash-2-4 under two secret 128-bit keys (8 bytes each) over the whole 256-byte id except these 16 bytes |
 * | 32 | 96 | reserved, 0 (covered by the MAC) |
 *
 * The MAC covers the sender's half, the header, the time, the nonce and the reserved bytes, so no
 * byte of an issued id can be changed; without the keys, a forged id verifies with probability
 * 2^-128 per try. SipHash is a keyed PRF made for short inputs, in pure arithmetic (core is
 * sans-IO: no `node:crypto`); two independent keys give the 128-bit tag. The keys are drawn (from
 * the engine's random source: cryptographic in the runtime) at engine start: a restarted receiver
 * verifies none of its predecessor's ids (their REG2 gets REG_NGP, and the sender registers again).
 * A clustered receiver (issue 14) is given the cluster's keys instead ({@link COOKIE_KEYS_LENGTH}
 * bytes) and its node index: every node then verifies every node's ids, and {@link
 * RegistrationCookies.nodeOf} names the issuer of an id whatever its age (the owner of its group,
 * or the node whose group another node adopts when the issuer is gone).
 * A cookie is fresh for {@link COOKIE_LIFETIME_MS} after it was issued; an older one (or one from
 * the future) creates nothing. The lifetime only bounds creation: a group that exists is found by
 * its id, whatever its age.
 */
import { SRTLA_ID_HALF_LENGTH, SRTLA_ID_LENGTH, constantTimeEqual } from '@bond/wire';
import type { RandomSource } from './random.js';
import { sipHash24 } from './siphash.js';

/** The layout version in the receiver half's first byte. */
export const COOKIE_VERSION = 1;
/** 3 minutes: how long after a REG1 answer its id may still create a group with REG2. */
export const COOKIE_LIFETIME_MS = 180_000;
/** Where, in the group id, the issuing node's index (u16, big-endian) sits: 0 outside a cluster. */
export const COOKIE_NODE_OFFSET = SRTLA_ID_HALF_LENGTH + 1;
/** Bytes of cookie keys a clustered engine is given: two 128-bit SipHash keys. */
export const COOKIE_KEYS_LENGTH = 32;
/** The highest node index an id can carry (a u16; 0 means "not clustered"). */
export const MAX_COOKIE_NODE_INDEX = 65_535;
const TIME_OFFSET = SRTLA_ID_HALF_LENGTH + 4;
const NONCE_OFFSET = SRTLA_ID_HALF_LENGTH + 8;
/** Where, in the group id, the MAC sits (its bytes are uniformly random: lookup keys use them). */
export const COOKIE_MAC_OFFSET = SRTLA_ID_HALF_LENGTH + 16;
const MAC_LENGTH = 16;
const MAC_END = COOKIE_MAC_OFFSET + MAC_LENGTH;

/** Why an id did not verify (or 'ok'). */
export type CookieVerdict = 'ok' | 'malformed' | 'expired' | 'forged';

export class RegistrationCookies {
  /** Two SipHash keys, four u32 words each. */
  private readonly keys = new Uint32Array(8);
  /** The two keys as views of {@link keys}, made once (a view per MAC would allocate). */
  private readonly key0: Uint32Array;
  private readonly key1: Uint32Array;
  /** The id without its MAC: what the MAC covers. */
  private readonly covered = new Uint8Array(SRTLA_ID_LENGTH - MAC_LENGTH);
  private readonly tag = new Uint8Array(MAC_LENGTH);
  /** The nonce's fixed half, and its counter (no random draw per REG1: a draw costs ~3 us). */
  private readonly noncePrefix: number;
  private nonceCounter = 0;

  /** The node index written into every id issued (0 outside a cluster). */
  readonly nodeIndex: number;

  /**
   * `keys` ({@link COOKIE_KEYS_LENGTH} bytes, copied): the cluster's cookie keys; drawn from
   * `random` when absent. `nodeIndex`: written into every id issued, 0..65535 (default 0).
   */
  constructor(random: RandomSource, keys?: Uint8Array, nodeIndex = 0) {
    if (keys === undefined) {
      random.fillBytes(new Uint8Array(this.keys.buffer));
    } else {
      new Uint8Array(this.keys.buffer).set(keys.subarray(0, COOKIE_KEYS_LENGTH));
    }
    this.key0 = this.keys.subarray(0, 4);
    this.key1 = this.keys.subarray(4, 8);
    this.nodeIndex = nodeIndex;
    const prefix = new Uint8Array(4);
    random.fillBytes(prefix);
    this.noncePrefix = readU32(prefix, 0);
  }

  /**
   * Writes a fresh receiver half into the 256-byte id at `bytes[offset]` (its first 128 bytes are
   * the sender's half), issued at `now` (engine milliseconds). Allocates nothing: a REG1 answer
   * can be written in place.
   */
  issue(now: number, bytes: Uint8Array, offset = 0): void {
    const half = offset + SRTLA_ID_HALF_LENGTH;
    bytes.fill(0, half, offset + SRTLA_ID_LENGTH);
    bytes[half] = COOKIE_VERSION;
    // The reserved bytes stay 0 (filled above).
    bytes[offset + COOKIE_NODE_OFFSET] = this.nodeIndex >>> 8;
    bytes[offset + COOKIE_NODE_OFFSET + 1] = this.nodeIndex & 0xff;
    writeU32(bytes, offset + TIME_OFFSET, seconds(now));
    writeU32(bytes, offset + NONCE_OFFSET, this.noncePrefix);
    this.nonceCounter = (this.nonceCounter + 1) >>> 0;
    writeU32(bytes, offset + NONCE_OFFSET + 4, this.nonceCounter);
    const tag = this.mac(bytes, offset);
    for (let i = 0; i < MAC_LENGTH; i++) bytes[offset + COOKIE_MAC_OFFSET + i] = tag[i] ?? 0;
  }

  /**
   * Whether the 256-byte id at `bytes[offset]` (the rest of `bytes`) is one this engine issued
   * within the lifetime, at `now`. Allocates nothing.
   */
  verify(now: number, bytes: Uint8Array, offset = 0): CookieVerdict {
    // The cheap checks first: a flood of garbage costs no MAC.
    if (
      bytes.length - offset !== SRTLA_ID_LENGTH ||
      bytes[offset + SRTLA_ID_HALF_LENGTH] !== COOKIE_VERSION
    ) {
      return 'malformed';
    }
    const age = (seconds(now) - readU32(bytes, offset + TIME_OFFSET)) >>> 0;
    if (age * 1000 > COOKIE_LIFETIME_MS) return 'expired';
    return this.macMatches(bytes, offset) ? 'ok' : 'forged';
  }

  /**
   * The index of the node that issued `id` (0 for an engine outside a cluster) when its MAC
   * verifies under these keys, whatever its age; undefined for a malformed or forged id.
   */
  nodeOf(id: Uint8Array): number | undefined {
    if (id.length !== SRTLA_ID_LENGTH || id[SRTLA_ID_HALF_LENGTH] !== COOKIE_VERSION) {
      return undefined;
    }
    if (!this.macMatches(id, 0)) return undefined;
    return ((id[COOKIE_NODE_OFFSET] ?? 0) << 8) | (id[COOKIE_NODE_OFFSET + 1] ?? 0);
  }

  private macMatches(bytes: Uint8Array, offset: number): boolean {
    const expected = this.mac(bytes, offset);
    return constantTimeEqual(expected, bytes, MAC_LENGTH, offset + COOKIE_MAC_OFFSET);
  }

  /** The MAC of the id at `bytes[offset]` (its MAC field excluded); valid until the next call. */
  private mac(bytes: Uint8Array, offset: number): Uint8Array {
    const covered = this.covered;
    for (let i = 0; i < COOKIE_MAC_OFFSET; i++) covered[i] = bytes[offset + i] ?? 0;
    for (let i = MAC_END; i < SRTLA_ID_LENGTH; i++) {
      covered[i - MAC_LENGTH] = bytes[offset + i] ?? 0;
    }
    sipHash24(this.key0, covered, this.tag, 0);
    sipHash24(this.key1, covered, this.tag, 8);
    return this.tag;
  }
}

/** The engine clock in whole seconds, modulo 2^32 (wraps after 136 years of uptime). */
function seconds(now: number): number {
  return Math.floor(now / 1000) >>> 0;
}

/** The big-endian u32 at `bytes[at]`. */
function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) |
      ((bytes[at + 1] ?? 0) << 16) |
      ((bytes[at + 2] ?? 0) << 8) |
      (bytes[at + 3] ?? 0)) >>>
    0
  );
}

/** Writes `value` as a big-endian u32 at `bytes[at]`. */
function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}
