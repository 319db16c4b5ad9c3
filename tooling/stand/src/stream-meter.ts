/**
 * What the sink saw of the stamped stream: each payload once or more, in which order, how late.
 */
import { readStamp } from './stamp.js';

export interface DelaySummary {
  readonly samples: number;
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly maxMs: number | undefined;
}

export interface StreamCounts {
  /** Payloads the source sent. */
  readonly sent: number;
  /** Distinct payloads the sink got. */
  readonly delivered: number;
  /** Sent and never delivered (so far). */
  readonly missing: number;
  /** Payloads delivered more than once (beyond the first). */
  readonly duplicates: number;
  /** Payloads delivered after a later one (the order broke). */
  readonly outOfOrder: number;
  /** Data at the sink that carried no stamp. */
  readonly unstamped: number;
  /** The highest payload number delivered so far, -1 before the first. */
  readonly highestDelivered: number;
  readonly delay: DelaySummary;
}

/** The `fraction` quantile of sorted `values` (nearest rank). */
export function quantile(sorted: readonly number[], fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

export function summarizeDelays(delays: readonly number[]): DelaySummary {
  const sorted = [...delays].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1),
  };
}

export class StreamMeter {
  private sentCount = 0;
  private readonly seen: Uint8Array;
  private deliveredCount = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private unstamped = 0;
  private highest = -1;
  private readonly delays: number[] = [];
  /** Delays since the last `takeWindow()`. */
  private windowDelays: number[] = [];
  private windowDelivered = 0;

  /** `capacity`: the most payloads a run sends (the meter's memory: one byte each). */
  constructor(
    private readonly now: () => number,
    capacity: number,
  ) {
    this.seen = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.seen.length;
  }

  /** Counts a payload the source sent; returns its number. */
  noteSent(): number {
    return this.sentCount++;
  }

  /** A payload out of the sink. */
  noteDelivered(payload: Uint8Array): void {
    const stamp = readStamp(payload);
    if (stamp === undefined || stamp.number >= this.seen.length) {
      this.unstamped++;
      return;
    }
    if (this.seen[stamp.number] === 1) {
      this.duplicates++;
      return;
    }
    this.seen[stamp.number] = 1;
    this.deliveredCount++;
    this.windowDelivered++;
    if (stamp.number < this.highest) this.outOfOrder++;
    else this.highest = stamp.number;
    const delay = this.now() - stamp.sentAtMs;
    this.delays.push(delay);
    this.windowDelays.push(delay);
  }

  /** Delivered payloads and their delays since the last call. */
  takeWindow(): { delivered: number; delay: DelaySummary } {
    const window = { delivered: this.windowDelivered, delay: summarizeDelays(this.windowDelays) };
    this.windowDelays = [];
    this.windowDelivered = 0;
    return window;
  }

  /** The sent payloads never delivered, as `[first, last]` number ranges, the first `limit`. */
  missingRanges(limit = 20): [number, number][] {
    const ranges: [number, number][] = [];
    for (let n = 0; n < this.sentCount; n++) {
      if (this.seen[n] === 1) continue;
      const last = ranges.at(-1);
      if (last?.[1] === n - 1) last[1] = n;
      else if (ranges.length < limit) ranges.push([n, n]);
      else break;
    }
    return ranges;
  }

  counts(): StreamCounts {
    return {
      sent: this.sentCount,
      delivered: this.deliveredCount,
      missing: this.sentCount - this.deliveredCount,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      unstamped: this.unstamped,
      highestDelivered: this.highest,
      delay: summarizeDelays(this.delays),
    };
  }
}
