import { describe, expect, it } from 'vitest';
import {
  NAK_EXPANSION_LIMIT,
  WireDecodeError,
  decodeSrtNak,
  encodeSrtNak,
  expandLossList,
  forEachLostSeq,
} from '../src/index.js';
import { fromHex } from './vectors.js';

const HEADER = '8003000000000000000003e800001234';

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof WireDecodeError) return error.reason;
    throw error;
  }
  throw new Error('expected a WireDecodeError');
}

describe('SRT NAK loss list', () => {
  it('starts at byte 16: header words are never read as losses', () => {
    const nak = decodeSrtNak(fromHex(HEADER + '00000005'));
    expect(expandLossList(nak.ranges)).toEqual([5]);
    expect(nak.destinationSocketId).toBe(0x1234);
    expect(nak.timestamp).toBe(1000);
  });

  it('expands a range across the 31-bit wrap in order', () => {
    const nak = decodeSrtNak(fromHex(HEADER + 'fffffffd' + '00000002'));
    expect(expandLossList(nak.ranges)).toEqual([0x7ffffffd, 0x7ffffffe, 0x7fffffff, 0, 1, 2]);
  });

  it('rejects malformed lists with a reason', () => {
    expect(reasonOf(() => decodeSrtNak(fromHex(HEADER + '80000001')))).toBe(
      'range start without end',
    );
    expect(reasonOf(() => decodeSrtNak(fromHex(HEADER + '80000001' + '80000005')))).toBe(
      'range end has the range flag',
    );
    expect(reasonOf(() => decodeSrtNak(fromHex(HEADER + '80000010' + '00000005')))).toBe(
      'range end is before its start',
    );
    expect(reasonOf(() => decodeSrtNak(fromHex(HEADER + '000001')))).toBe(
      'loss list is not a whole number of u32',
    );
    expect(reasonOf(() => decodeSrtNak(fromHex('8002000000000000000003e800001234')))).toMatch(
      /control type/,
    );
  });

  it('caps the expansion of a huge range', () => {
    // 0 .. 2^30 - 1: a billion "losses" from 8 bytes.
    const nak = decodeSrtNak(fromHex(HEADER + '80000000' + '3fffffff'));
    let count = 0;
    expect(forEachLostSeq(nak.ranges, () => count++)).toBe(NAK_EXPANSION_LIMIT);
    expect(count).toBe(NAK_EXPANSION_LIMIT);
    expect(expandLossList(nak.ranges, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('caps the expansion across several ranges, not per range', () => {
    const nak = decodeSrtNak(fromHex(HEADER + '80000000' + '00000004' + '80000100' + '00000104'));
    expect(expandLossList(nak.ranges, 7)).toEqual([0, 1, 2, 3, 4, 0x100, 0x101]);
  });

  it('encodes singles as one entry and ranges as two', () => {
    const bytes = encodeSrtNak({
      typeSpecific: 0,
      timestamp: 1000,
      destinationSocketId: 0x1234,
      ranges: [
        { first: 5, last: 5 },
        { first: 0x7ffffffe, last: 1 },
      ],
    });
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '8003000000000000000003e800001234' + '00000005' + 'fffffffe' + '00000001',
    );
  });
});
