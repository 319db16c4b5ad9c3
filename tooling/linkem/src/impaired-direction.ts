/**
 * One direction of an emulated uplink, in injected time (ms from the emulator's start): a
 * bottleneck (fixed rate or capacity trace) behind a queue limited in bytes and/or ms, then random
 * and bursty loss, then propagation delay with jitter that never reorders, with outages
 * black-holing datagrams on the way in and on the way out. Every datagram's fate is counted.
 *
 * The same model as the core simulator's `SimPath`, driven by real time: call `offer` for each
 * datagram, and `service(now)` at `nextDueMs()` (or later) to release what is due.
 */
import { Bottleneck } from './bottleneck.js';
import { Fifo } from './fifo.js';
import type { ResolvedImpairment } from './options.js';
import type { RandomSource } from './seeded-random.js';

/** Why a datagram was dropped. */
export type DropCause = 'queue' | 'loss' | 'outage' | 'noPeer' | 'stalePort';

export interface DirectionStats {
  /** Datagrams handed to this direction, and their payload bytes. */
  offered: number;
  offeredBytes: number;
  /** Datagrams sent on to the far end, and their payload bytes. */
  delivered: number;
  deliveredBytes: number;
  /**
   * Dropped datagrams by cause: `queue` (queue limit), `loss` (random or bursty), `outage`,
   * `noPeer` (a reply before the sender was known), `stalePort` (a reply to a port given up by NAT
   * rebinding).
   */
  dropped: Record<DropCause, number>;
  /** Failed socket sends (counted after `delivered`). */
  sendErrors: number;
  /** Bytes waiting at the bottleneck now, and how long the last of them will wait, ms. */
  queueBytes: number;
  queueMs: number;
  /** Datagrams past the bottleneck, still on their propagation delay. */
  inFlight: number;
}

interface Queued {
  readonly payload: Uint8Array;
  departure: number;
  readonly lost: boolean;
}

interface InFlight {
  readonly payload: Uint8Array;
  readonly arrival: number;
}

/** 131072: datagrams held at most (queue + in flight), so no setting can exhaust memory. */
const MAX_HELD = 131_072;

export class ImpairedDirection {
  private impairment: ResolvedImpairment;
  private readonly queue = new Fifo<Queued>();
  private readonly inFlight = new Fifo<InFlight>();
  private queuedBytes = 0;
  private readonly bottleneck: Bottleneck;
  private lastArrival = Number.NEGATIVE_INFINITY;
  /** Gilbert-Elliott state. */
  private bad = false;
  private readonly counters: Omit<DirectionStats, 'queueBytes' | 'queueMs' | 'inFlight'> = {
    offered: 0,
    offeredBytes: 0,
    delivered: 0,
    deliveredBytes: 0,
    dropped: { queue: 0, loss: 0, outage: 0, noPeer: 0, stalePort: 0 },
    sendErrors: 0,
  };

  /** `deliver` is called for each datagram that reaches the far end, in offer order. */
  constructor(
    impairment: ResolvedImpairment,
    private readonly random: RandomSource,
    private readonly deliver: (payload: Uint8Array) => void,
  ) {
    this.impairment = impairment;
    this.bottleneck = new Bottleneck(impairment);
  }

  get settings(): ResolvedImpairment {
    return this.impairment;
  }

  /** Takes a datagram at `now`: drops it (counted) or queues it for release by `service`. */
  offer(now: number, payload: Uint8Array): void {
    this.service(now);
    const size = payload.byteLength;
    this.counters.offered++;
    this.counters.offeredBytes += size;
    const settings = this.impairment;
    if (this.inOutage(now)) {
      this.counters.dropped.outage++;
      return;
    }
    if (
      this.queuedBytes + size > settings.queueBytes ||
      this.queue.length + this.inFlight.length >= MAX_HELD
    ) {
      this.counters.dropped.queue++;
      return;
    }
    const departure = this.plan(now, size, true);
    if (departure === undefined) {
      this.counters.dropped.queue++;
      return;
    }
    this.queue.push({ payload, departure, lost: this.rollLoss() });
    this.queuedBytes += size;
    this.service(now);
  }

