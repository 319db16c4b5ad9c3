/**
 * Any SRTLA packet as one tagged union, for code that handles them all in one place (tests, tools,
 * logs). Hot paths use {@link classifyDatagram} and the per-type functions instead.
 */
import { decodeSrtlaAck, encodeSrtlaAck } from './srtla-ack.js';
import { decodeKeepalive, encodeKeepalive, type SrtlaKeepalive } from './srtla-keepalive.js';
import {
  decodeReg1,
  decodeReg2,
  decodeRegNak,
  encodeReg1,
  encodeReg2,
  encodeRegNak,
  encodeTypeOnly,
  type PadOptions,
} from './srtla-registration.js';
import { SRTLA_TYPE } from './srtla-types.js';
import { DatagramKind, classifyDatagram } from './classify.js';
import { WireDecodeError } from './errors.js';

export type SrtlaPacket =
  | { readonly type: 'keepalive'; readonly keepalive: SrtlaKeepalive }
  | { readonly type: 'ack'; readonly seqs: readonly number[] }
  | { readonly type: 'reg1'; readonly senderId: Uint8Array }
  | { readonly type: 'reg2'; readonly groupId: Uint8Array }
  | { readonly type: 'reg3' }
  | { readonly type: 'reg-err' }
  | { readonly type: 'reg-ngp' }
  | { readonly type: 'reg-nak'; readonly reason: string };

/** Decodes any SRTLA packet. Throws WireDecodeError for anything else or a malformed one. */
export function decodeSrtla(bytes: Uint8Array): SrtlaPacket {
  switch (classifyDatagram(bytes)) {
    case DatagramKind.SrtlaKeepalive:
      return { type: 'keepalive', keepalive: decodeKeepalive(bytes) };
    case DatagramKind.SrtlaAck:
      return { type: 'ack', seqs: decodeSrtlaAck(bytes) };
    case DatagramKind.SrtlaReg1:
      return { type: 'reg1', senderId: decodeReg1(bytes) };
    case DatagramKind.SrtlaReg2:
      return { type: 'reg2', groupId: decodeReg2(bytes) };
    case DatagramKind.SrtlaReg3:
      return { type: 'reg3' };
    case DatagramKind.SrtlaRegErr:
      return { type: 'reg-err' };
    case DatagramKind.SrtlaRegNgp:
      return { type: 'reg-ngp' };
    case DatagramKind.SrtlaRegNak:
      return { type: 'reg-nak', reason: decodeRegNak(bytes) };
    case DatagramKind.SrtlaUnknown:
      throw new WireDecodeError('SRTLA packet', 0, 'unknown SRTLA type or malformed length');
    default:
      throw new WireDecodeError('SRTLA packet', 0, 'not an SRTLA packet');
  }
}

/** Encodes any SRTLA packet. `padTo` applies to the short forms (replies and keepalives). */
export function encodeSrtla(packet: SrtlaPacket, options: PadOptions = {}): Uint8Array {
  switch (packet.type) {
    case 'keepalive':
      return encodeKeepalive(packet.keepalive, options);
    case 'ack':
      return encodeSrtlaAck(packet.seqs);
    case 'reg1':
      return encodeReg1(packet.senderId);
    case 'reg2':
      return encodeReg2(packet.groupId);
    case 'reg3':
      return encodeTypeOnly(SRTLA_TYPE.REG3, options);
    case 'reg-err':
      return encodeTypeOnly(SRTLA_TYPE.REG_ERR, options);
    case 'reg-ngp':
      return encodeTypeOnly(SRTLA_TYPE.REG_NGP, options);
    case 'reg-nak':
      return encodeRegNak(packet.reason, options);
  }
}
