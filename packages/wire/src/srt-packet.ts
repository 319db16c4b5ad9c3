/**
 * SRT's 16-byte packet header, data and control (protocol.md section 3).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|                    Packet Sequence Number                   |  data
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |PP |O|KK |R|                  Message Number                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |1|        Control Type         |            Subtype            |  control
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Type-specific Information                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Timestamp (microseconds)                   |  both
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Destination SRT Socket ID                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * The first u16 of a control packet is `0x8000 | type`; this module calls that whole u16 the
 * control type (`SRT_CONTROL.ACK === 0x8002`), as protocol.md does.
 */
import { readU16, readU32, viewOf, writeU32 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SEQ_MAX } from './seq.js';

/** Bytes in an SRT header; anything shorter is not SRT. */
export const SRT_HEADER_LENGTH = 16;

/** Offsets of the header words. */
export const SRT_OFFSET = {
  word0: 0,
  word1: 4,
  timestamp: 8,
  destinationSocketId: 12,
  body: 16,
} as const;

/** SRT control types, as the packet's first u16 (`0x8000 | type`). */
export const SRT_CONTROL = {
  HANDSHAKE: 0x8000,
  KEEPALIVE: 0x8001,
  ACK: 0x8002,
  NAK: 0x8003,
  CONGESTION: 0x8004,
  SHUTDOWN: 0x8005,
  ACKACK: 0x8006,
  DROPREQ: 0x8007,
  PEERERROR: 0x8008,
  USER_DEFINED: 0xffff,
} as const;

// Bit 31 of word 0: 1 for control, 0 for data.
const CONTROL_FLAG = 0x80;
// Word 1 of a data packet, byte 4: PP (0xC0), O (0x20), KK (0x18), R (0x04), msgno high bits (0x03).
const MESSAGE_NUMBER_MASK = 0x03ffffff;

/** The header of an SRT data packet. */
export interface SrtDataHeader {
  /** 31-bit packet sequence number. */
  readonly seq: number;
  /** PP: 0b10 first, 0b00 middle, 0b01 last, 0b11 solo packet of a message. */
  readonly packetPosition: number;
  /** O: deliver in order. */
  readonly inOrder: boolean;
  /** KK: 0 unencrypted, 1 even key, 2 odd key. */
  readonly encryptionKey: number;
  /** R: this packet is a retransmission. */
  readonly retransmitted: boolean;
  /** 26-bit message number. */
  readonly messageNumber: number;
  /** Microseconds since the SRT connection started, sender clock (u32, wraps). */
  readonly timestamp: number;
  readonly destinationSocketId: number;
}

/** The header of an SRT control packet, with its body (everything after byte 16). */
export interface SrtControlPacket {
  /** `0x8000 | type`, see {@link SRT_CONTROL}. */
  readonly controlType: number;
  readonly subtype: number;
  readonly typeSpecific: number;
  readonly timestamp: number;
  readonly destinationSocketId: number;
  /** Bytes after the header; a view into the decoded datagram. */
  readonly body: Uint8Array;
}

/** True when `bytes` is long enough to be SRT and is a data packet. */
export function isSrtData(bytes: Uint8Array): boolean {
  return bytes.length >= SRT_HEADER_LENGTH && ((bytes[0] ?? 0) & CONTROL_FLAG) === 0;
}

/** True when `bytes` is long enough to be SRT and is a control packet (SRTLA types included). */
export function isSrtControl(bytes: Uint8Array): boolean {
  return bytes.length >= SRT_HEADER_LENGTH && ((bytes[0] ?? 0) & CONTROL_FLAG) !== 0;
}

/** The sequence number of a data packet. Call only after {@link isSrtData}. */
export function peekSrtDataSeq(bytes: Uint8Array): number {
  return readU32(bytes, SRT_OFFSET.word0) & SEQ_MAX;
}

/** The R flag of a data packet. Call only after {@link isSrtData}. */
export function peekSrtRetransmitted(bytes: Uint8Array): boolean {
  return ((bytes[SRT_OFFSET.word1] ?? 0) & 0x04) !== 0;
}

/** The first u16 (`0x8000 | type` for control). Call only on 2 bytes or more. */
export function peekSrtControlType(bytes: Uint8Array): number {
  return readU16(bytes, 0);
}

/** The header timestamp (microseconds, sender clock). Call only on 16 bytes or more. */
export function peekSrtTimestamp(bytes: Uint8Array): number {
  return readU32(bytes, SRT_OFFSET.timestamp);
}

