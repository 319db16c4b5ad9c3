/**
 * Classifies any datagram by its first bytes and length (protocol.md section 2), without
 * allocating: the first thing both engines do with every datagram.
 *
 * | first u16 / bit       | length                 | kind              |
 * |-----------------------|------------------------|-------------------|
 * | 0x9000                | >= 2                   | SrtlaKeepalive    |
 * | 0x9100                | 4 + 4k                 | SrtlaAck          |
 * | 0x9200, 0x9201        | exactly 258            | SrtlaReg1, Reg2   |
 * | 0x9202, 0x9210-0x9212 | >= 2                   | SrtlaReg3/Err/Ngp/Nak |
 * | other 0x9xxx          | any (or a bad length)  | SrtlaUnknown      |
 * | bit 31 = 0            | >= 16                  | SrtData           |
 * | bit 31 = 1            | >= 16                  | SrtControl        |
 * | anything else         |                        | Unknown           |
 */
import { readU16 } from './byte-order.js';
import { SRT_HEADER_LENGTH } from './srt-packet.js';
import { isSrtlaAck } from './srtla-ack.js';
import { SRTLA_REG_LENGTH, SRTLA_TYPE, isSrtlaType } from './srtla-types.js';

export const DatagramKind = {
  /** Too short to be SRT, or otherwise unrecognisable: drop. */
  Unknown: 0,
  SrtData: 1,
  /** An SRT control packet (handshake, ACK, NAK, keepalive, shutdown...). */
  SrtControl: 2,
  SrtlaKeepalive: 3,
  SrtlaAck: 4,
  SrtlaReg1: 5,
  SrtlaReg2: 6,
  SrtlaReg3: 7,
  SrtlaRegErr: 8,
  SrtlaRegNgp: 9,
  SrtlaRegNak: 10,
  /** In the SRTLA range but not a type bond knows (or a REG1/REG2/ACK of the wrong length): never forward. */
  SrtlaUnknown: 11,
} as const;
export type DatagramKind = (typeof DatagramKind)[keyof typeof DatagramKind];

/** Human-readable names of {@link DatagramKind} values, for logs and stats. */
export const DATAGRAM_KIND_NAMES: Readonly<Record<DatagramKind, string>> = {
  0: 'unknown',
  1: 'srt-data',
  2: 'srt-control',
  3: 'srtla-keepalive',
  4: 'srtla-ack',
  5: 'srtla-reg1',
  6: 'srtla-reg2',
  7: 'srtla-reg3',
  8: 'srtla-reg-err',
  9: 'srtla-reg-ngp',
  10: 'srtla-reg-nak',
  11: 'srtla-unknown',
};

export function classifyDatagram(bytes: Uint8Array): DatagramKind {
  const length = bytes.length;
  if (length < 2) return DatagramKind.Unknown;
  const first = readU16(bytes, 0);
  if (isSrtlaType(first)) {
    switch (first) {
      case SRTLA_TYPE.KEEPALIVE:
        return DatagramKind.SrtlaKeepalive;
      case SRTLA_TYPE.ACK:
        return isSrtlaAck(bytes) ? DatagramKind.SrtlaAck : DatagramKind.SrtlaUnknown;
      case SRTLA_TYPE.REG1:
        return length === SRTLA_REG_LENGTH ? DatagramKind.SrtlaReg1 : DatagramKind.SrtlaUnknown;
      case SRTLA_TYPE.REG2:
        return length === SRTLA_REG_LENGTH ? DatagramKind.SrtlaReg2 : DatagramKind.SrtlaUnknown;
      case SRTLA_TYPE.REG3:
        return DatagramKind.SrtlaReg3;
      case SRTLA_TYPE.REG_ERR:
        return DatagramKind.SrtlaRegErr;
      case SRTLA_TYPE.REG_NGP:
        return DatagramKind.SrtlaRegNgp;
      case SRTLA_TYPE.REG_NAK:
        return DatagramKind.SrtlaRegNak;
      default:
        return DatagramKind.SrtlaUnknown;
    }
  }
  if (length < SRT_HEADER_LENGTH) return DatagramKind.Unknown;
  return (first & 0x8000) === 0 ? DatagramKind.SrtData : DatagramKind.SrtControl;
}
