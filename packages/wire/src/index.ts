/**
 * @bond/wire: every datagram bond speaks, byte-exact.
 *
 * Codecs for SRT's header and the SRT control packets SRTLA reads (ACK, NAK, handshake, shutdown),
 * every SRTLA v2 packet (registration, ACK, keepalive in all forms) and bond's protobuf telemetry
 * trailer; wrap-aware 31-bit sequence arithmetic; classification of any datagram; the {@link Address}
 * value (IP and port, with a numeric lookup key) every layer names a peer with. Everything takes
 * and returns `Uint8Array`. Decoders throw only {@link WireDecodeError} and never read out of
 * bounds; encoders are total. No sockets, no clock, no state.
 *
 * ```ts
 * import { classifyDatagram, DatagramKind, decodeSrtNak, expandLossList, seqLessThan } from '@bond/wire';
 *
 * if (classifyDatagram(bytes) === DatagramKind.SrtControl) {
 *   const nak = decodeSrtNak(bytes);          // throws WireDecodeError on a malformed list
 *   for (const seq of expandLossList(nak.ranges)) markLost(seq);
 * }
 * seqLessThan(0x7fffffff, 0);                 // true: 0 follows 0x7fffffff
 * ```
 *
 * @packageDocumentation
 */

export { BondError, WireDecodeError } from './errors.js';

export { bytesToHex, hexToBytes } from './hex.js';

export { printableText } from './printable.js';

export { Address, IPV6_KEY_BASE, addressKey, type AddressFamily } from './address.js';

export {
  SEQ_HALF,
  SEQ_MAX,
  SEQ_MODULUS,
  isSeq,
  seqAdd,
  seqCompare,
  seqDistance,
  seqLessOrEqual,
  seqLessThan,
  seqMax,
  seqMin,
} from './seq.js';

export { DATAGRAM_KIND_NAMES, DatagramKind, classifyDatagram } from './classify.js';

export {
  SRT_CONTROL,
  SRT_HEADER_LENGTH,
  SRT_OFFSET,
  decodeSrtControl,
  decodeSrtControlOf,
  decodeSrtDataHeader,
  encodeSrtControl,
  encodeSrtData,
  isSrtControl,
  isSrtData,
  peekSrtControlType,
  peekSrtDataSeq,
  peekSrtRetransmitted,
  peekSrtTimestamp,
  peekSrtDestinationSocketId,
  type SrtControlPacket,
  type SrtDataHeader,
} from './srt-packet.js';

export {
  SRT_ACK_SEQ_OFFSET,
  SRT_FULL_ACK_LENGTH,
  SRT_LIGHT_ACK_LENGTH,
  decodeSrtAck,
  encodeSrtAck,
  peekSrtAckNumber,
  peekSrtAckSeq,
  type SrtAck,
} from './srt-ack.js';

export {
  NAK_EXPANSION_LIMIT,
  SRT_NAK_LIST_OFFSET,
  decodeSrtNak,
  encodeSrtNak,
  expandLossList,
  forEachLostSeq,
  type SeqRange,
  type SrtNak,
} from './srt-nak.js';

export {
  SRT_HANDSHAKE_LENGTH,
  SRT_HANDSHAKE_OFFSET,
  SRT_HANDSHAKE_TYPE,
  decodeSrtHandshake,
  encodeSrtHandshake,
  encodeSrtInductionProbe,
  isHandshakeRejection,
  type SrtHandshake,
} from './srt-handshake.js';

export {
  SRT_HANDSHAKE_EXTENSION,
  SRT_HANDSHAKE_EXTENSION_FLAG,
  SRT_STREAM_ID_MAX_BYTES,
  decodeSrtHandshakeExtensions,
  decodeSrtStreamIdContents,
  encodeSrtStreamIdExtension,
  readSrtStreamId,
  type SrtHandshakeExtension,
} from './srt-stream-id.js';

export {
  SRT_REJECTIONS,
  SRT_REJECTION_BASE,
  describeSrtRejection,
  peekSrtHandshakeType,
  type SrtRejection,
  type SrtRejectionName,
} from './srt-rejection.js';

export {
  SRT_SHUTDOWN_LENGTH,
  decodeSrtShutdown,
  encodeSrtShutdown,
  type SrtShutdown,
} from './srt-shutdown.js';

export {
  SRTLA_ACK_LENGTH,
  SRTLA_ACK_SEQS_PER_ACK,
  SRTLA_ID_HALF_LENGTH,
  SRTLA_ID_LENGTH,
  SRTLA_PADDED_REPLY_LENGTH,
  SRTLA_REG_LENGTH,
  SRTLA_TYPE,
  SRTLA_TYPE_MAX,
  SRTLA_TYPE_MIN,
  isSrtlaType,
} from './srtla-types.js';

export {
  constantTimeEqual,
  decodeReg1,
  decodeReg2,
  decodeRegNak,
  encodeReg1,
  encodeReg2,
  encodeReg3,
  encodeRegErr,
  encodeRegNak,
  encodeRegNgp,
  encodeTypeOnly,
  groupIdMatchesSender,
  type PadOptions,
} from './srtla-registration.js';

export {
  decodeSrtlaAck,
  encodeSrtlaAck,
  isSrtlaAck,
  peekSrtlaAckSeq,
  srtlaAckCount,
  writeSrtlaAck,
} from './srtla-ack.js';

export {
  CONNECTION_INFO_LIMITS,
  KEEPALIVE_BARE_LENGTH,
  KEEPALIVE_EXTENDED_LENGTH,
  KEEPALIVE_EXTENDED_MAGIC,
  KEEPALIVE_EXTENDED_VERSION,
  KEEPALIVE_MAX_RTT_MS,
  KEEPALIVE_OFFSET,
  KEEPALIVE_TIMESTAMPED_LENGTH,
  clampConnectionInfo,
  decodeKeepalive,
  encodeKeepalive,
  encodeKeepaliveEcho,
  isExtendedKeepalive,
  peekKeepaliveTimestamp,
  type KeepaliveConnectionInfo,
  type SrtlaKeepalive,
} from './srtla-keepalive.js';

export {
  BOND_LINK_NAME_MAX_BYTES,
  BOND_TRAILER_HEADER_LENGTH,
  BOND_TRAILER_MAGIC,
  BOND_TRAILER_MAX_LENGTH,
  BOND_TRAILER_OFFSET,
  BOND_TRAILER_VERSION,
  RECEIVER_CAPABILITY,
  SENDER_CAPABILITY,
  decodeBondTrailerAt,
  decodeBondTrailerMessage,
  encodeBondTrailer,
  encodeBondTrailerMessage,
  truncateLinkName,
  displayLinkName,
  type BondTrailer,
  type InterfaceKind,
  type ReceiverReport,
  type SenderTelemetry,
} from './bond-trailer.js';

export { decodeSrtla, encodeSrtla, type SrtlaPacket } from './srtla-packet.js';
