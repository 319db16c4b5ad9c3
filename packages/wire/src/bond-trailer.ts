/**
 * bond's telemetry trailer (protocol.md section 5.1): a protobuf `BondTrailer` after an extended
 * keepalive v1, framed by a 6-byte header.
 *
 * ```
 * @38 u16 0xB04D  trailer magic
 * @40 u8  1       trailer version
 * @41 u8  0       reserved
 * @42 u16 L       length of the protobuf message
 * @44 L bytes     protobuf bond.wire.v1.BondTrailer (proto/bond-trailer.proto)
 * ```
 *
 * The protobuf schema is the source of truth for fields and units; these types mirror it with
 * plain numbers (64-bit counters are exact up to 2^53).
 */
import { readU16, writeU16 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { printableText } from './printable.js';
import { bond } from './generated/bond-trailer.js';

const pb = bond.wire.v1;

/** Offset of the trailer header in a keepalive (right after the 38-byte extended v1). */
export const BOND_TRAILER_OFFSET = 38;
/** 0xB04D: trailer magic. */
export const BOND_TRAILER_MAGIC = 0xb04d;
/** The trailer version this code writes and reads. Other versions are ignored. */
export const BOND_TRAILER_VERSION = 1;
/** Bytes of trailer header before the protobuf message. */
export const BOND_TRAILER_HEADER_LENGTH = 6;
/** 1200: trailer header and message together must fit in this many bytes. */
export const BOND_TRAILER_MAX_LENGTH = 1200;
/** 64: longest link name, in UTF-8 bytes, that the encoder writes (longer names are cut). */
export const BOND_LINK_NAME_MAX_BYTES = 64;

export type InterfaceKind = 'unspecified' | 'cellular' | 'wifi' | 'ethernet' | 'other';
const INTERFACE_KINDS: readonly InterfaceKind[] = [
  'unspecified',
  'cellular',
  'wifi',
  'ethernet',
  'other',
];

const INTERFACE_KIND_CODES: Readonly<Record<InterfaceKind, bond.wire.v1.InterfaceKind>> = {
  unspecified: pb.InterfaceKind.INTERFACE_KIND_UNSPECIFIED,
  cellular: pb.InterfaceKind.INTERFACE_KIND_CELLULAR,
  wifi: pb.InterfaceKind.INTERFACE_KIND_WIFI,
  ethernet: pb.InterfaceKind.INTERFACE_KIND_ETHERNET,
  other: pb.InterfaceKind.INTERFACE_KIND_OTHER,
};

/** Bits of {@link SenderTelemetry.capabilities}. */
export const SENDER_CAPABILITY = {
  /** The sender reads ReceiverReport.advisoryWeightPermille. */
  ADVISORY_WEIGHT: 1,
} as const;

/** Bits of {@link ReceiverReport.capabilities}. */
export const RECEIVER_CAPABILITY = {
  /** The receiver reorders SRT data before the SRT listener sees it. */
  REORDER: 1,
  /** The receiver scores links; score and advisory weight are meaningful. */
  EVALUATOR: 2,
} as const;

/** The sender's view of one link. Units as in proto/bond-trailer.proto. */
export interface SenderTelemetry {
  readonly linkId: number;
  readonly linkName: string;
  readonly interfaceKind: InterfaceKind;
  /** Percent: 100 normal, 0 disables. */
  readonly priority: number;
  readonly srttUs: number;
  readonly rttvarUs: number;
  /** x1000 units. */
  readonly window: number;
  /** Packets. */
  readonly inFlight: number;
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly packetsNaked: number;
  readonly packetsRetransmitted: number;
  readonly sendRateBytesPerSec: number;
  /** Per mille, 0-1000. */
  readonly sharePermille: number;
  readonly capabilities: number;
}

/** The receiver's view of one link. Units as in proto/bond-trailer.proto. */
export interface ReceiverReport {
  readonly linkId: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  readonly deliveryRateBytesPerSec: number;
  readonly queueingDelayUs: number;
  readonly delayOffsetUs: number;
  readonly gaps: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly maxReorderDistance: number;
  /** Per mille: 0 unusable, 1000 perfect, 500 unknown. */
  readonly scorePermille: number;
  /** Per mille, 0-1000. */
  readonly advisoryWeightPermille: number;
  readonly capabilities: number;
}

/** A decoded trailer: who sent it, or `none` for a body this version does not know. */
export type BondTrailer =
  | { readonly body: 'sender'; readonly sender: SenderTelemetry }
  | { readonly body: 'receiver'; readonly receiver: ReceiverReport }
  | { readonly body: 'none' };

const UINT32_MAX = 0xffffffff;

/** Clamps to an integer in [0, max]; NaN becomes 0. Keeps the encoder total. */
function clampUint(value: number, max: number): number {
  if (!(value > 0)) return 0;
  return value >= max ? max : Math.floor(value);
}
const u32 = (value: number) => clampUint(value, UINT32_MAX);
const u53 = (value: number) => clampUint(value, Number.MAX_SAFE_INTEGER);

/** A protobufjs 64-bit value: a number, or a Long when the `long` package is present. */
interface LongLike {
  toNumber(): number;
}
function toNumber(value: number | LongLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

const utf8Encoder = new TextEncoder();
// ignoreBOM: a name starting with U+FEFF keeps it when cut, so the cut stays a prefix.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Cuts `name` to at most {@link BOND_LINK_NAME_MAX_BYTES} UTF-8 bytes, on a character boundary. */
export function truncateLinkName(name: string): string {
  if (name.length * 3 <= BOND_LINK_NAME_MAX_BYTES) return name;
  const bytes = utf8Encoder.encode(name);
  if (bytes.length <= BOND_LINK_NAME_MAX_BYTES) return name;
  let end = BOND_LINK_NAME_MAX_BYTES;
  // Step back over UTF-8 continuation bytes (0b10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return utf8Decoder.decode(bytes.subarray(0, end));
}

/**
 * A link name from a peer's trailer as bond shows it (logs, stats, metrics labels): cut to
 * {@link BOND_LINK_NAME_MAX_BYTES} (a peer may send more than bond's encoder writes), unprintable
 * characters replaced ({@link printableText}), surrounding spaces trimmed; `undefined` when
 * nothing is left (the link is then known by its address).
 */
export function displayLinkName(name: string): string | undefined {
  const shown = printableText(truncateLinkName(name).trim());
  return shown === '' ? undefined : shown;
}

/** Encodes just the protobuf message of a trailer. */
export function encodeBondTrailerMessage(trailer: BondTrailer): Uint8Array {
  if (trailer.body === 'sender') {
    const s = trailer.sender;
    return pb.BondTrailer.encode({
      sender: {
        linkId: u32(s.linkId),
        linkName: truncateLinkName(s.linkName),
        interfaceKind: INTERFACE_KIND_CODES[s.interfaceKind],
        priority: u32(s.priority),
        srttUs: u32(s.srttUs),
        rttvarUs: u32(s.rttvarUs),
        window: u32(s.window),
        inFlight: u32(s.inFlight),
        packetsSent: u53(s.packetsSent),
        bytesSent: u53(s.bytesSent),
        packetsNaked: u53(s.packetsNaked),
        packetsRetransmitted: u53(s.packetsRetransmitted),
        sendRateBytesPerSec: u53(s.sendRateBytesPerSec),
        sharePermille: u32(s.sharePermille),
        capabilities: u32(s.capabilities),
      },
    }).finish();
  }
  if (trailer.body === 'receiver') {
    const r = trailer.receiver;
    return pb.BondTrailer.encode({
      receiver: {
        linkId: u32(r.linkId),
        packetsReceived: u53(r.packetsReceived),
        bytesReceived: u53(r.bytesReceived),
        deliveryRateBytesPerSec: u53(r.deliveryRateBytesPerSec),
        queueingDelayUs: u32(r.queueingDelayUs),
        delayOffsetUs: u32(r.delayOffsetUs),
        gaps: u53(r.gaps),
        duplicates: u53(r.duplicates),
        reordered: u53(r.reordered),
        maxReorderDistance: u32(r.maxReorderDistance),
        scorePermille: u32(r.scorePermille),
        advisoryWeightPermille: u32(r.advisoryWeightPermille),
        capabilities: u32(r.capabilities),
      },
    }).finish();
  }
  return pb.BondTrailer.encode({}).finish();
}

/** Decodes just the protobuf message of a trailer. Unknown fields are ignored. */
export function decodeBondTrailerMessage(message: Uint8Array, offset = 0): BondTrailer {
  let decoded: bond.wire.v1.BondTrailer;
  try {
    decoded = pb.BondTrailer.decode(message);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'undecodable';
    throw new WireDecodeError('bond trailer', offset, `protobuf: ${reason}`, { cause: error });
  }
  const { sender, receiver } = decoded;
  if (sender) {
    return {
      body: 'sender',
      sender: {
        linkId: sender.linkId ?? 0,
        linkName: sender.linkName ?? '',
        interfaceKind: INTERFACE_KINDS[sender.interfaceKind ?? 0] ?? 'other',
        priority: sender.priority ?? 0,
        srttUs: sender.srttUs ?? 0,
        rttvarUs: sender.rttvarUs ?? 0,
        window: sender.window ?? 0,
        inFlight: sender.inFlight ?? 0,
        packetsSent: toNumber(sender.packetsSent),
        bytesSent: toNumber(sender.bytesSent),
        packetsNaked: toNumber(sender.packetsNaked),
        packetsRetransmitted: toNumber(sender.packetsRetransmitted),
        sendRateBytesPerSec: toNumber(sender.sendRateBytesPerSec),
        sharePermille: sender.sharePermille ?? 0,
        capabilities: sender.capabilities ?? 0,
      },
    };
  }
  if (receiver) {
    return {
      body: 'receiver',
      receiver: {
        linkId: receiver.linkId ?? 0,
        packetsReceived: toNumber(receiver.packetsReceived),
        bytesReceived: toNumber(receiver.bytesReceived),
        deliveryRateBytesPerSec: toNumber(receiver.deliveryRateBytesPerSec),
        queueingDelayUs: receiver.queueingDelayUs ?? 0,
        delayOffsetUs: receiver.delayOffsetUs ?? 0,
        gaps: toNumber(receiver.gaps),
        duplicates: toNumber(receiver.duplicates),
        reordered: toNumber(receiver.reordered),
        maxReorderDistance: receiver.maxReorderDistance ?? 0,
        scorePermille: receiver.scorePermille ?? 0,
        advisoryWeightPermille: receiver.advisoryWeightPermille ?? 0,
        capabilities: receiver.capabilities ?? 0,
      },
    };
  }
  return { body: 'none' };
}

/** Encodes the trailer header and message (to be appended at byte 38 of a keepalive). */
export function encodeBondTrailer(trailer: BondTrailer): Uint8Array {
  const message = encodeBondTrailerMessage(trailer);
  const out = new Uint8Array(BOND_TRAILER_HEADER_LENGTH + message.length);
  writeU16(out, 0, BOND_TRAILER_MAGIC);
  out[2] = BOND_TRAILER_VERSION;
  out[3] = 0;
  writeU16(out, 4, message.length);
  out.set(message, BOND_TRAILER_HEADER_LENGTH);
  return out;
}

/**
 * Decodes the trailer of a keepalive, if it has one this version reads: `undefined` when the bytes
 * after the extended v1 part are absent, lack the magic, or carry another trailer version.
 * Throws WireDecodeError when a version-1 trailer is cut short or its message is not protobuf.
 */
export function decodeBondTrailerAt(keepalive: Uint8Array): BondTrailer | undefined {
  const start = BOND_TRAILER_OFFSET;
  if (keepalive.length < start + BOND_TRAILER_HEADER_LENGTH) return undefined;
  if (readU16(keepalive, start) !== BOND_TRAILER_MAGIC) return undefined;
  if (keepalive[start + 2] !== BOND_TRAILER_VERSION) return undefined;
  const length = readU16(keepalive, start + 4);
  const messageStart = start + BOND_TRAILER_HEADER_LENGTH;
  if (messageStart + length > keepalive.length) {
    throw new WireDecodeError(
      'bond trailer',
      start + 4,
      `message length ${length} runs past the datagram (${keepalive.length - messageStart} bytes left)`,
    );
  }
  return decodeBondTrailerMessage(
    keepalive.subarray(messageStart, messageStart + length),
    messageStart,
  );
}
