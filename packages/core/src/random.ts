/**
 * Randomness, injected: core never calls `Math.random`. The runtime passes a cryptographic source;
 * tests and the simulator pass a seeded one so every run is reproducible.
 */

export interface RandomSource {
  /** Fills `bytes` with random bytes (group and sender ids). */
  fillBytes(bytes: Uint8Array): void;
  /** A float in [0, 1) (jitter, probing decisions). */
  nextFloat(): number;
}

/**
 * A small, fast, seeded generator (SplitMix32-style mixing of a Weyl sequence). Deterministic for a
 * given seed; not cryptographic, so only for tests and simulation.
 */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  const nextU32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    fillBytes(bytes) {
      for (let index = 0; index < bytes.length; index++) bytes[index] = nextU32() & 0xff;
    },
    nextFloat() {
      return nextU32() / 0x1_0000_0000;
    },
  };
}
