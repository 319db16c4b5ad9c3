/**
 * `adaptive`: bond's default balancer (architecture.md, "The three algorithms").
 *
 * Each link gets a send rate it can deliver without building a queue, and packets are spread by
 * those rates:
 * * **Rate per link.** From SRTLA ACK timing the scheduler measures each link's delivery rate
 *   (bytes acknowledged per RTT: while the link holds a queue, or when it beats the estimate, this
 *   updates the link's capacity estimate; idle time never lowers it) and its
 *   queueing delay (ACK delay over its 10-second minimum). The send rate is capacity times a gain:
 *   below the delay target the gain climbs (x1.5 per RTT to 1.5 in slow start, then x1.05 per RTT
 *   to 1.15), which probes for more; above it the gain falls (x0.9, or x0.7 above twice the
 *   target), which drains the queue; a NAKed
 *   packet costs 10% of the gain, once per RTT. Rates are anchored to what links really deliver,
 *   so the split between links follows their capacities. A floor keeps every healthy link
 *   carrying a little traffic, so its recovery is seen.
 * * **Placement.** A virtual clock per link advances by `bytes / rate` for each packet; a packet
 *   goes to the link where it would arrive soonest (virtual send time plus one-way delay), so load
 *   follows capacity, fast links are preferred while they have room, and user priority scales the
 *   rate (0 disables the link). Each link's packets in flight are capped at what its rate
 *   delivers in one RTT plus the delay target; when every link is at its cap, the packet goes to
 *   the least loaded one relative to its cap (ACK clocking), which follows sudden capacity drops
 *   within an RTT. Retransmissions go to the fastest healthy link other than the one
 *   that lost them.
 * * **Failure.** A link that has had ten packets in flight for max(3 RTT, 800 ms) without an SRTLA
 *   ACK is stalled and carries nothing; a keepalive echo sent after the stall began brings it back
 *   at its old capacity estimate.
 *
 * Pure and time-injected; per packet it allocates nothing.
 */
import type { PacketHint, Scheduler, SchedulerLink } from './scheduler.js';

export interface AdaptiveOptions {
  /** Rate a new link starts at, bytes/s. Default 250 000 (2 Mbit/s). */
  readonly initialRateBytesPerSec?: number;
  /** Floor of a healthy link's rate, bytes/s. Default 20 000. */
  readonly minRateBytesPerSec?: number;
  /** Queueing delay the controller aims below, ms: max(this, base RTT / 2), capped at 100. Default 20. */
  readonly targetQueueingMs?: number;
  /** A link is stalled after this long without ACKs while loaded (or 3 RTT if longer), ms. Default 700. */
  readonly stallMs?: number;
}

/** 100 ms: how far a link's virtual clock may run ahead of real time. */
const VIRTUAL_AHEAD_MS = 100;
/** Packets that must be in flight since the last ACK before a link can be declared stalled. */
const STALL_PACKETS = 10;
/** 10 s: window of the ACK-delay minimum (the link's base). */
const BASE_WINDOW_MS = 10_000;
const SMOOTHING = 1 / 4;

/** Gain bounds: the send rate is capacity x gain. */
const GAIN_MIN = 0.25;
/** In slow start (until the first sign of a queue) links are offered this times their estimate... */
const GAIN_MAX_START = 2;
/** ...afterwards, for one RTT every PROBE_PERIOD_MS when there is no queue, this. */
const GAIN_PROBE = 1.25;
const PROBE_PERIOD_MS = 2000;

interface LinkState {
  rate: number;
  gain: number;
  /** Multiplier from recent NAKs on this link, in [GAIN_MIN, 1]. */
  lossFactor: number;
  /** Capacity estimate, bytes/s: the delivery-rate maximum (or the initial rate before samples). */
  capacity: number;
  slowStart: boolean;
  /** Virtual time at which the link's next byte may leave. */
  virtualTime: number;
  lastAdjustAt: number;
  lastNakCutAt: number;
  lastProbeAt: number;
  /** ACK-delay minimum over two buckets. */
  baseBucketStart: number;
  baseCurrent: number;
  basePrevious: number;
  queueingMs: number;
  ackDelayMs: number | undefined;
  /** Delivery rate: bytes acked since `deliveryMark`, sampled once per RTT. */
  deliveredBytes: number;
  deliveryMarkBytes: number;
  deliveryMarkAt: number;
  deliveryRate: number;
  /** Bytes sent since the last adjustment (to tell a rate-limited link from an idle one). */
  sentSinceAdjust: number;
  /** The link used at least half its allowance in the last adjustment period. */
  limited: boolean;
  averagePacketBytes: number;
  /** Sends since the last ACK: count and the time of the STALL_PACKETS-th one. */
  sentSinceAck: number;
  stallClockAt: number;
  stalled: boolean;
  stalledAt: number;
  stalls: number;
}

