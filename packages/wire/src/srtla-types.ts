/**
 * SRTLA packet types and sizes (protocol.md section 2). SRTLA lives in SRT's control space at types
 * 0x1000-0x1FFF, so every SRTLA datagram's first u16 is in 0x9000-0x9FFF.
 */

/** First u16 of each SRTLA packet. */
export const SRTLA_TYPE = {
  KEEPALIVE: 0x9000,
  ACK: 0x9100,
  REG1: 0x9200,
  REG2: 0x9201,
  REG3: 0x9202,
  REG_ERR: 0x9210,
  REG_NGP: 0x9211,
  REG_NAK: 0x9212,
} as const;

/** Lowest and highest first u16 of the SRTLA range. */
export const SRTLA_TYPE_MIN = 0x9000;
export const SRTLA_TYPE_MAX = 0x9fff;

/** 256: sender ids and group ids are 256 bytes. */
export const SRTLA_ID_LENGTH = 256;
/** 128: a group id is the sender's first 128 bytes followed by 128 of the receiver's. */
export const SRTLA_ID_HALF_LENGTH = 128;
/** 258: REG1 and REG2 are recognised only at exactly this length (type + id). */
export const SRTLA_REG_LENGTH = 2 + SRTLA_ID_LENGTH;
/** 32: receivers pad short replies to this, because some carrier NATs drop tiny datagrams. */
export const SRTLA_PADDED_REPLY_LENGTH = 32;
/** 10: every SRTLA receiver acknowledges per 10 data packets, so an SRTLA ACK carries 10 seqs. */
export const SRTLA_ACK_SEQS_PER_ACK = 10;
/** 44: length of an SRTLA ACK carrying {@link SRTLA_ACK_SEQS_PER_ACK} sequence numbers. */
export const SRTLA_ACK_LENGTH = 4 + 4 * SRTLA_ACK_SEQS_PER_ACK;

/** True when a first u16 lies in the SRTLA range. */
export function isSrtlaType(firstU16: number): boolean {
  return firstU16 >= SRTLA_TYPE_MIN && firstU16 <= SRTLA_TYPE_MAX;
}
