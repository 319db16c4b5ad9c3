/**
 * SRT HANDSHAKE (control type 0x8000), the fixed 48-byte part after the header
 * (protocol.md section 3). Extension blocks after byte 64 are kept as raw bytes.
 *
 * ```
 * @16 u32 version        @20 u16 encryption field   @22 u16 extension field
 * @24 u32 initial packet sequence number             @28 u32 maximum transmission unit
 * @32 u32 maximum flow window size                   @36 u32 handshake type
 * @40 u32 SRT socket id  @44 u32 SYN cookie           @48 16 bytes peer IP address
 * @64 ... extension blocks (HSv5)
 * ```
 */
import { viewOf } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SRT_CONTROL, decodeSrtControlOf } from './srt-packet.js';

/** Length of a handshake without extensions. */
export const SRT_HANDSHAKE_LENGTH = 64;
const PEER_IP_LENGTH = 16;

/** Field offsets from the start of the datagram. */
export const SRT_HANDSHAKE_OFFSET = {
  version: 16,
  encryption: 20,
  extension: 22,
  initialSeq: 24,
  mtu: 28,
  flowWindow: 32,
  handshakeType: 36,
  socketId: 40,
  cookie: 44,
  peerIp: 48,
  extensions: 64,
} as const;

/** Handshake types. Values in [1000, 0x80000000) are rejections (see {@link isHandshakeRejection}). */
export const SRT_HANDSHAKE_TYPE = {
  WAVEAHAND: 0,
  INDUCTION: 1,
  DONE: 0xfffffffd,
  AGREEMENT: 0xfffffffe,
  CONCLUSION: 0xffffffff,
} as const;

export interface SrtHandshake {
  readonly timestamp: number;
  readonly destinationSocketId: number;
  readonly version: number;
  readonly encryption: number;
  readonly extension: number;
  readonly initialSeq: number;
  readonly mtu: number;
  readonly flowWindow: number;
  readonly handshakeType: number;
  readonly socketId: number;
  readonly cookie: number;
  /** 16 bytes: an IPv4 address occupies the first 4 (in SRT's own byte order). */
  readonly peerIp: Uint8Array;
  /** Everything after byte 64 (HSv5 extension blocks), possibly empty. */
  readonly extensions: Uint8Array;
}

/** True when a listener's `handshakeType` means it refused the caller (wrong stream id, passphrase...). */
export function isHandshakeRejection(handshakeType: number): boolean {
  return handshakeType >= 1000 && handshakeType < 0x80000000;
}

export function decodeSrtHandshake(bytes: Uint8Array): SrtHandshake {
  const packet = decodeSrtControlOf(bytes, SRT_CONTROL.HANDSHAKE, 'SRT handshake');
  if (bytes.length < SRT_HANDSHAKE_LENGTH) {
    throw new WireDecodeError('SRT handshake', bytes.length, 'shorter than 64 bytes');
  }
  const view = viewOf(bytes);
  const o = SRT_HANDSHAKE_OFFSET;
  return {
    timestamp: packet.timestamp,
    destinationSocketId: packet.destinationSocketId,
    version: view.getUint32(o.version),
    encryption: view.getUint16(o.encryption),
    extension: view.getUint16(o.extension),
    initialSeq: view.getUint32(o.initialSeq),
    mtu: view.getUint32(o.mtu),
    flowWindow: view.getUint32(o.flowWindow),
    handshakeType: view.getUint32(o.handshakeType),
    socketId: view.getUint32(o.socketId),
    cookie: view.getUint32(o.cookie),
    peerIp: bytes.slice(o.peerIp, o.peerIp + PEER_IP_LENGTH),
    extensions: bytes.slice(o.extensions),
  };
}

/** Encodes a handshake. `peerIp` is written into its 16 bytes (shorter is zero-filled, longer cut). */
export function encodeSrtHandshake(handshake: SrtHandshake): Uint8Array {
  const out = new Uint8Array(SRT_HANDSHAKE_LENGTH + handshake.extensions.length);
  const view = viewOf(out);
  const o = SRT_HANDSHAKE_OFFSET;
  view.setUint16(0, SRT_CONTROL.HANDSHAKE);
  view.setUint32(8, handshake.timestamp >>> 0);
  view.setUint32(12, handshake.destinationSocketId >>> 0);
  view.setUint32(o.version, handshake.version >>> 0);
  view.setUint16(o.encryption, handshake.encryption & 0xffff);
  view.setUint16(o.extension, handshake.extension & 0xffff);
  view.setUint32(o.initialSeq, handshake.initialSeq >>> 0);
  view.setUint32(o.mtu, handshake.mtu >>> 0);
  view.setUint32(o.flowWindow, handshake.flowWindow >>> 0);
  view.setUint32(o.handshakeType, handshake.handshakeType >>> 0);
  view.setUint32(o.socketId, handshake.socketId >>> 0);
  view.setUint32(o.cookie, handshake.cookie >>> 0);
  out.set(handshake.peerIp.subarray(0, PEER_IP_LENGTH), o.peerIp);
  out.set(handshake.extensions, o.extensions);
  return out;
}

/**
 * The induction handshake a receiver may send to probe its SRT listener (version 4, extension
 * field 2, type INDUCTION), as real receivers send it: every other field zero.
 */
export function encodeSrtInductionProbe(): Uint8Array {
  return encodeSrtHandshake({
    timestamp: 0,
    destinationSocketId: 0,
    version: 4,
    encryption: 0,
    extension: 2,
    initialSeq: 0,
    mtu: 0,
    flowWindow: 0,
    handshakeType: SRT_HANDSHAKE_TYPE.INDUCTION,
    socketId: 0,
    cookie: 0,
    peerIp: new Uint8Array(PEER_IP_LENGTH),
    extensions: new Uint8Array(0),
  });
}
