/**
 * Wrap-aware arithmetic on SRT's 31-bit packet sequence numbers (protocol.md section 3).
 *
 * Sequence numbers live in [0, 2^31) and wrap from 0x7FFFFFFF to 0. `a` is before `b` when
 * `((b - a) mod 2^31) < 2^30`. Every comparison of sequence numbers in bond goes through these
 * helpers; plain `<` breaks at the wrap.
 *
 * ```ts
 * seqAdd(0x7fffffff, 1);          // 0
 * seqDistance(0x7ffffffe, 1);     // 3
 * seqLessThan(0x7fffffff, 0);     // true
 * ```
 */

/** 2^31: sequence numbers are taken modulo this. */
export const SEQ_MODULUS = 0x80000000;
/** Largest sequence number, 2^31 - 1. */
export const SEQ_MAX = 0x7fffffff;
/** 2^30: half the sequence space; distances are in [-SEQ_HALF, SEQ_HALF). */
export const SEQ_HALF = 0x40000000;

/** True when `value` is an integer in [0, 2^31). */
export function isSeq(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= SEQ_MAX;
}

/** `seq + delta` modulo 2^31. `delta` may be negative; both must be integers. */
export function seqAdd(seq: number, delta: number): number {
  const sum = (seq + delta) % SEQ_MODULUS;
  // `+ 0`: `%` of a negative multiple of 2^31 is -0, which must come out as 0.
  return sum < 0 ? sum + SEQ_MODULUS : sum + 0;
}

/**
 * The signed distance from `from` to `to`: the `d` in [-2^30, 2^30) with `seqAdd(from, d) === to`.
 * Positive when `to` is after `from`.
 */
export function seqDistance(from: number, to: number): number {
  const forward = (to - from) & SEQ_MAX;
  return forward >= SEQ_HALF ? forward - SEQ_MODULUS : forward;
}

/**
 * Orders two sequence numbers: negative when `a` is before `b`, 0 when equal, positive when after.
 * Usable as an `Array.prototype.sort` comparator for numbers within half the space of each other.
 * At exactly 2^30 apart neither is before the other; both orders then return positive.
 */
export function seqCompare(a: number, b: number): number {
  if (a === b) return 0;
  return seqDistance(a, b) > 0 ? -1 : 1;
}

/** True when `a` is strictly before `b`. */
export function seqLessThan(a: number, b: number): boolean {
  return seqDistance(a, b) > 0;
}

/** True when `a` is before `b` or equal to it. */
export function seqLessOrEqual(a: number, b: number): boolean {
  return a === b || seqDistance(a, b) > 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqLessThan(a, b) ? b : a;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return seqLessThan(a, b) ? a : b;
}
