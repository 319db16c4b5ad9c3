/**
 * One direction of a simulated uplink: a bottleneck (fixed rate or a cellular capacity trace) with
 * a byte-limited queue, then propagation delay with jitter that never reorders, random and bursty
 * loss, and outages. Every datagram's fate is counted by cause.
 */
import { readFileSync } from 'node:fs';
import type { RandomSource } from '../../src/index.js';
import { traceFile, type TraceFileName } from '../traces.js';

/** Delivery opportunities of a Mahimahi-style trace: ms offsets, each for one 1500-byte packet. */
export function loadTrace(name: TraceFileName): Float64Array {
  const text = readFileSync(traceFile(name), 'utf8');
  const values = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
  return Float64Array.from(values);
}

export interface PathConfig {
  /** Bottleneck rate in bits per second (ignored when `trace` is set). Default: unlimited. */
  readonly rateBps?: number;
  /** Capacity trace (delivery opportunities in ms, repeating). */
  readonly trace?: Float64Array;
  /** Queue limit in bytes before the bottleneck; beyond it, datagrams are dropped. Default 1 MB. */
  readonly queueBytes?: number;
  /** One-way propagation delay, ms. */
  readonly delayMs: number;
  /** Extra delay, uniform in [0, jitterMs), never reordering. */
  readonly jitterMs?: number;
  /** Independent loss probability. */
  readonly lossRate?: number;
  /** Bursty loss (Gilbert-Elliott): P(good -> bad) and P(bad -> good) per datagram; all lost in bad. */
  readonly burst?: { readonly enter: number; readonly leave: number };
  /** Black-hole intervals [start, end) in ms. */
  readonly outages?: readonly (readonly [number, number])[];
  /** Extra independent loss [start, end, probability] during intervals (a link degrading for a while). */
  readonly lossWindows?: readonly (readonly [number, number, number])[];
}

export interface PathCounters {
  sent: number;
  delivered: number;
  droppedQueue: number;
  droppedLoss: number;
  droppedOutage: number;
}

export class SimPath {
  readonly counters: PathCounters = {
    sent: 0,
    delivered: 0,
    droppedQueue: 0,
    droppedLoss: 0,
    droppedOutage: 0,
  };
  /** Departure times and sizes of datagrams still in the queue. */
  private readonly queue: { departure: number; size: number }[] = [];
  private queuedBytes = 0;
  private lastDeparture = 0;
  private lastArrival = 0;
  private traceIndex = 0;
  private traceEpoch = 0;
  private bad = false;
  /** Datagram fates for data packets only, by cause (what the reconciliation reads). */
  readonly dataCounters: PathCounters = {
    sent: 0,
    delivered: 0,
    droppedQueue: 0,
    droppedLoss: 0,
    droppedOutage: 0,
  };

  constructor(
    public config: PathConfig,
    private readonly random: RandomSource,
  ) {}

  /**
   * Offers a datagram at `now`. Returns its arrival time at the far end, or undefined if dropped.
   */
  send(now: number, size: number, isData: boolean): number | undefined {
    const counters = this.counters;
    counters.sent++;
    if (isData) this.dataCounters.sent++;
    const drop = (cause: 'droppedQueue' | 'droppedLoss' | 'droppedOutage'): void => {
      counters[cause]++;
      if (isData) this.dataCounters[cause]++;
    };
    for (const [start, end] of this.config.outages ?? []) {
      if (now >= start && now < end) {
        drop('droppedOutage');
        return undefined;
      }
    }
    while (this.queue.length > 0 && (this.queue[0]?.departure ?? Infinity) <= now) {
      this.queuedBytes -= this.queue.shift()?.size ?? 0;
    }
    if (this.queuedBytes + size > (this.config.queueBytes ?? 1_000_000)) {
      drop('droppedQueue');
      return undefined;
    }
    const departure = this.departure(now, size);
    this.queue.push({ departure, size });
    this.queuedBytes += size;
    if (this.config.burst !== undefined) {
      const roll = this.random.nextFloat();
      this.bad = this.bad ? roll >= this.config.burst.leave : roll < this.config.burst.enter;
      if (this.bad) {
        drop('droppedLoss');
        return undefined;
      }
    }
    for (const [start, end, probability] of this.config.lossWindows ?? []) {
      if (now >= start && now < end && this.random.nextFloat() < probability) {
        drop('droppedLoss');
        return undefined;
      }
    }
    if (this.config.lossRate !== undefined && this.random.nextFloat() < this.config.lossRate) {
      drop('droppedLoss');
      return undefined;
    }
    const jitter = (this.config.jitterMs ?? 0) * this.random.nextFloat();
    const arrival = Math.max(departure + this.config.delayMs + jitter, this.lastArrival);
    this.lastArrival = arrival;
    counters.delivered++;
    if (isData) this.dataCounters.delivered++;
    return arrival;
  }

  /** Bytes waiting at the bottleneck at `now`. */
  backlogBytes(now: number): number {
    let bytes = 0;
    for (const item of this.queue) if (item.departure > now) bytes += item.size;
    return bytes;
  }

  private departure(now: number, size: number): number {
    const start = Math.max(now, this.lastDeparture);
    const trace = this.config.trace;
    if (trace !== undefined && trace.length > 0) {
      const period = trace[trace.length - 1] ?? 1;
      // Next opportunity strictly after the previous departure and not before `start`.
      for (let guard = 0; guard < 10 * trace.length; guard++) {
        const at = this.traceEpoch * period + (trace[this.traceIndex] ?? 0);
        this.traceIndex++;
        if (this.traceIndex >= trace.length) {
          this.traceIndex = 0;
          this.traceEpoch++;
        }
        if (at >= start) {
          this.lastDeparture = at;
          return at;
        }
      }
      this.lastDeparture = start;
      return start;
    }
    const rate = this.config.rateBps;
    const serialisation = rate === undefined ? 0 : (size * 8 * 1000) / rate;
    this.lastDeparture = start + serialisation;
    return this.lastDeparture;
  }
}
