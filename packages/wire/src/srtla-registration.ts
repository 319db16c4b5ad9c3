/**
 * SRTLA registration and its replies (protocol.md section 4).
 *
 * ```
 * REG1     92 00 | 256-byte sender id                      exactly 258 bytes
 * REG2     92 01 | 256-byte group id                       exactly 258 bytes
 * REG3     92 02                                           2 bytes, or padded to 32
 * REG_ERR  92 10                                           2 bytes, or padded to 32
 * REG_NGP  92 11                                           2 bytes, or padded to 32
 * REG_NAK  92 12 | optional UTF-8 reason, zero-padded      2 bytes or more
 * ```
 *
 * Replies of any length >= 2 decode by their type alone, so a padded REG3 decodes the same as a
 * bare one.
 */
import { readU16, writeU16 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SRTLA_ID_LENGTH, SRTLA_REG_LENGTH, SRTLA_TYPE } from './srtla-types.js';

/** Options for encoders of short replies. */
export interface PadOptions {
  /** Zero-pad the datagram to at least this many bytes (receivers use 32). */
  readonly padTo?: number;
}

function encodeRegistration(type: number, id: Uint8Array): Uint8Array {
  const out = new Uint8Array(SRTLA_REG_LENGTH);
  writeU16(out, 0, type);
  out.set(id.subarray(0, SRTLA_ID_LENGTH), 2);
  return out;
}

function decodeRegistration(bytes: Uint8Array, type: number, what: string): Uint8Array {
  if (bytes.length !== SRTLA_REG_LENGTH) {
    throw new WireDecodeError(what, 0, `length ${bytes.length} is not exactly ${SRTLA_REG_LENGTH}`);
  }
  if (readU16(bytes, 0) !== type) throw new WireDecodeError(what, 0, 'wrong type');
  return bytes.slice(2);
}

/** REG1: a sender asks for a new group. `senderId` is 256 bytes (shorter is zero-filled). */
export function encodeReg1(senderId: Uint8Array): Uint8Array {
  return encodeRegistration(SRTLA_TYPE.REG1, senderId);
}

/** The 256-byte sender id of a REG1. */
export function decodeReg1(bytes: Uint8Array): Uint8Array {
  return decodeRegistration(bytes, SRTLA_TYPE.REG1, 'SRTLA REG1');
}

/** REG2: the receiver's answer to REG1, and a sender's request to add a link to a group. */
export function encodeReg2(groupId: Uint8Array): Uint8Array {
  return encodeRegistration(SRTLA_TYPE.REG2, groupId);
}

/** The 256-byte group id of a REG2. */
export function decodeReg2(bytes: Uint8Array): Uint8Array {
  return decodeRegistration(bytes, SRTLA_TYPE.REG2, 'SRTLA REG2');
}

/** A reply that is only its type (REG3, REG_ERR, REG_NGP, or a bare keepalive). */
export function encodeTypeOnly(type: number, options: PadOptions = {}): Uint8Array {
  const out = new Uint8Array(Math.max(2, options.padTo ?? 0));
  writeU16(out, 0, type);
  return out;
}

/** REG3: the link is registered. */
export function encodeReg3(options: PadOptions = {}): Uint8Array {
  return encodeTypeOnly(SRTLA_TYPE.REG3, options);
}

/** REG_ERR: registration failed for now; back off and retry. */
export function encodeRegErr(options: PadOptions = {}): Uint8Array {
  return encodeTypeOnly(SRTLA_TYPE.REG_ERR, options);
}

/** REG_NGP: no such group; register again with REG1. */
export function encodeRegNgp(options: PadOptions = {}): Uint8Array {
  return encodeTypeOnly(SRTLA_TYPE.REG_NGP, options);
}

const utf8Encoder = new TextEncoder();
// ignoreBOM: a reason starting with U+FEFF is text, not a byte-order mark to strip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** REG_NAK: refused, give up. `reason` is optional UTF-8 text. */
export function encodeRegNak(reason = '', options: PadOptions = {}): Uint8Array {
  const text = utf8Encoder.encode(reason);
  const out = new Uint8Array(Math.max(2 + text.length, options.padTo ?? 0));
  writeU16(out, 0, SRTLA_TYPE.REG_NAK);
  out.set(text, 2);
  return out;
}

/** The reason text of a REG_NAK: bytes 2.. as UTF-8, trailing zero padding removed. */
export function decodeRegNak(bytes: Uint8Array): string {
  if (bytes.length < 2 || readU16(bytes, 0) !== SRTLA_TYPE.REG_NAK) {
    throw new WireDecodeError('SRTLA REG_NAK', 0, 'not a REG_NAK');
  }
  let end = bytes.length;
  while (end > 2 && bytes[end - 1] === 0) end--;
  return utf8Decoder.decode(bytes.subarray(2, end));
}

/**
 * True when `groupId`'s first 128 bytes equal `senderId`'s: the check a sender makes before
 * adopting a REG2 reply (protocol.md 4.1). Constant time in the contents.
 */
export function groupIdMatchesSender(groupId: Uint8Array, senderId: Uint8Array): boolean {
  return constantTimeEqual(groupId, senderId, SRTLA_ID_LENGTH / 2);
}

/**
 * Compares the first `length` bytes of `a` with the `length` bytes of `b` from `bOffset` (default
 * 0: its first bytes) in time that does not depend on where they differ. False when either has
 * fewer than `length` bytes there. The offset lets a caller compare an id where it lies in a
 * received datagram, without a view of it (a view allocates).
 */
export function constantTimeEqual(
  a: Uint8Array,
  b: Uint8Array,
  length: number = SRTLA_ID_LENGTH,
  bOffset = 0,
): boolean {
  if (a.length < length || bOffset < 0 || b.length - bOffset < length) return false;
  let difference = 0;
  for (let index = 0; index < length; index++) {
    difference |= (a[index] ?? 0) ^ (b[bOffset + index] ?? 0);
  }
  return difference === 0;
}