  /** Counts a datagram that could not enter this direction at all (no peer, stale port). */
  reject(payload: Uint8Array, cause: 'noPeer' | 'stalePort'): void {
    this.counters.offered++;
    this.counters.offeredBytes += payload.byteLength;
    this.counters.dropped[cause]++;
  }

  /** Counts a socket send that failed after delivery. */
  countSendError(): void {
    this.counters.sendErrors++;
  }

  /** Releases everything due at `now`: departures from the bottleneck, then arrivals. */
  service(now: number): void {
    const settings = this.impairment;
    for (let head = this.queue.peek(); head !== undefined && head.departure <= now;) {
      this.queue.shift();
      this.queuedBytes -= head.payload.byteLength;
      if (head.lost) {
        this.counters.dropped.loss++;
      } else {
        const jitter = settings.jitterMs > 0 ? settings.jitterMs * this.random.next() : 0;
        const arrival = Math.max(head.departure + settings.delayMs + jitter, this.lastArrival);
        this.lastArrival = arrival;
        this.inFlight.push({ payload: head.payload, arrival });
      }
      head = this.queue.peek();
    }
    for (let head = this.inFlight.peek(); head !== undefined && head.arrival <= now;) {
      this.inFlight.shift();
      if (this.inOutage(head.arrival)) {
        this.counters.dropped.outage++;
      } else {
        this.counters.delivered++;
        this.counters.deliveredBytes += head.payload.byteLength;
        this.deliver(head.payload);
      }
      head = this.inFlight.peek();
    }
  }

  /** When `service` next has something to release, ms; `Infinity` when idle. */
  nextDueMs(): number {
    return Math.min(
      this.queue.peek()?.departure ?? Number.POSITIVE_INFINITY,
      this.inFlight.peek()?.arrival ?? Number.POSITIVE_INFINITY,
    );
  }

  /**
   * Replaces the impairment at `now`. A new rate or trace re-plans the queued datagrams from `now`;
   * datagrams already past the bottleneck keep their arrival times.
   */
  update(now: number, impairment: ResolvedImpairment): void {
    this.service(now);
    const previous = this.impairment;
    this.impairment = impairment;
    if (previous.rateBps !== impairment.rateBps || previous.trace !== impairment.trace) {
      this.bottleneck.reset(impairment);
      for (const item of this.queue) {
        item.departure = this.plan(now, item.payload.byteLength, false) ?? now;
      }
    }
    if (impairment.burst === undefined) this.bad = false;
  }

  stats(now: number): DirectionStats {
    this.service(now);
    const tail = this.queue.length > 0 ? this.bottleneck.lastDepartureMs : now;
    return {
      ...this.counters,
      dropped: { ...this.counters.dropped },
      queueBytes: this.queuedBytes,
      queueMs: Math.max(0, tail - now),
      inFlight: this.inFlight.length,
    };
  }

  private inOutage(at: number): boolean {
    for (const [start, end] of this.impairment.outages) {
      if (at >= start && at < end) return true;
    }
    return false;
  }

  /** Decides at admission whether a datagram is lost: bursty loss first, then random loss. */
  private rollLoss(): boolean {
    const { burst, lossRate } = this.impairment;
    if (burst !== undefined) {
      const roll = this.random.next();
      this.bad = this.bad ? roll >= burst.leave : roll < burst.enter;
      if (this.bad) return true;
    }
    return lossRate > 0 && this.random.next() < lossRate;
  }

  /**
   * Departure time from the bottleneck of a datagram of `size` bytes arriving at `now` behind the
   * ones already queued; commits it unless it exceeds the ms queue limit (then undefined).
   */
  private plan(now: number, size: number, enforceLimit: boolean): number | undefined {
    if (enforceLimit && this.bottleneck.departure(now, size) - now > this.impairment.queueMs) {
      return undefined;
    }
    return this.bottleneck.admit(now, size);
  }
}
