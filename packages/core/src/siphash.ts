/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudorandom function with a 128-bit key and
 * a 64-bit output, built for short inputs: a MAC that an attacker who does not know the key cannot
 * forge but by guessing (one chance in 2^64 per try). Pure arithmetic on 32-bit halves, so core
 * stays sans-IO (no `node:crypto`) and allocation-free.
 */

/**
 * SipHash-2-4 of `message` under the 128-bit `key` (k0lo, k0hi, k1lo, k1hi: the key's 16 bytes
 * read as four little-endian u32), written as 8 little-endian bytes at `out[offset]`. The state
 * lives in locals (each 64-bit word as lo and hi u32 halves): one function, so the optimiser keeps
 * it in registers.
 */
export function sipHash24(
  key: Uint32Array,
  message: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const k0lo = key[0] ?? 0;
  const k0hi = key[1] ?? 0;
  const k1lo = key[2] ?? 0;
  const k1hi = key[3] ?? 0;
  // "somepseudorandomlygeneratedbytes"
  let v0lo = (k0lo ^ 0x70736575) >>> 0;
  let v0hi = (k0hi ^ 0x736f6d65) >>> 0;
  let v1lo = (k1lo ^ 0x6e646f6d) >>> 0;
  let v1hi = (k1hi ^ 0x646f7261) >>> 0;
  let v2lo = (k0lo ^ 0x6e657261) >>> 0;
  let v2hi = (k0hi ^ 0x6c796765) >>> 0;
  let v3lo = (k1lo ^ 0x79746573) >>> 0;
  let v3hi = (k1hi ^ 0x74656462) >>> 0;
  const length = message.length;
  const whole = length - (length % 8);
  // Steps 0..blocks-1: the whole 8-byte blocks; step `blocks`: the last, partial block (with the
  // length's low byte on top); step `blocks + 1`: finalisation.
  const blocks = whole / 8;
  for (let step = 0; step <= blocks + 1; step++) {
    let mlo = 0;
    let mhi = 0;
    const final = step === blocks + 1;
    if (step < blocks) {
      const i = step * 8;
      mlo = u32le(message, i);
      mhi = u32le(message, i + 4);
    } else if (!final) {
      mhi = (length & 0xff) << 24;
      for (let i = whole; i < length; i++) {
        const shift = (i - whole) * 8;
        const byte = message[i] ?? 0;
        if (shift < 32) mlo |= byte << shift;
        else mhi |= byte << (shift - 32);
      }
      mlo >>>= 0;
      mhi >>>= 0;
    }
    if (final) {
      v2lo = (v2lo ^ 0xff) >>> 0;
    } else {
      v3lo = (v3lo ^ mlo) >>> 0;
      v3hi = (v3hi ^ mhi) >>> 0;
    }
    const rounds = final ? 4 : 2;
    for (let r = 0; r < rounds; r++) {
      let lo: number;
      let t: number;
      // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
      lo = (v0lo + v1lo) >>> 0;
      v0hi = (v0hi + v1hi + (lo < v0lo ? 1 : 0)) >>> 0;
      v0lo = lo;
      t = ((v1lo << 13) | (v1hi >>> 19)) >>> 0;
      v1hi = ((v1hi << 13) | (v1lo >>> 19)) >>> 0;
      v1lo = (t ^ v0lo) >>> 0;
      v1hi = (v1hi ^ v0hi) >>> 0;
      t = v0lo;
      v0lo = v0hi;
      v0hi = t;
      // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
      lo = (v2lo + v3lo) >>> 0;
      v2hi = (v2hi + v3hi + (lo < v2lo ? 1 : 0)) >>> 0;
      v2lo = lo;
      t = ((v3lo << 16) | (v3hi >>> 16)) >>> 0;
      v3hi = ((v3hi << 16) | (v3lo >>> 16)) >>> 0;
      v3lo = (t ^ v2lo) >>> 0;
      v3hi = (v3hi ^ v2hi) >>> 0;
      // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
      lo = (v0lo + v3lo) >>> 0;
      v0hi = (v0hi + v3hi + (lo < v0lo ? 1 : 0)) >>> 0;
      v0lo = lo;
      t = ((v3lo << 21) | (v3hi >>> 11)) >>> 0;
      v3hi = ((v3hi << 21) | (v3lo >>> 11)) >>> 0;
      v3lo = (t ^ v0lo) >>> 0;
      v3hi = (v3hi ^ v0hi) >>> 0;
      // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
      lo = (v2lo + v1lo) >>> 0;
      v2hi = (v2hi + v1hi + (lo < v2lo ? 1 : 0)) >>> 0;
      v2lo = lo;
      t = ((v1lo << 17) | (v1hi >>> 15)) >>> 0;
      v1hi = ((v1hi << 17) | (v1lo >>> 15)) >>> 0;
      v1lo = (t ^ v2lo) >>> 0;
      v1hi = (v1hi ^ v2hi) >>> 0;
      t = v2lo;
      v2lo = v2hi;
      v2hi = t;
    }
    if (!final) {
      v0lo = (v0lo ^ mlo) >>> 0;
      v0hi = (v0hi ^ mhi) >>> 0;
    }
  }
  const rlo = (v0lo ^ v1lo ^ v2lo ^ v3lo) >>> 0;
  const rhi = (v0hi ^ v1hi ^ v2hi ^ v3hi) >>> 0;
  out[offset] = rlo & 0xff;
  out[offset + 1] = (rlo >>> 8) & 0xff;
  out[offset + 2] = (rlo >>> 16) & 0xff;
  out[offset + 3] = rlo >>> 24;
  out[offset + 4] = rhi & 0xff;
  out[offset + 5] = (rhi >>> 8) & 0xff;
  out[offset + 6] = (rhi >>> 16) & 0xff;
  out[offset + 7] = rhi >>> 24;
}

function u32le(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      ((bytes[offset + 3] ?? 0) << 24)) >>>
    0
  );
}
