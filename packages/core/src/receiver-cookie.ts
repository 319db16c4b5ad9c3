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
 * | 1 | 2 | node index, big-endian; 0 today (reserved for clustered receivers: the node that owns the group) |
 * | 3 | 1 | reserved, 0 |
 * | 4 | 4 | issued at: the engine clock in whole seconds, big-endian, modulo 2^32 |
 * | 8 | 16 | random nonce (two answers to one REG1 differ) |
 * | 24 | 32 | HMAC-SHA256 under the process's secret key over the whole 256-byte id except these 32 bytes |
 * | 56 | 72 | reserved, 0 (covered by the MAC) |
 *
 * The MAC covers the sender's half, the header, the time and the nonce and the reserved bytes, so
 * no byte of an issued id can be changed. The key is drawn at engine start: a restarted receiver
 * verifies none of its predecessor's ids (their REG2 gets REG_NGP, and the sender registers again).
 * A cookie is fresh for {@link COOKIE_LIFETIME_MS} after it was issued; an older one (or one from
 * the future) creates nothing. The lifetime only bounds creation: a group that exists is found by
 * its id, whatever its age.
 */
import { createHmac } from 'node:crypto';
import { SRTLA_ID_HALF_LENGTH, SRTLA_ID_LENGTH, constantTimeEqual } from '@bond/wire';
import type { RandomSource } from './random.js';

/** The layout version in the receiver half's first byte. */
export const COOKIE_VERSION = 1;
/** 3 minutes: how long after a REG1 answer its id may still create a group with REG2. */
export const COOKIE_LIFETIME_MS = 180_000;
/** Where, in the group id, the node index (u16, big-endian) sits: reserved for clustering. */
export const COOKIE_NODE_OFFSET = SRTLA_ID_HALF_LENGTH + 1;
const TIME_OFFSET = SRTLA_ID_HALF_LENGTH + 4;
const NONCE_OFFSET = SRTLA_ID_HALF_LENGTH + 8;
const NONCE_LENGTH = 16;
/** Where, in the group id, the MAC sits (its bytes are uniformly random: lookup keys use them). */
export const COOKIE_MAC_OFFSET = SRTLA_ID_HALF_LENGTH + 24;
const MAC_LENGTH = 32;
const MAC_END = COOKIE_MAC_OFFSET + MAC_LENGTH;
/** 32 bytes: the secret key's length (HMAC-SHA256's block is 64; 32 is its full strength). */
const KEY_LENGTH = 32;

/** Why an id did not verify (or 'ok'). */
export type CookieVerdict = 'ok' | 'malformed' | 'expired' | 'forged';

export class RegistrationCookies {
  private readonly key = new Uint8Array(KEY_LENGTH);

  constructor(random: RandomSource) {
    random.fillBytes(this.key);
  }

  /**
   * Writes a fresh receiver half into `id` (256 bytes whose first 128 are the sender's half),
   * issued at `now` (engine milliseconds).
   */
  issue(now: number, id: Uint8Array, random: RandomSource): void {
    id.fill(0, SRTLA_ID_HALF_LENGTH);
    id[SRTLA_ID_HALF_LENGTH] = COOKIE_VERSION;
    // Node index 0 and the reserved bytes stay 0 (filled above).
    view(id).setUint32(TIME_OFFSET, seconds(now));
    random.fillBytes(id.subarray(NONCE_OFFSET, NONCE_OFFSET + NONCE_LENGTH));
    id.set(this.mac(id), COOKIE_MAC_OFFSET);
  }

  /** Whether `id` (256 bytes) is one this engine issued within the lifetime, at `now`. */
  verify(now: number, id: Uint8Array): CookieVerdict {
    // The cheap checks first: a flood of garbage costs no MAC.
    if (id.length !== SRTLA_ID_LENGTH || id[SRTLA_ID_HALF_LENGTH] !== COOKIE_VERSION) {
      return 'malformed';
    }
    const age = (seconds(now) - view(id).getUint32(TIME_OFFSET)) >>> 0;
    if (age * 1000 > COOKIE_LIFETIME_MS) return 'expired';
    const expected = this.mac(id);
    return constantTimeEqual(expected, id.subarray(COOKIE_MAC_OFFSET, MAC_END), MAC_LENGTH)
      ? 'ok'
      : 'forged';
  }

  private mac(id: Uint8Array): Uint8Array {
    const hmac = createHmac('sha256', this.key);
    hmac.update(id.subarray(0, COOKIE_MAC_OFFSET));
    hmac.update(id.subarray(MAC_END));
    return hmac.digest();
  }
}

/** The engine clock in whole seconds, modulo 2^32 (wraps after 136 years of uptime). */
function seconds(now: number): number {
  return Math.floor(now / 1000) >>> 0;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
