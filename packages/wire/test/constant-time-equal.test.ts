// constantTimeEqual: a prefix compare, also at an offset into the second array (an id where it lies
// in a received datagram, compared without a view of it).
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, encodeReg2 } from '../src/index.js';

describe('constantTimeEqual', () => {
  const id = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff);

  it('compares the first `length` bytes, false when either is shorter', () => {
    expect(constantTimeEqual(id, id.slice())).toBe(true);
    const other = id.slice();
    other[255] = (other[255] ?? 0) ^ 1;
    expect(constantTimeEqual(id, other)).toBe(false);
    expect(constantTimeEqual(id, other, 255)).toBe(true);
    expect(constantTimeEqual(id, id.subarray(0, 255))).toBe(false);
  });

  it('reads the second array from `bOffset`: an id in place in its REG2', () => {
    const reg2 = encodeReg2(id);
    expect(constantTimeEqual(id, reg2, 256, 2)).toBe(true);
    expect(constantTimeEqual(id, reg2, 256, 0)).toBe(false);
    for (const flipped of [2, 100, 257]) {
      const changed = reg2.slice();
      changed[flipped] = (changed[flipped] ?? 0) ^ 0x80;
      expect(constantTimeEqual(id, changed, 256, 2)).toBe(false);
    }
    // Fewer than `length` bytes after the offset (or a negative offset): false, never a short read.
    expect(constantTimeEqual(id, reg2, 256, 3)).toBe(false);
    expect(constantTimeEqual(id, reg2, 256, -1)).toBe(false);
    expect(constantTimeEqual(id.subarray(16), reg2, 16, 18)).toBe(true);
  });
});
