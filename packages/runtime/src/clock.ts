/**
 * The runtime's sources of time and randomness, injected into core: a monotonic clock in
 * milliseconds and a cryptographic random source.
 */
import { getRandomValues, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RandomSource } from '@bond/core';

/** Monotonic milliseconds (fractional), as core's `now` expects. */
export type Clock = () => number;

/** `performance.now()`: monotonic, unaffected by wall-clock changes. */
export const monotonicClock: Clock = () => performance.now();

/** Group ids and other draws from the operating system's CSPRNG. */
export const cryptoRandom: RandomSource = {
  fillBytes(bytes) {
    getRandomValues(bytes);
  },
  nextFloat() {
    // 2^48: randomInt's exclusive upper bound limit; 48 random bits in [0, 1).
    return randomInt(0, 2 ** 48 - 1) / 2 ** 48;
  },
};