function newState(rate: number, now: number): LinkState {
  return {
    rate,
    gain: 1,
    lossFactor: 1,
    capacity: rate,
    slowStart: true,
    virtualTime: now,
    lastAdjustAt: now,
    lastNakCutAt: -Infinity,
    lastProbeAt: now,
    baseBucketStart: now,
    baseCurrent: Infinity,
    basePrevious: Infinity,
    queueingMs: 0,
    ackDelayMs: undefined,
    deliveredBytes: 0,
    deliveryMarkBytes: 0,
    deliveryMarkAt: now,
    deliveryRate: 0,
    sentSinceAdjust: 0,
    limited: true,
    averagePacketBytes: 1332,
    sentSinceAck: 0,
    stallClockAt: 0,
    stalled: false,
    stalledAt: 0,
    stalls: 0,
  };
}

export class AdaptiveScheduler implements Scheduler {
  readonly name = 'adaptive';
  private readonly states: (LinkState | undefined)[] = [];
  private readonly initialRate: number;
  private readonly minRate: number;
  private readonly targetQueueingMs: number;
  private readonly stallMs: number;
  private lastNow = 0;

  constructor(options: AdaptiveOptions = {}) {
    this.initialRate = options.initialRateBytesPerSec ?? 250_000;
    this.minRate = options.minRateBytesPerSec ?? 20_000;
    this.targetQueueingMs = options.targetQueueingMs ?? 20;
    this.stallMs = options.stallMs ?? 700;
  }

  addLink(link: SchedulerLink): void {
    this.states[link.index] = newState(this.initialRate, this.lastNow);
  }

  removeLink(link: SchedulerLink): void {
    this.states[link.index] = undefined;
  }

  linkUp(link: SchedulerLink): void {
    this.states[link.index] = newState(this.initialRate, this.lastNow);
  }

  linkDown(link: SchedulerLink): void {
    const state = this.states[link.index];
    if (state !== undefined) state.virtualTime = this.lastNow;
  }

  select(
    now: number,
    links: readonly SchedulerLink[],
    bytes: number,
    packet: PacketHint,
  ): SchedulerLink | undefined {
    this.lastNow = now;
    let best: SchedulerLink | undefined;
    let bestArrival = Infinity;
    let fallback: SchedulerLink | undefined;
    let fallbackArrival = Infinity;
    let probe: SchedulerLink | undefined;
    let probeIdleSince = Infinity;
    // When every link is at its in-flight cap (overload), the packet goes where the fewest packets
    // wait per allowed packet: ACK clocking spreads the excess by what each link really delivers.
    let clocked: SchedulerLink | undefined;
    let clockedLoad = Infinity;
    for (const link of links) {
      const state = this.states[link.index];
      if (state === undefined || !link.up || link.priority <= 0) continue;
      this.checkStall(now, link, state);
      if (state.stalled) continue;
      const oneWayMs = this.oneWayMs(link, state);
      if (packet.retransmit) {
        // Retransmissions: fastest healthy link, preferably not the one that lost the original.
        const arrival = oneWayMs + state.queueingMs;
        if (link.index === packet.previousLink) {
          if (arrival < fallbackArrival) {
            fallback = link;
            fallbackArrival = arrival;
          }
        } else if (arrival < bestArrival) {
          best = link;
          bestArrival = arrival;
        }
        continue;
      }
      const rate = (state.rate * link.priority) / 100;
      const cap = this.inFlightCap(link, state, rate);
      const load = link.inFlight / cap;
      if (load < clockedLoad) {
        clocked = link;
        clockedLoad = load;
      }
      if (link.inFlight >= cap) continue;
      const start = state.virtualTime > now ? state.virtualTime : now;
      const arrival = start + (bytes * 1000) / rate + oneWayMs;
      if (arrival < bestArrival) {
        best = link;
        bestArrival = arrival;
      }
      // A link left idle for one packet's time at the floor rate is owed a probe packet.
      const probeGapMs = (state.averagePacketBytes * 1000) / this.minRate;
      if (
        packet.isData &&
        now - state.virtualTime >= probeGapMs &&
        state.virtualTime < probeIdleSince
      ) {
        probe = link;
        probeIdleSince = state.virtualTime;
      }
    }
    if (packet.retransmit) return best ?? fallback;
    return probe ?? best ?? clocked;
  }

