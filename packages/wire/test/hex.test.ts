import { describe, expect, it } from 'vitest';
import { WireDecodeError, bytesToHex, hexToBytes } from '../src/index.js';

describe('hex helpers', () => {
  it('round-trips bytes through lower-case hex', () => {
    const bytes = Uint8Array.from([0x92, 0x02, 0x00, 0xff, 0x0a]);
    expect(bytesToHex(bytes)).toBe('920200ff0a');
    expect(hexToBytes('920200FF0a')).toEqual(bytes);
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
  });

  it('rejects odd lengths and non-hex digits with the offset', () => {
    expect(() => hexToBytes('920')).toThrow(WireDecodeError);
    expect(() => hexToBytes('92zz')).toThrow(/byte 2: "zz" is not a hex byte/);
  });
});
