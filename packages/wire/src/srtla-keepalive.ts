/**
 * SRTLA KEEPALIVE (0x9000) in all its forms (protocol.md section 5).
 *
 * ```
 * bare         90 00                                                      2 bytes
 * timestamped  90 00 | u64 sender-clock ms                                10 bytes
 * extended v1  90 00 | u64 ms @2 | C0 1F @10 | 00 01 @12 | conn_id u32 @14 | window i32 @18
 *              | in_flight i32 @22 | rtt_ms u32 @26 | nak_count u32 @30 | bitrate u32 @34     38 bytes
 * bond         extended v1 | trailer @38 (see bond-trailer.ts)
 * ```
 *
 * A keepalive of 10 bytes or more carries a timestamp (a 32-byte zero-padded receiver keepalive
 * decodes as timestamp 0). It is extended iff length >= 38, magic @10 is 0xC01F and version @12
 * is 1. Bytes after an extended v1 that are not a bond trailer are ignored.
 */
import { readU16, viewOf, writeU16 } from './byte-order.js';
import {
  BOND_TRAILER_OFFSET,
  decodeBondTrailerAt,
  encodeBondTrailer,
  type BondTrailer,
} from './bond-trailer.js';
import { WireDecodeError } from './errors.js';
import type { PadOptions } from './srtla-registration.js';
import { SRTLA_TYPE } from './srtla-types.js';

/** Lengths of the keepalive forms. */
export const KEEPALIVE_BARE_LENGTH = 2;
export const KEEPALIVE_TIMESTAMPED_LENGTH = 10;
export const KEEPALIVE_EXTENDED_LENGTH = 38;
/** 0xC01F: "connection info" magic of the extended keepalive. */
export const KEEPALIVE_EXTENDED_MAGIC = 0xc01f;
/** Version of the extended keepalive this code reads and writes. */
export const KEEPALIVE_EXTENDED_VERSION = 1;
/** 10 000 ms: an echoed timestamp gives an RTT sample only when 0 < RTT <= this. */
export const KEEPALIVE_MAX_RTT_MS = 10_000;

/** Field offsets of the extended keepalive v1. */
export const KEEPALIVE_OFFSET = {
  timestamp: 2,
  magic: 10,
  version: 12,
  connId: 14,
  window: 18,
  inFlight: 22,
  rttMs: 26,
  nakCount: 30,
  bitrate: 34,
} as const;

/** The "connection info" of an extended keepalive v1: the sender's view of the link. */
export interface KeepaliveConnectionInfo {
  /** u32 sender-local link id. */
  readonly connId: number;
  /** i32, x1000 units (20000 = 20 packets). */
  readonly window: number;
  /** i32, packets. */
  readonly inFlight: number;
  /** u32, smoothed RTT in milliseconds. */
  readonly rttMs: number;
  /** u32, NAKs on this link since start. */
  readonly nakCount: number;
  /** u32, bytes per second. */
  readonly bitrateBytesPerSec: number;
}

/**
 * The physical ranges of a link's connection info; a sender reporting more is wrong or hostile.
 * window: 60 000 000 (60 000 packets x1000, the most any sender here reports); in flight: 1 000 000
 * packets; RTT: {@link KEEPALIVE_MAX_RTT_MS}; bitrate: 1 250 000 000 bytes/s (10 Gbit/s).
 */
export const CONNECTION_INFO_LIMITS = {
  window: 60_000_000,
  inFlight: 1_000_000,
  rttMs: KEEPALIVE_MAX_RTT_MS,
  bitrateBytesPerSec: 1_250_000_000,
} as const;

const clampTo = (value: number, max: number): number =>
  !(value > 0) ? 0 : value > max ? max : Math.floor(value);

/**
 * `info` with every gauge clamped to {@link CONNECTION_INFO_LIMITS} (negative values become 0),
 * so nothing off the wire reaches an evaluator, a log line or a metric outside its physical range.
 * `nakCount` is a counter and stays as sent: whoever reads it bounds its increments.
 */
export function clampConnectionInfo(info: KeepaliveConnectionInfo): KeepaliveConnectionInfo {
  return {
    connId: info.connId,
    window: clampTo(info.window, CONNECTION_INFO_LIMITS.window),
    inFlight: clampTo(info.inFlight, CONNECTION_INFO_LIMITS.inFlight),
    rttMs: clampTo(info.rttMs, CONNECTION_INFO_LIMITS.rttMs),
    nakCount: info.nakCount,
    bitrateBytesPerSec: clampTo(info.bitrateBytesPerSec, CONNECTION_INFO_LIMITS.bitrateBytesPerSec),
  };
}

/**
 * A keepalive. `timestampMs` is absent only in the bare form; `info` is present only in the
 * extended form; `trailer` only in bond's form.
 */
export interface SrtlaKeepalive {
  /** u64 sender-clock milliseconds (exact up to 2^53). */
  readonly timestampMs?: number;
  readonly info?: KeepaliveConnectionInfo;
  readonly trailer?: BondTrailer;
}

/** True when `bytes` is an extended keepalive v1 (type, length, magic and version all match). */
export function isExtendedKeepalive(bytes: Uint8Array): boolean {
  return (
    bytes.length >= KEEPALIVE_EXTENDED_LENGTH &&
    readU16(bytes, 0) === SRTLA_TYPE.KEEPALIVE &&
    readU16(bytes, KEEPALIVE_OFFSET.magic) === KEEPALIVE_EXTENDED_MAGIC &&
    readU16(bytes, KEEPALIVE_OFFSET.version) === KEEPALIVE_EXTENDED_VERSION
  );
}

