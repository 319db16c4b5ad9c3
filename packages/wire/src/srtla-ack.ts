/**
 * SRTLA ACK (0x9100): the receiver acknowledges data packets per link (protocol.md section 2).
 *
 * ```
 * 91 00 | 00 00 | k x u32 SRT sequence numbers          4 + 4k bytes; everyone sends k = 10
 * ```
 *
 * Bytes 2-3 are zero when sent and ignored when received.
 */
import { readU16, readU32, writeU16, writeU32 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SEQ_MAX } from './seq.js';
import { SRTLA_TYPE } from './srtla-types.js';

const HEADER_LENGTH = 4;
const WHAT = 'SRTLA ACK';

/** True when `bytes` is a well-formed SRTLA ACK (type 0x9100, length 4 + 4k). */
export function isSrtlaAck(bytes: Uint8Array): boolean {
  return (
    bytes.length >= HEADER_LENGTH &&
    (bytes.length - HEADER_LENGTH) % 4 === 0 &&
    readU16(bytes, 0) === SRTLA_TYPE.ACK
  );
}

/** How many sequence numbers a well-formed SRTLA ACK carries. */
export function srtlaAckCount(bytes: Uint8Array): number {
  return (bytes.length - HEADER_LENGTH) >>> 2;
}

/** The `index`-th sequence number of a well-formed SRTLA ACK (no allocation). */
export function peekSrtlaAckSeq(bytes: Uint8Array, index: number): number {
  return readU32(bytes, HEADER_LENGTH + 4 * index) & SEQ_MAX;
}

/** The sequence numbers an SRTLA ACK acknowledges. */
export function decodeSrtlaAck(bytes: Uint8Array): number[] {
  if (bytes.length < HEADER_LENGTH) throw new WireDecodeError(WHAT, 0, 'shorter than 4 bytes');
  if (readU16(bytes, 0) !== SRTLA_TYPE.ACK) throw new WireDecodeError(WHAT, 0, 'wrong type');
  if ((bytes.length - HEADER_LENGTH) % 4 !== 0) {
    throw new WireDecodeError(WHAT, HEADER_LENGTH, 'body is not a whole number of u32');
  }
  const count = srtlaAckCount(bytes);
  const seqs = new Array<number>(count);
  for (let index = 0; index < count; index++) seqs[index] = peekSrtlaAckSeq(bytes, index);
  return seqs;
}

/** Encodes an SRTLA ACK carrying `seqs` (any count; receivers send 10). */
export function encodeSrtlaAck(seqs: readonly number[]): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + 4 * seqs.length);
  writeSrtlaAck(out, seqs, seqs.length);
  return out;
}

/**
 * Writes an SRTLA ACK with the first `count` of `seqs` into `out` (which must hold 4 + 4 * count
 * bytes) and returns its length. For a receiver's hot path: reuse one buffer, allocate nothing.
 */
export function writeSrtlaAck(out: Uint8Array, seqs: ArrayLike<number>, count: number): number {
  writeU16(out, 0, SRTLA_TYPE.ACK);
  writeU16(out, 2, 0);
  for (let index = 0; index < count; index++) {
    writeU32(out, HEADER_LENGTH + 4 * index, (seqs[index] ?? 0) & SEQ_MAX);
  }
  return HEADER_LENGTH + 4 * count;
}