/**
 * The destination socket id (the SRT socket the packet is addressed to: in the listener's packets,
 * the caller's). Call only on 16 bytes or more.
 */
export function peekSrtDestinationSocketId(bytes: Uint8Array): number {
  return readU32(bytes, SRT_OFFSET.destinationSocketId);
}

/** Decodes the header of an SRT data packet. */
export function decodeSrtDataHeader(bytes: Uint8Array): SrtDataHeader {
  if (bytes.length < SRT_HEADER_LENGTH) {
    throw new WireDecodeError('SRT data packet', bytes.length, 'shorter than the 16-byte header');
  }
  const view = viewOf(bytes);
  const word0 = view.getUint32(SRT_OFFSET.word0);
  if (word0 > SEQ_MAX) throw new WireDecodeError('SRT data packet', 0, 'control flag is set');
  const word1 = view.getUint32(SRT_OFFSET.word1);
  return {
    seq: word0,
    packetPosition: word1 >>> 30,
    inOrder: ((word1 >>> 29) & 1) === 1,
    encryptionKey: (word1 >>> 27) & 3,
    retransmitted: ((word1 >>> 26) & 1) === 1,
    messageNumber: word1 & MESSAGE_NUMBER_MASK,
    timestamp: view.getUint32(SRT_OFFSET.timestamp),
    destinationSocketId: view.getUint32(SRT_OFFSET.destinationSocketId),
  };
}

/** Encodes an SRT data packet: the header followed by `payload`. Fields are masked to their width. */
export function encodeSrtData(header: SrtDataHeader, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SRT_HEADER_LENGTH + payload.length);
  const word1 =
    ((header.packetPosition & 3) << 30) |
    ((header.inOrder ? 1 : 0) << 29) |
    ((header.encryptionKey & 3) << 27) |
    ((header.retransmitted ? 1 : 0) << 26) |
    (header.messageNumber & MESSAGE_NUMBER_MASK);
  writeU32(out, SRT_OFFSET.word0, header.seq & SEQ_MAX);
  writeU32(out, SRT_OFFSET.word1, word1);
  writeU32(out, SRT_OFFSET.timestamp, header.timestamp);
  writeU32(out, SRT_OFFSET.destinationSocketId, header.destinationSocketId);
  out.set(payload, SRT_HEADER_LENGTH);
  return out;
}

/** Decodes any SRT control packet into its header and body. */
export function decodeSrtControl(bytes: Uint8Array, what = 'SRT control packet'): SrtControlPacket {
  if (bytes.length < SRT_HEADER_LENGTH) {
    throw new WireDecodeError(what, bytes.length, 'shorter than the 16-byte header');
  }
  const view = viewOf(bytes);
  const controlType = view.getUint16(0);
  if ((controlType & 0x8000) === 0) throw new WireDecodeError(what, 0, 'control flag is clear');
  return {
    controlType,
    subtype: view.getUint16(2),
    typeSpecific: view.getUint32(SRT_OFFSET.word1),
    timestamp: view.getUint32(SRT_OFFSET.timestamp),
    destinationSocketId: view.getUint32(SRT_OFFSET.destinationSocketId),
    body: bytes.subarray(SRT_HEADER_LENGTH),
  };
}

/** Encodes an SRT control packet. `controlType` always gets the control flag. */
export function encodeSrtControl(packet: SrtControlPacket): Uint8Array {
  const out = new Uint8Array(SRT_HEADER_LENGTH + packet.body.length);
  writeU32(out, 0, (((packet.controlType | 0x8000) << 16) | (packet.subtype & 0xffff)) >>> 0);
  writeU32(out, SRT_OFFSET.word1, packet.typeSpecific);
  writeU32(out, SRT_OFFSET.timestamp, packet.timestamp);
  writeU32(out, SRT_OFFSET.destinationSocketId, packet.destinationSocketId);
  out.set(packet.body, SRT_HEADER_LENGTH);
  return out;
}

/** Decodes a control packet and checks that it is of `controlType`. */
export function decodeSrtControlOf(
  bytes: Uint8Array,
  controlType: number,
  what: string,
): SrtControlPacket {
  const packet = decodeSrtControl(bytes, what);
  if (packet.controlType !== controlType) {
    throw new WireDecodeError(
      what,
      0,
      `control type 0x${packet.controlType.toString(16)} is not 0x${controlType.toString(16)}`,
    );
  }
  return packet;
}