/**
 * Decodes a keepalive of any form. Throws WireDecodeError only when the type is wrong or a bond
 * trailer is present but broken (callers still echo such a keepalive; only its telemetry is lost).
 */
export function decodeKeepalive(bytes: Uint8Array): SrtlaKeepalive {
  if (bytes.length < KEEPALIVE_BARE_LENGTH || readU16(bytes, 0) !== SRTLA_TYPE.KEEPALIVE) {
    throw new WireDecodeError('SRTLA keepalive', 0, 'not a keepalive');
  }
  if (bytes.length < KEEPALIVE_TIMESTAMPED_LENGTH) return {};
  const view = viewOf(bytes);
  const timestampMs =
    view.getUint32(KEEPALIVE_OFFSET.timestamp) * 0x1_0000_0000 +
    view.getUint32(KEEPALIVE_OFFSET.timestamp + 4);
  if (!isExtendedKeepalive(bytes)) return { timestampMs };
  const info: KeepaliveConnectionInfo = {
    connId: view.getUint32(KEEPALIVE_OFFSET.connId),
    window: view.getInt32(KEEPALIVE_OFFSET.window),
    inFlight: view.getInt32(KEEPALIVE_OFFSET.inFlight),
    rttMs: view.getUint32(KEEPALIVE_OFFSET.rttMs),
    nakCount: view.getUint32(KEEPALIVE_OFFSET.nakCount),
    bitrateBytesPerSec: view.getUint32(KEEPALIVE_OFFSET.bitrate),
  };
  const trailer = decodeBondTrailerAt(bytes);
  return trailer === undefined ? { timestampMs, info } : { timestampMs, info, trailer };
}

/** The echoed timestamp of a keepalive of 10 bytes or more, without decoding the rest. */
export function peekKeepaliveTimestamp(bytes: Uint8Array): number | undefined {
  if (bytes.length < KEEPALIVE_TIMESTAMPED_LENGTH) return undefined;
  const view = viewOf(bytes);
  return view.getUint32(2) * 0x1_0000_0000 + view.getUint32(6);
}

/**
 * Encodes a keepalive in the form its fields call for: bare without a timestamp, timestamped with
 * one, extended with `info`, bond's form with `info` and `trailer` (a trailer without `info` gets
 * zero connection info). A missing timestamp is written as 0 in the longer forms.
 */
export function encodeKeepalive(keepalive: SrtlaKeepalive, options: PadOptions = {}): Uint8Array {
  const { timestampMs, info, trailer } = keepalive;
  const trailerBytes = trailer === undefined ? undefined : encodeBondTrailer(trailer);
  let length = KEEPALIVE_BARE_LENGTH;
  if (timestampMs !== undefined) length = KEEPALIVE_TIMESTAMPED_LENGTH;
  if (info !== undefined || trailerBytes !== undefined) length = KEEPALIVE_EXTENDED_LENGTH;
  if (trailerBytes !== undefined) length += trailerBytes.length;
  const out = new Uint8Array(Math.max(length, options.padTo ?? 0));
  const view = viewOf(out);
  writeU16(out, 0, SRTLA_TYPE.KEEPALIVE);
  if (length >= KEEPALIVE_TIMESTAMPED_LENGTH) {
    const ms = timestampMs !== undefined && timestampMs > 0 ? Math.floor(timestampMs) : 0;
    view.setUint32(KEEPALIVE_OFFSET.timestamp, Math.floor(ms / 0x1_0000_0000) >>> 0);
    view.setUint32(KEEPALIVE_OFFSET.timestamp + 4, ms >>> 0);
  }
  if (length >= KEEPALIVE_EXTENDED_LENGTH) {
    view.setUint16(KEEPALIVE_OFFSET.magic, KEEPALIVE_EXTENDED_MAGIC);
    view.setUint16(KEEPALIVE_OFFSET.version, KEEPALIVE_EXTENDED_VERSION);
    if (info !== undefined) {
      view.setUint32(KEEPALIVE_OFFSET.connId, info.connId >>> 0);
      view.setInt32(KEEPALIVE_OFFSET.window, info.window | 0);
      view.setInt32(KEEPALIVE_OFFSET.inFlight, info.inFlight | 0);
      view.setUint32(KEEPALIVE_OFFSET.rttMs, info.rttMs >>> 0);
      view.setUint32(KEEPALIVE_OFFSET.nakCount, info.nakCount >>> 0);
      view.setUint32(KEEPALIVE_OFFSET.bitrate, info.bitrateBytesPerSec >>> 0);
    }
  }
  if (trailerBytes !== undefined) out.set(trailerBytes, BOND_TRAILER_OFFSET);
  return out;
}

/**
 * The echo bond's receiver sends for a keepalive: bytes 0-37 unchanged, the sender's trailer (if
 * any) replaced by `report`, zero-padded to `padTo`. A keepalive that is not extended v1 is echoed
 * byte for byte (padded), since a trailer may only follow the extended form.
 */
export function encodeKeepaliveEcho(
  received: Uint8Array,
  report: BondTrailer | undefined,
  options: PadOptions = {},
): Uint8Array {
  const padTo = options.padTo ?? 0;
  if (report === undefined || !isExtendedKeepalive(received)) {
    const out = new Uint8Array(Math.max(received.length, padTo));
    out.set(received);
    return out;
  }
  const trailer = encodeBondTrailer(report);
  const out = new Uint8Array(Math.max(KEEPALIVE_EXTENDED_LENGTH + trailer.length, padTo));
  out.set(received.subarray(0, KEEPALIVE_EXTENDED_LENGTH));
  out.set(trailer, BOND_TRAILER_OFFSET);
  return out;
}