  onSent(now: number, link: SchedulerLink, _seq: number, bytes: number): void {
    const state = this.states[link.index];
    if (state === undefined) return;
    const rate = (state.rate * Math.max(link.priority, 1)) / 100;
    if (state.virtualTime < now) {
      // Idle until now: the packet opens a new busy period, and an idle probe cannot be repeated
      // before another floor-rate packet time has passed.
      state.virtualTime = now + Math.max((bytes * 1000) / rate, 0);
    } else {
      // The virtual clock never runs more than VIRTUAL_AHEAD_MS ahead: packets placed beyond a
      // link's rate (ACK clocking under overload) must not leave a debt that keeps the link
      // unused long after the overload has passed.
      state.virtualTime = Math.min(
        state.virtualTime + (bytes * 1000) / rate,
        now + VIRTUAL_AHEAD_MS,
      );
    }
    state.sentSinceAdjust += bytes;
    state.averagePacketBytes += (bytes - state.averagePacketBytes) / 16;
    state.sentSinceAck++;
    if (state.sentSinceAck === STALL_PACKETS) state.stallClockAt = now;
  }

  onSrtlaAck(): void {
    // Acted on per ACK in onSrtlaAckDone.
  }

  onSrtlaAckDone(
    now: number,
    link: SchedulerLink,
    sentByLink: number,
    newestSentAt: number | undefined,
  ): void {
    const state = this.states[link.index];
    if (state === undefined) return;
    state.sentSinceAck = 0;
    if (state.stalled) this.recover(state, now);
    state.deliveredBytes += sentByLink * state.averagePacketBytes;
    if (newestSentAt !== undefined) this.addDelaySample(state, now, now - newestSentAt);
    this.sampleDelivery(link, state, now);
    this.adjust(link, state, now);
  }

  onSrtNak(now: number, link: SchedulerLink, _seq: number, firstCopy: boolean): void {
    const state = this.states[link.index];
    if (state === undefined || !firstCopy) return;
    if (now - state.lastNakCutAt < this.rttMs(link, state)) return;
    state.lastNakCutAt = now;
    state.lossFactor = Math.max(GAIN_MIN, state.lossFactor * 0.9);
    state.gain *= 0.9;
    this.applyRate(state);
  }

  onKeepaliveEcho(now: number, link: SchedulerLink, rttMs: number): void {
    const state = this.states[link.index];
    // The echo left after the stall began: the uplink delivers again.
    if (state?.stalled === true && now - rttMs >= state.stalledAt) this.recover(state, now);
  }

  window(link: SchedulerLink): number {
    const state = this.states[link.index];
    if (state === undefined) return 0;
    // The packets the rate allows per RTT, in the keepalive's x1000 units.
    const packets = (state.rate * this.rttMs(link, state)) / 1000 / state.averagePacketBytes;
    return Math.round(Math.min(60_000_000, packets * 1000));
  }

  /** Per-link state for stats, by link index. */
  toJSON(): unknown {
    return {
      name: this.name,
      links: this.states.map((state) =>
        state === undefined
          ? null
          : {
              rateBytesPerSec: Math.round(state.rate),
              capacityBytesPerSec: Math.round(state.capacity),
              gain: Math.round(state.gain * 100) / 100,
              deliveryRateBytesPerSec: Math.round(state.deliveryRate),
              queueingMs: Math.round(state.queueingMs * 10) / 10,
              slowStart: state.slowStart,
              stalled: state.stalled,
              stalls: state.stalls,
            },
      ),
    };
  }

  // ---------------------------------------------------------------- internals

  private rttMs(link: SchedulerLink, state: LinkState): number {
    const base = Math.min(state.baseCurrent, state.basePrevious);
    return link.srttMs ?? (Number.isFinite(base) ? base : 100);
  }

  private oneWayMs(link: SchedulerLink, state: LinkState): number {
    return this.rttMs(link, state) / 2;
  }

  /**
   * Packets the link may have in flight: what its rate delivers in one base RTT plus the delay
   * target, plus the 10 packets an SRTLA ACK waits for.
   */
  private inFlightCap(link: SchedulerLink, state: LinkState, rate: number): number {
    const base = Math.min(state.baseCurrent, state.basePrevious);
    const rttMs = Number.isFinite(base) ? base : this.rttMs(link, state);
    const windowMs = rttMs + Math.max(this.targetQueueingMs, rttMs / 2);
    return (rate * windowMs) / 1000 / state.averagePacketBytes + STALL_PACKETS;
  }

