/**
 * SRT ACK (control type 0x8002): "every seq strictly before `ackSeq` has arrived".
 *
 * ```
 * bytes 0-15   SRT control header; type-specific word = ACK number (0 in a light ACK)
 * @16 u32      last acknowledged sequence number (the next expected seq)      light ACK ends: 20
 * @20 u32      RTT, microseconds
 * @24 u32      RTT variance, microseconds
 * @28 u32      available receive buffer, packets
 * @32 u32      packets receiving rate, packets per second
 * @36 u32      estimated link capacity, packets per second
 * @40 u32      receiving rate, bytes per second                               full ACK ends: 44
 * ```
 *
 * The optional fields are present in the order above, as far as the datagram reaches.
 */
import { readU32, writeU32 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SEQ_MAX } from './seq.js';
import { SRT_CONTROL, SRT_HEADER_LENGTH, decodeSrtControlOf } from './srt-packet.js';

/** Offset of the ACK number (the control header's type-specific word). */
const SRT_TYPE_SPECIFIC_OFFSET = 4;
/** Offset of the acknowledged sequence number. */
export const SRT_ACK_SEQ_OFFSET = 16;
/** Length of a light ACK (header and sequence number only). */
export const SRT_LIGHT_ACK_LENGTH = 20;
/** Length of a full ACK. */
export const SRT_FULL_ACK_LENGTH = 44;

const OPTIONAL_FIELDS = [
  'rttUs',
  'rttVarianceUs',
  'availableBufferPackets',
  'packetsReceivingRate',
  'linkCapacityPacketsPerSec',
  'receivingRateBytesPerSec',
] as const;

export interface SrtAck {
  /** The ACK number (type-specific word); 0 for a light ACK. */
  readonly ackNumber: number;
  readonly timestamp: number;
  readonly destinationSocketId: number;
  /** Every sequence number strictly before this one has arrived. */
  readonly ackSeq: number;
  readonly rttUs?: number;
  readonly rttVarianceUs?: number;
  readonly availableBufferPackets?: number;
  readonly packetsReceivingRate?: number;
  readonly linkCapacityPacketsPerSec?: number;
  readonly receivingRateBytesPerSec?: number;
}

/** The acknowledged sequence number of an SRT ACK, without decoding the rest. Needs 20 bytes. */
export function peekSrtAckSeq(bytes: Uint8Array): number {
  return readU32(bytes, SRT_ACK_SEQ_OFFSET) & SEQ_MAX;
}

/** The ACK number of an SRT ACK (its type-specific word; 0 in a light ACK), without decoding. */
export function peekSrtAckNumber(bytes: Uint8Array): number {
  return readU32(bytes, SRT_TYPE_SPECIFIC_OFFSET);
}

export function decodeSrtAck(bytes: Uint8Array): SrtAck {
  const packet = decodeSrtControlOf(bytes, SRT_CONTROL.ACK, 'SRT ACK');
  if (bytes.length < SRT_LIGHT_ACK_LENGTH) {
    throw new WireDecodeError('SRT ACK', bytes.length, 'no acknowledged sequence number');
  }
  const ack: Record<string, number> = {
    ackNumber: packet.typeSpecific,
    timestamp: packet.timestamp,
    destinationSocketId: packet.destinationSocketId,
    ackSeq: peekSrtAckSeq(bytes),
  };
  let offset = SRT_LIGHT_ACK_LENGTH;
  for (const field of OPTIONAL_FIELDS) {
    if (offset + 4 > bytes.length) break;
    ack[field] = readU32(bytes, offset);
    offset += 4;
  }
  return ack as unknown as SrtAck;
}

/**
 * Encodes an SRT ACK. Optional fields are written up to the last one present; any missing before
 * it are written as 0.
 */
export function encodeSrtAck(ack: SrtAck): Uint8Array {
  let count = 0;
  OPTIONAL_FIELDS.forEach((field, index) => {
    if (ack[field] !== undefined) count = index + 1;
  });
  const out = new Uint8Array(SRT_LIGHT_ACK_LENGTH + 4 * count);
  writeU32(out, 0, (SRT_CONTROL.ACK << 16) >>> 0);
  writeU32(out, 4, ack.ackNumber);
  writeU32(out, 8, ack.timestamp);
  writeU32(out, 12, ack.destinationSocketId);
  writeU32(out, SRT_HEADER_LENGTH, ack.ackSeq & SEQ_MAX);
  for (let index = 0; index < count; index++) {
    const field = OPTIONAL_FIELDS[index];
    writeU32(out, SRT_LIGHT_ACK_LENGTH + 4 * index, field === undefined ? 0 : (ack[field] ?? 0));
  }
  return out;
}
