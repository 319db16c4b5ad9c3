import { describe, expect, it } from 'vitest';
import {
  SRT_HANDSHAKE_TYPE,
  SRT_REJECTIONS,
  describeSrtRejection,
  encodeSrtInductionProbe,
  encodeSrtNak,
  peekSrtHandshakeType,
} from '../src/index.js';
import { srtHandshake } from '../src/testing/index.js';

function handshakeOfType(handshakeType: number): Uint8Array {
  return srtHandshake({ handshakeType, destinationSocketId: 0x1234, socketId: 0x5678 });
}

describe('SRT handshake rejections', () => {
  it('names the rejections a listener sends, from the handshake type field', () => {
    expect(describeSrtRejection(1010)).toEqual({
      code: 1010,
      name: 'SRT_REJ_BADSECRET',
      words: 'wrong passphrase',
    });
    expect(describeSrtRejection(1011)).toMatchObject({
      code: 1011,
      name: 'SRT_REJ_UNSECURE',
      words: expect.stringContaining('passphrase') as unknown,
    });
    expect(describeSrtRejection(1017)?.name).toBe('SRT_REJ_CRYPTO');
    expect(describeSrtRejection(1000)?.name).toBe('SRT_REJ_UNKNOWN');
    // The server range (API 1000+, wire 2000+): SRT's own codes and the HTTP-like ones.
    expect(describeSrtRejection(2001)?.name).toBe('SRT_REJX_KEY_NOTSUP');
    expect(describeSrtRejection(2403)).toMatchObject({
      name: 'SRT_REJX_FORBIDDEN',
      words: 'access denied',
    });
    expect(describeSrtRejection(2409)?.name).toBe('SRT_REJX_CONFLICT');
  });

  it('names every SRT_REJ_* code (1000..1017) and describes unnamed ones by range', () => {
    for (let code = 1000; code <= 1017; code++) {
      const rejection = describeSrtRejection(code);
      expect(rejection?.name).toMatch(/^SRT_REJ_[A-Z]+$/);
      expect(rejection?.words.length).toBeGreaterThan(5);
    }
    const names = Object.values(SRT_REJECTIONS).map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    expect(describeSrtRejection(1018)).toMatchObject({ name: 'srt-other', code: 1018 });
    expect(describeSrtRejection(2418)).toMatchObject({
      name: 'server-other',
      words: 'server error 418 (HTTP-like)',
    });
    expect(describeSrtRejection(2050)).toMatchObject({ name: 'server-other' });
    expect(describeSrtRejection(3005)).toMatchObject({
      name: 'application',
      words: "the server application's own reason 5",
    });
    expect(describeSrtRejection(70_000)).toMatchObject({ name: 'unrecognised' });
  });

  it('is no rejection for the handshake steps', () => {
    for (const type of Object.values(SRT_HANDSHAKE_TYPE)) {
      expect(describeSrtRejection(type)).toBeUndefined();
    }
    expect(describeSrtRejection(999)).toBeUndefined();
  });

  it('peeks the handshake type of handshakes only, never past the end', () => {
    expect(peekSrtHandshakeType(handshakeOfType(1011))).toBe(1011);
    expect(peekSrtHandshakeType(handshakeOfType(SRT_HANDSHAKE_TYPE.CONCLUSION))).toBe(0xffffffff);
    expect(peekSrtHandshakeType(encodeSrtInductionProbe())).toBe(SRT_HANDSHAKE_TYPE.INDUCTION);
    // Cut before the field ends: no value.
    expect(peekSrtHandshakeType(handshakeOfType(1011).subarray(0, 39))).toBeUndefined();
    expect(peekSrtHandshakeType(handshakeOfType(1011).subarray(0, 40))).toBe(1011);
    // Another control type, and data, are no handshake.
    // A NAK long enough to hold the field (ten ranges: 96 bytes).
    const ranges = Array.from({ length: 10 }, (_, i) => ({ first: i * 10, last: i * 10 + 5 }));
    const nak = encodeSrtNak({ typeSpecific: 0, timestamp: 0, destinationSocketId: 0, ranges });
    expect(nak.length).toBeGreaterThan(40);
    expect(peekSrtHandshakeType(nak)).toBeUndefined();
    const data = handshakeOfType(1011);
    data[0] = 0x00;
    expect(peekSrtHandshakeType(data)).toBeUndefined();
    expect(peekSrtHandshakeType(new Uint8Array(0))).toBeUndefined();
  });
});