  private checkStall(now: number, link: SchedulerLink, state: LinkState): void {
    if (state.stalled || state.sentSinceAck < STALL_PACKETS) return;
    const limit = Math.max(this.stallMs, 3 * this.rttMs(link, state));
    if (now - state.stallClockAt < limit) return;
    state.stalled = true;
    state.stalledAt = now;
    state.stalls++;
  }

  private recover(state: LinkState, now: number): void {
    state.stalled = false;
    state.sentSinceAck = 0;
    // Back at its old estimate (a stall says the path was cut, not that it got slower); the
    // queueing-delay gain corrects it within a few RTTs if it did.
    state.slowStart = false;
    state.gain = 1;
    state.queueingMs = 0;
    this.applyRate(state);
    state.virtualTime = now;
    state.lastAdjustAt = now;
  }

  private addDelaySample(state: LinkState, now: number, delayMs: number): void {
    if (!(delayMs >= 0)) return;
    if (now - state.baseBucketStart >= BASE_WINDOW_MS / 2) {
      state.basePrevious = state.baseCurrent;
      state.baseCurrent = Infinity;
      state.baseBucketStart = now;
    }
    if (delayMs < state.baseCurrent) state.baseCurrent = delayMs;
    const base = Math.min(state.baseCurrent, state.basePrevious);
    state.ackDelayMs = delayMs;
    state.queueingMs += SMOOTHING * (delayMs - base - state.queueingMs);
  }

  private sampleDelivery(link: SchedulerLink, state: LinkState, now: number): void {
    const interval = now - state.deliveryMarkAt;
    if (interval < Math.max(50, this.rttMs(link, state))) return;
    state.deliveryRate = ((state.deliveredBytes - state.deliveryMarkBytes) * 1000) / interval;
    state.deliveryMarkBytes = state.deliveredBytes;
    state.deliveryMarkAt = now;
    // What a link delivers is min(what it was sent, what it can carry): a sample says something
    // about capacity only when the link had a queue (it was sent more than it could carry), or
    // when it beats the estimate. Idle or lightly used links keep their estimate (no lock-out).
    const base = Math.min(state.baseCurrent, state.basePrevious);
    const saturated =
      state.queueingMs > Math.max(this.targetQueueingMs, Number.isFinite(base) ? base / 2 : 0) / 2;
    if (state.deliveryRate > state.capacity) {
      state.capacity = state.deliveryRate;
    } else if (saturated && state.limited) {
      state.capacity = Math.max(
        this.minRate,
        state.capacity + SMOOTHING * (state.deliveryRate - state.capacity),
      );
    }
  }

  private applyRate(state: LinkState): void {
    state.rate = Math.max(this.minRate, state.capacity * state.gain);
  }

  private adjust(link: SchedulerLink, state: LinkState, now: number): void {
    const rtt = this.rttMs(link, state);
    const elapsed = now - state.lastAdjustAt;
    if (elapsed < Math.max(20, rtt)) return;
    state.limited = state.sentSinceAdjust >= 0.5 * ((state.rate * elapsed) / 1000);
    const base = Math.min(state.baseCurrent, state.basePrevious);
    const target = Math.min(
      100,
      Math.max(this.targetQueueingMs, Number.isFinite(base) ? base / 2 : 0),
    );
    const q = state.queueingMs;
    if (q > target) state.slowStart = false;
    // The gain is a function of the link's current queueing delay, not an integrator: a link with
    // a queue is offered less until it drains, whatever the other links do, so the split settles.
    let gain: number;
    // Continuous in q (no steps, so no flapping): GAIN_MAX with no queue, 1 at the target, then
    // down to GAIN_MIN at four times the target.
    if (state.slowStart) gain = GAIN_MAX_START;
    else if (q <= target) {
      // At capacity, with a one-RTT probe above it every PROBE_PERIOD_MS when there is no queue:
      // enough to discover more capacity, too short to build a standing queue.
      const probing = q <= target / 2 && now - state.lastProbeAt >= PROBE_PERIOD_MS;
      if (probing) state.lastProbeAt = now;
      gain = probing ? GAIN_PROBE : 1;
    } else gain = Math.max(GAIN_MIN, 1 - (0.75 * (q - target)) / (3 * target));
    // Loss evidence (NAKs) decays back toward none at 5% per RTT.
    state.lossFactor = Math.min(1, state.lossFactor * 1.05);
    state.gain = gain * state.lossFactor;
    this.applyRate(state);
    state.lastAdjustAt = now;
    state.sentSinceAdjust = 0;
  }
}
