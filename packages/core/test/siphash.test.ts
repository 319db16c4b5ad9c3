// SipHash-2-4 against the reference vectors (the paper's appendix; the reference implementation's
// vectors.h): key 00..0f, messages 00, 01, 02, ... of length 0..63.
import { describe, expect, it } from 'vitest';
import { sipHash24 } from '../src/siphash.js';

function keyWords(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from([0, 4, 8, 12], (offset) => view.getUint32(offset, true));
}

const key = keyWords(Uint8Array.from({ length: 16 }, (_, i) => i));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function hash(length: number): string {
  const out = new Uint8Array(8);
  sipHash24(
    key,
    Uint8Array.from({ length }, (_, i) => i),
    out,
    0,
  );
  return hex(out);
}

describe('sipHash24', () => {
  it('matches the reference vectors (output bytes as the reference prints them)', () => {
    expect(hash(0)).toBe('310e0edd47db6f72');
    expect(hash(1)).toBe('fd67dc93c539f874');
    expect(hash(7)).toBe('37d1018bf50002ab');
    expect(hash(8)).toBe('6224939a79f5f593');
    expect(hash(9)).toBe('b0e4a90bdf82009e');
    // The paper's worked example: 15 bytes, 0xa129ca6149be45e5 as a number.
    expect(hash(15)).toBe('e545be4961ca29a1');
    expect(hash(16)).toBe('db9bc2577fcc2a3f');
    expect(hash(63)).toBe('724506eb4c328a95');
  });

  it('changes with every key bit and every message byte', () => {
    const message = new Uint8Array(224).fill(9);
    const base = new Uint8Array(8);
    sipHash24(key, message, base, 0);
    const out = new Uint8Array(8);
    for (let bit = 0; bit < 128; bit += 7) {
      const other = key.slice();
      other[bit >> 5] = ((other[bit >> 5] ?? 0) ^ (1 << (bit & 31))) >>> 0;
      sipHash24(other, message, out, 0);
      expect(hex(out)).not.toBe(hex(base));
    }
    for (let index = 0; index < message.length; index += 13) {
      const changed = message.slice();
      changed[index] = 8;
      sipHash24(key, changed, out, 0);
      expect(hex(out)).not.toBe(hex(base));
    }
  });
});
