// ReceiveBatch.view: a reused view per row for datagrams of the sizes the row saw last, so a
// per-datagram path allocates no view for a stream's data or a flood of equal datagrams.
import { META_LENGTH, META_OFFSET, META_STRIDE, createReceiveBatch } from '@bond/io';
import { describe, expect, it } from 'vitest';

describe('ReceiveBatch.view', () => {
  const batch = createReceiveBatch({ maxBatch: 4, slotSize: 64 });
  /** Puts `bytes` in row `i` as a backend does (slot i, the given length). */
  const fill = (i: number, bytes: number[]) => {
    batch.slab.set(bytes, i * 64);
    batch.meta[i * META_STRIDE + META_OFFSET] = i * 64;
    batch.meta[i * META_STRIDE + META_LENGTH] = bytes.length;
  };

  it('shows exactly the datagram, like datagram(i)', () => {
    fill(0, [1, 2, 3]);
    fill(1, [9, 8, 7, 6, 5]);
    expect([...batch.view(0)]).toEqual([1, 2, 3]);
    expect([...batch.view(1)]).toEqual([9, 8, 7, 6, 5]);
    expect([...batch.view(1)]).toEqual([...batch.datagram(1)]);
  });

  it('returns the same object for a row and length seen last or before last, a new one otherwise', () => {
    fill(2, [1, 1, 1]);
    const three = batch.view(2);
    fill(2, [2, 2, 2]);
    expect(batch.view(2)).toBe(three);
    // The bytes are the row's current ones: a reused view never shows an older datagram.
    expect([...three]).toEqual([2, 2, 2]);
    fill(2, [3, 3, 3, 3, 3, 3]);
    const six = batch.view(2);
    expect(six).not.toBe(three);
    expect(six).toHaveLength(6);
    fill(2, [4, 4, 4]);
    expect(batch.view(2)).toBe(three);
    expect(batch.view(3)).not.toBe(three);
    // A third length pushes out the least recent of the two.
    fill(2, [5]);
    const one = batch.view(2);
    fill(2, [6, 6, 6, 6, 6, 6]);
    expect(batch.view(2)).not.toBe(six);
    fill(2, [7]);
    expect(batch.view(2)).toBe(one);
  });
});
