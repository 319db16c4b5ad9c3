/**
 * The bottleneck of one emulated direction: when a datagram leaves it, behind the ones already
 * admitted. A fixed rate (bits per second, unlimited without one) or a capacity trace (one 1500-byte
 * opportunity per trace line; an opportunity that passes with nothing queued is lost, and a
 * datagram may use what is left of the opportunity the previous one left at).
 *
 * `ImpairedDirection` admits every datagram through one; the benchmark's oracle plans a stream on
 * several to find what the links could carry at best. {@link Bottleneck.departure} only looks;
 * {@link Bottleneck.admit} commits.
 */
import { TRACE_OPPORTUNITY_BYTES, type CapacityTrace } from './capacity-trace.js';

export interface BottleneckCapacity {
  /** Bits per second; undefined (with no trace): unlimited. */
  readonly rateBps: number | undefined;
  /** A capacity trace instead of a rate. */
  readonly trace: CapacityTrace | undefined;
}

export class Bottleneck {
  /** Departure of the last datagram admitted, ms. */
  private lastDeparture = Number.NEGATIVE_INFINITY;
  /** Trace replay: the opportunity the last admitted datagram leaves at, and bytes left in it. */
  private traceIndex = -1;
  private traceCredit = 0;

  constructor(private capacity: BottleneckCapacity) {}

  /** When the last datagram admitted leaves, ms (`-Infinity` before the first). */
  get lastDepartureMs(): number {
    return this.lastDeparture;
  }

  /** When a datagram of `size` bytes arriving at `now` (ms) would leave; admits nothing. */
  departure(now: number, size: number): number {
    return this.plan(now, size, false);
  }

  /** Admits a datagram of `size` bytes arriving at `now`; returns when it leaves, ms. */
  admit(now: number, size: number): number {
    return this.plan(now, size, true);
  }

  /** A new rate or trace: what is admitted from now on is planned on it, from scratch. */
  reset(capacity: BottleneckCapacity): void {
    this.capacity = capacity;
    this.lastDeparture = Number.NEGATIVE_INFINITY;
    this.traceIndex = -1;
    this.traceCredit = 0;
  }

  private plan(now: number, size: number, commit: boolean): number {
    const { rateBps, trace } = this.capacity;
    if (trace !== undefined) {
      let index = this.traceIndex;
      let credit = this.traceCredit;
      // An opportunity that passed with nobody queued is lost (the bottleneck idled).
      if (index < 0 || trace.timeOf(index) < now) {
        index = trace.firstAtOrAfter(now);
        credit = TRACE_OPPORTUNITY_BYTES;
      }
      let need = size;
      while (need > credit) {
        need -= credit;
        index++;
        credit = TRACE_OPPORTUNITY_BYTES;
      }
      const departure = trace.timeOf(index);
      if (commit) {
        this.traceIndex = index;
        this.traceCredit = credit - need;
        this.lastDeparture = departure;
      }
      return departure;
    }
    const start = Math.max(now, this.lastDeparture);
    const departure = rateBps === undefined ? start : start + (size * 8 * 1000) / rateBps;
    if (commit) this.lastDeparture = departure;
    return departure;
  }
}
