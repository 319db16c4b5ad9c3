/**
 * HSv5 handshake extension blocks and the SRT stream id (`SRT_CMD_SID`) a caller sends in its
 * conclusion handshake (SRT's handshake.md, "Stream ID (SID)" and "Congestion controller").
 *
 * ```
 * @64 extension blocks, one after another, each:
 *    +0 u16 extension type (SRT_CMD_*)      +2 u16 length of the contents in 4-byte words
 *    +4 contents (length * 4 bytes)
 *
 * SRT_CMD_SID contents: the stream id (UTF-8, at most 512 bytes) padded with NUL to whole
 * 4-byte words, each word's 4 bytes in reverse order: "STREAM" -> "STREAM\0\0" -> "ERTS\0\0MA".
 * ```
 *
 * Only handshakes are ever parsed: {@link readSrtStreamId} returns at once for anything that is
 * not an HSv5 conclusion handshake.
 */
import { readU16, readU32, writeU16 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SRT_HANDSHAKE_LENGTH, SRT_HANDSHAKE_OFFSET, SRT_HANDSHAKE_TYPE } from './srt-handshake.js';
import { SRT_CONTROL } from './srt-packet.js';

/** HSv5 handshake extension block types (SRT's `SRT_CMD_*`). */
export const SRT_HANDSHAKE_EXTENSION = {
  HSREQ: 1,
  HSRSP: 2,
  KMREQ: 3,
  KMRSP: 4,
  /** The stream id. */
  SID: 5,
  CONGESTION: 6,
  FILTER: 7,
  GROUP: 8,
} as const;

/** Bits of the handshake's extension field in an HSv5 conclusion (SRT's `HS_EXT_*`). */
export const SRT_HANDSHAKE_EXTENSION_FLAG = {
  HSREQ: 1,
  KMREQ: 2,
  /** Set when SID, congestion, filter or group blocks follow. */
  CONFIG: 4,
} as const;

/** 512: the longest stream id SRT accepts, in bytes (libsrt's MAX_SID_LENGTH). */
export const SRT_STREAM_ID_MAX_BYTES = 512;

/** 5: the handshake version of HSv5, the only one that carries extension blocks. */
const HSV5 = 5;
/** Bytes of an extension block's header (type and length). */
const BLOCK_HEADER_LENGTH = 4;

export interface SrtHandshakeExtension {
  /** `SRT_CMD_*` ({@link SRT_HANDSHAKE_EXTENSION}); unknown types are kept as they are. */
  readonly type: number;
  /** The block's contents (a view into the datagram), a whole number of 4-byte words. */
  readonly contents: Uint8Array;
  /** Where the block starts in the datagram. */
  readonly offset: number;
}

/**
 * The extension blocks of a handshake datagram (from byte 64 to the end). Throws WireDecodeError
 * when a block runs past the datagram or the bytes after the last block are not a whole header.
 */
export function decodeSrtHandshakeExtensions(handshake: Uint8Array): SrtHandshakeExtension[] {
  const blocks: SrtHandshakeExtension[] = [];
  let offset = SRT_HANDSHAKE_OFFSET.extensions;
  while (offset < handshake.length) {
    if (offset + BLOCK_HEADER_LENGTH > handshake.length) {
      throw new WireDecodeError(
        'SRT handshake extension',
        offset,
        `${handshake.length - offset} bytes left, shorter than a block header`,
      );
    }
    const type = readU16(handshake, offset);
    const length = readU16(handshake, offset + 2) * 4;
    const start = offset + BLOCK_HEADER_LENGTH;
    if (start + length > handshake.length) {
      throw new WireDecodeError(
        'SRT handshake extension',
        offset + 2,
        `block of type ${type} says ${length} bytes, ${handshake.length - start} are left`,
      );
    }
    blocks.push({ type, contents: handshake.subarray(start, start + length), offset });
    offset = start + length;
  }
  return blocks;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * The stream id in an `SRT_CMD_SID` block's contents: words un-reversed, trailing NULs dropped,
 * UTF-8 decoded (invalid sequences become U+FFFD). `offset` is for the error only. Throws
 * WireDecodeError for empty contents or more than {@link SRT_STREAM_ID_MAX_BYTES} (SRT rejects both).
 */
export function decodeSrtStreamIdContents(contents: Uint8Array, offset = 0): string {
  if (contents.length === 0 || contents.length > SRT_STREAM_ID_MAX_BYTES) {
    throw new WireDecodeError(
      'SRT stream id',
      offset,
      `length ${contents.length} is 0 or above ${SRT_STREAM_ID_MAX_BYTES} bytes`,
    );
  }
  const words = contents.length >>> 2;
  const text = new Uint8Array(words * 4);
  for (let word = 0; word < words; word++) {
    const at = word * 4;
    text[at] = contents[at + 3] ?? 0;
    text[at + 1] = contents[at + 2] ?? 0;
    text[at + 2] = contents[at + 1] ?? 0;
    text[at + 3] = contents[at] ?? 0;
  }
  let end = text.length;
  while (end > 0 && text[end - 1] === 0) end--;
  return utf8Decoder.decode(text.subarray(0, end));
}

/**
 * The stream id a caller sent in `datagram`, if `datagram` is an HSv5 conclusion handshake with
 * an `SRT_CMD_SID` block; `undefined` for any other datagram (data, other control, induction,
 * HSv4, a conclusion without a stream id). Cheap for everything but conclusion handshakes: two
 * reads. Throws WireDecodeError when a conclusion's extension blocks or stream id are malformed.
 */
export function readSrtStreamId(datagram: Uint8Array): string | undefined {
  if (datagram.length <= SRT_HANDSHAKE_LENGTH) return undefined;
  if (readU16(datagram, 0) !== SRT_CONTROL.HANDSHAKE) return undefined;
  if (readU32(datagram, SRT_HANDSHAKE_OFFSET.handshakeType) !== SRT_HANDSHAKE_TYPE.CONCLUSION) {
    return undefined;
  }
  if (readU32(datagram, SRT_HANDSHAKE_OFFSET.version) !== HSV5) return undefined;
  for (const block of decodeSrtHandshakeExtensions(datagram)) {
    if (block.type === SRT_HANDSHAKE_EXTENSION.SID) {
      return decodeSrtStreamIdContents(block.contents, block.offset + BLOCK_HEADER_LENGTH);
    }
  }
  return undefined;
}

/**
 * An `SRT_CMD_SID` extension block (header and contents) carrying `streamId`, to append after a
 * conclusion handshake's 64 bytes (whose extension field then needs the CONFIG bit). Total: a
 * stream id longer than {@link SRT_STREAM_ID_MAX_BYTES} UTF-8 bytes is cut there; an empty one
 * gives one word of NULs.
 */
export function encodeSrtStreamIdExtension(streamId: string): Uint8Array {
  const text = utf8Encoder.encode(streamId).subarray(0, SRT_STREAM_ID_MAX_BYTES);
  const words = Math.max(1, Math.ceil(text.length / 4));
  const out = new Uint8Array(BLOCK_HEADER_LENGTH + words * 4);
  writeU16(out, 0, SRT_HANDSHAKE_EXTENSION.SID);
  writeU16(out, 2, words);
  for (let i = 0; i < text.length; i++) {
    const word = i >>> 2;
    out[BLOCK_HEADER_LENGTH + word * 4 + (3 - (i & 3))] = text[i] ?? 0;
  }
  return out;
}
