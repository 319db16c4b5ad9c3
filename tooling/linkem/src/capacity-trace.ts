/**
 * A capacity trace in the Mahimahi format (as in `packages/core/test/traces`): one integer per line,
 * a time in ms from the start of the trace; each line is one opportunity for 1500 bytes to leave the
 * bottleneck. Several opportunities in one millisecond repeat the timestamp. The trace repeats with
 * a period equal to its last timestamp.
 */
import { readFileSync } from 'node:fs';
import { LinkemTraceError } from './errors.js';

/** 1500: bytes one trace line lets through (the Mahimahi trace format's MTU-sized opportunity). */
export const TRACE_OPPORTUNITY_BYTES = 1500;

export class CapacityTrace {
  /** Opportunity offsets within one period, ms, non-decreasing. */
  readonly offsets: Float64Array;
  /** Length of one repetition, ms (the last offset). */
  readonly periodMs: number;

  /** @throws LinkemTraceError when the offsets are empty, negative, decreasing or span no time. */
  constructor(offsets: ArrayLike<number>, source = 'array') {
    if (offsets.length === 0) throw new LinkemTraceError(source, 'has no opportunities');
    const copy = Float64Array.from(offsets);
    let previous = 0;
    for (let i = 0; i < copy.length; i++) {
      const value = copy[i] ?? Number.NaN;
      if (!Number.isFinite(value) || value < previous) {
        throw new LinkemTraceError(
          source,
          `entry ${i + 1} is ${value}; entries must be finite, non-negative and non-decreasing ms`,
        );
      }
      previous = value;
    }
    if (previous <= 0) {
      throw new LinkemTraceError(source, 'its last entry must be after 0 ms (it sets the period)');
    }
    this.offsets = copy;
    this.periodMs = previous;
  }

  /** Mean capacity over one period, bits per second. */
  get meanRateBps(): number {
    return (this.offsets.length * TRACE_OPPORTUNITY_BYTES * 8 * 1000) / this.periodMs;
  }

  /** Time of opportunity number `index` (counting across repetitions), ms. */
  timeOf(index: number): number {
    const count = this.offsets.length;
    const epoch = Math.floor(index / count);
    return epoch * this.periodMs + (this.offsets[index - epoch * count] ?? 0);
  }

  /** Number of the first opportunity at or after `timeMs`. */
  firstAtOrAfter(timeMs: number): number {
    if (timeMs <= 0) return 0;
    const count = this.offsets.length;
    let epoch = Math.floor(timeMs / this.periodMs);
    const offset = timeMs - epoch * this.periodMs;
    let low = 0;
    let high = count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.offsets[middle] ?? Infinity) < offset) low = middle + 1;
      else high = middle;
    }
    if (low === count) {
      epoch++;
      low = 0;
    }
    return epoch * count + low;
  }
}

/** Parses trace text (one ms offset per line; blank lines ignored). */
export function parseTrace(text: string, source = 'text'): CapacityTrace {
  const offsets: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    if (!/^\d+(\.\d+)?$/.test(line)) {
      throw new LinkemTraceError(source, `line ${i + 1} is "${line}", expected a time in ms`);
    }
    offsets.push(Number(line));
  }
  return new CapacityTrace(offsets, source);
}

/** Reads and parses a trace file (for example `packages/core/test/traces/Verizon-LTE-short.up`). */
export function loadTrace(path: string): CapacityTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new LinkemTraceError(path, 'could not be read; check the path', { cause });
  }
  return parseTrace(text, path);
}
