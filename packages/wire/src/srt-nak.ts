/**
 * SRT NAK (control type 0x8003): the loss list (protocol.md section 3).
 *
 * ```
 * bytes 0-15   SRT control header
 * @16 ...      loss list, u32 entries:
 *   0|seq                     one lost sequence number
 *   1|first   0|last          an inclusive range first..last (may cross the wrap: first > last)
 * ```
 *
 * The list starts at byte 16, never at byte 4 (one public sender does, and reads header words as
 * losses). Decoding validates every entry; expansion into sequence numbers is capped.
 */
import { readU32, writeU32 } from './byte-order.js';
import { WireDecodeError } from './errors.js';
import { SEQ_MAX, seqAdd, seqDistance } from './seq.js';
import { SRT_CONTROL, SRT_HEADER_LENGTH, decodeSrtControlOf } from './srt-packet.js';

/** Offset of the first loss-list entry. */
export const SRT_NAK_LIST_OFFSET = 16;
// Bit 31 of a loss-list entry marks the start of a range.
const RANGE_FLAG = 0x80000000;
/**
 * Default cap on how many sequence numbers one NAK expands to. 65536: far above SRT's default
 * flow window (25600 packets), so no real loss report is cut, while a hostile range of 2^30 is.
 */
export const NAK_EXPANSION_LIMIT = 65536;

/** An inclusive range of lost sequence numbers; `first === last` for a single loss. */
export interface SeqRange {
  readonly first: number;
  readonly last: number;
}

export interface SrtNak {
  readonly typeSpecific: number;
  readonly timestamp: number;
  readonly destinationSocketId: number;
  readonly ranges: readonly SeqRange[];
}

const WHAT = 'SRT NAK';

/**
 * Walks a validated loss list, calling `visit(first, last)` per entry. Throws WireDecodeError on a
 * malformed list before visiting anything past the fault.
 */
function walkLossList(bytes: Uint8Array, visit: (first: number, last: number) => void): void {
  const end = bytes.length;
  if ((end - SRT_NAK_LIST_OFFSET) % 4 !== 0) {
    throw new WireDecodeError(WHAT, SRT_NAK_LIST_OFFSET, 'loss list is not a whole number of u32');
  }
  let offset = SRT_NAK_LIST_OFFSET;
  while (offset < end) {
    const entry = readU32(bytes, offset);
    if ((entry & RANGE_FLAG) === 0) {
      visit(entry, entry);
      offset += 4;
      continue;
    }
    if (offset + 8 > end) throw new WireDecodeError(WHAT, offset, 'range start without end');
    const first = entry & SEQ_MAX;
    const last = readU32(bytes, offset + 4);
    if ((last & RANGE_FLAG) !== 0) {
      throw new WireDecodeError(WHAT, offset + 4, 'range end has the range flag');
    }
    if (seqDistance(first, last) < 0) {
      throw new WireDecodeError(WHAT, offset + 4, 'range end is before its start');
    }
    visit(first, last);
    offset += 8;
  }
}

/** Decodes a NAK into its header fields and validated loss ranges. */
export function decodeSrtNak(bytes: Uint8Array): SrtNak {
  const packet = decodeSrtControlOf(bytes, SRT_CONTROL.NAK, WHAT);
  const ranges: SeqRange[] = [];
  walkLossList(bytes, (first, last) => ranges.push({ first, last }));
  return {
    typeSpecific: packet.typeSpecific,
    timestamp: packet.timestamp,
    destinationSocketId: packet.destinationSocketId,
    ranges,
  };
}

/**
 * Calls `visit(seq)` for each lost sequence number in `ranges`, in order, at most `limit` times in
 * all (ranges that cross the wrap continue from 0). Returns how many were visited.
 */
export function forEachLostSeq(
  ranges: readonly SeqRange[],
  visit: (seq: number) => void,
  limit: number = NAK_EXPANSION_LIMIT,
): number {
  let visited = 0;
  for (const { first, last } of ranges) {
    const count = seqDistance(first, last) + 1;
    for (let index = 0; index < count && visited < limit; index++, visited++) {
      visit(seqAdd(first, index));
    }
    if (visited >= limit) break;
  }
  return visited;
}

/** The lost sequence numbers of `ranges` as an array, capped at `limit`. */
export function expandLossList(
  ranges: readonly SeqRange[],
  limit: number = NAK_EXPANSION_LIMIT,
): number[] {
  const lost: number[] = [];
  forEachLostSeq(ranges, (seq) => lost.push(seq), limit);
  return lost;
}

/** Encodes a NAK: a single entry when `first === last`, a range pair otherwise. */
export function encodeSrtNak(nak: SrtNak): Uint8Array {
  let entries = 0;
  for (const range of nak.ranges) entries += range.first === range.last ? 1 : 2;
  const out = new Uint8Array(SRT_HEADER_LENGTH + 4 * entries);
  writeU32(out, 0, (SRT_CONTROL.NAK << 16) >>> 0);
  writeU32(out, 4, nak.typeSpecific);
  writeU32(out, 8, nak.timestamp);
  writeU32(out, 12, nak.destinationSocketId);
  let offset = SRT_NAK_LIST_OFFSET;
  for (const { first, last } of nak.ranges) {
    if (first === last) {
      writeU32(out, offset, first & SEQ_MAX);
      offset += 4;
    } else {
      writeU32(out, offset, ((first & SEQ_MAX) | RANGE_FLAG) >>> 0);
      writeU32(out, offset + 4, last & SEQ_MAX);
      offset += 8;
    }
  }
  return out;
}
