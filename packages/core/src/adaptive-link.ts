/**
 * What the `adaptive` balancer knows about one link (see adaptive-scheduler.ts): its capacity
 * estimate, queueing delay and base, loss evidence, gain, stall state, capacity probe and queue
 * drain. Everything is
 * learned from the sender's own signals (SRTLA ACK timing, SRT NAKs, keepalive echoes); nothing
 * here lowers an estimate because a link carried little. The capacity estimate is the largest
 * delivery sample of the last 2-4 s once the link shows it is full (CAPACITY_WINDOW_MS), held
 * while it carries all it is sent, and corrected down while it holds a queue.
 *
 * Pure and time-injected; no allocation after construction.
 */
import { settleFields } from './settle-fields.js';

/** Settings shared by every link of one scheduler. */
export interface AdaptiveLinkSettings {
  /** Floor of a healthy link's rate, bytes/s. */
  readonly minRate: number;
  /** Queueing delay the gain aims below, ms (before the per-link base RTT / 2 rule). */
  readonly targetQueueingMs: number;
  /** A loaded link without ACKs for this long (or 3 RTT if longer) is stalled, ms. */
  readonly stallMs: number;
}

/** 10: packets an SRTLA ACK covers, so packets that may be unacknowledged on a healthy link. */
const STALL_PACKETS = 10;
/** 10 s: window of the ACK-delay minimum (the link's base). */
const BASE_WINDOW_MS = 10_000;
/** Gain of the smoothed queueing delay and of the capacity estimate's downward correction. */
const SMOOTHING = 1 / 4;
/** The gain, and the loss factor, never go below this. */
const GAIN_MIN = 0.25;
/** In slow start (until the first queue) a link's cap and probes are this times its estimate. */
export const GAIN_START = 2;
/** Each RTT with a NAK on the link multiplies its loss factor by this. */
const NAK_CUT = 0.9;
/** 1 s: time constant with which loss evidence fades (the factor's distance from 1 decays). */
const LOSS_MEMORY_MS = 1000;
/** The loss factor is brought up to date at most this often, ms. */
const LOSS_DECAY_STEP_MS = 10;
/** After slow start a probe sends this times the estimate: 25% more, enough to be measured. */
const PROBE_GAIN = 1.25;
/** 2 s: time between probes after slow start, while they find more... */
const PROBE_PERIOD_MS = 2000;
/** ...backing off to this while they find nothing new. */
const PROBE_PERIOD_MAX_MS = 8000;
/** A probing link's pacing clock may lag real time by this much (a lag carried over, not lost). */
const PROBE_CLOCK_SLACK_MS = 10;
/** 4 s: a link whose queue has not emptied for this long drains (the base window is 10 s)... */
const DRAIN_AFTER_MS = 4000;
/** ...for about as long as its queue lasts, at most this long or the queueing budget, ms. */
const DRAIN_MAX_MS = 300;
/** 1332: an SRT data packet carrying 1316 bytes of payload, until packets are seen. */
const TYPICAL_PACKET_BYTES = 1332;
/** A link that sent nothing for this long (or 2 RTT if longer) starts a new delivery sample, ms. */
const IDLE_MS = 100;
/**
 * 4 s: window of the capacity estimate (the largest delivery sample over two 2-second buckets,
 * so 2 to 4 s). A sample above the link's real capacity (ACKs bunched after a radio stall, a
 * burst of a cellular schedule) raises the estimate at once; once it leaves the window, the
 * estimate falls to the window's largest sample, if the window holds evidence that the link is
 * carrying all it can (see CARRIED_SHARE). Without that evidence the estimate stays: a link that
 * delivers everything it is sent says only that it can carry at least that (no lock-out).
 */
const CAPACITY_WINDOW_MS = 4000;
/**
 * A delivery sample is evidence of the link's capacity (not only a lower bound) when the link
 * held a queue, or was sent at least its estimate and delivered less than this share of it over
 * the sample: it could not keep up, a queue is building before its delay shows. (A link sent
 * less than its estimate is never taken as full: its sends of the last RTT are not acknowledged
 * yet, so it always seems to deliver a little less than it was sent.)
 */
const CARRIED_SHARE = 0.9;

export class AdaptiveLink {
  /** The send rate, bytes/s: capacity x gain x loss factor, at least the floor. */
  rate: number;
  /**
   * Capacity estimate, bytes/s: the windowed delivery-rate maximum of a full link (see
   * CAPACITY_WINDOW_MS), corrected down under a queue.
   */
  capacity: number;
  gain = 1;
  /** Multiplier from recent NAKs on this link, in [GAIN_MIN, 1]. */
  lossFactor = 1;
  slowStart = true;
  /** Smoothed queueing delay, ms: ACK delay over its 10-second minimum... */
  queueingMs = 0;
  /** ...and the latest sample of it, unsmoothed. */
  lastQueueingMs = 0;
  /** The latest delivery-rate sample, bytes/s. */
  deliveryRate = 0;
  /**
   * How fast the link's queue drains, bytes/s: the capacity estimate, or the latest delivery
   * sample when that was taken under a queue (then the link delivered all it could).
   */
  drainRate: number;
  averagePacketBytes = TYPICAL_PACKET_BYTES;
  stalled = false;
  stalls = 0;

  /** Smooth weighted round robin: the link's credit, in rate units... */
  credit = 0;
  /** ...and the weight it takes part in the current deal with (0: not dealt to). */
  dealWeight = 0;

  /**
   * Until this time the link carries no data: its queue drains so that its base delay can be
   * measured again (a queue that never empties would otherwise become the base).
   */
  drainUntil = -Infinity;
  /** Last ACK-delay sample close to the base (the queue was nearly empty). */
  private lastLowDelayAt: number;

  /** A capacity probe: until `probeUntil` the link is sent `probeRate`, paced by `probeClock`. */
  probeUntil = -Infinity;
  probeRate = 0;
  probeClock: number;
  private probeMs = 1;
  private probeSentBytes = 0;
  /** Capacity estimate when the last probe began, and probes in a row that did not raise it. */
  private probeBaseline = 0;
  private flatProbes = 0;
  /** Time between probes after slow start. */
  private probePeriod = PROBE_PERIOD_MS;
  private lastProbeAt: number;

  private lossDecayedAt: number;
  private lastNakCutAt = -Infinity;
  private lastAdjustAt: number;
  /** ACK-delay minimum over two buckets. */
  private baseBucketStart: number;
  private baseCurrent = Infinity;
  private basePrevious = Infinity;
  /** Delivery rate: bytes acked since the mark, sampled once per RTT... */
  private deliveredBytes = 0;
  private deliveryMarkBytes = 0;
  private deliveryMarkAt: number;
  /** ...and bytes sent meanwhile (how loaded the link was). */
  private sentBytes = 0;
  private sentMarkBytes = 0;
  /**
   * Largest delivery sample in the current and the previous half-window, and whether either
   * half holds evidence that the link carried all it could (CARRIED_SHARE).
   */
  private capacityBucketStart: number;
  private capacityCurrent = 0;
  private capacityPrevious = 0;
  private fullCurrent = false;
  private fullPrevious = false;
  /** When the link last sent data (a send after an idle spell restarts the delivery sample). */
  private lastSentAt = -Infinity;
  /** Bytes sent since the last adjustment (to tell a rate-limited link from an idle one)... */
  private sentSinceAdjust = 0;
  /** ...and whether it used at least half its allowance in the last adjustment period. */
  private limited = true;
  /** Sends since the last ACK: count and the time of the STALL_PACKETS-th one. */
  private sentSinceAck = 0;
  private stallClockAt = 0;
  private stalledAt = 0;

  constructor(
    private readonly settings: AdaptiveLinkSettings,
    initialRate: number,
    now: number,
  ) {
    this.rate = initialRate;
    this.capacity = initialRate;
    this.drainRate = initialRate;
    this.probeClock = now;
    this.lastProbeAt = now;
    this.lossDecayedAt = now;
    this.lastAdjustAt = now;
    this.lastLowDelayAt = now;
    this.baseBucketStart = now;
    this.deliveryMarkAt = now;
    this.capacityBucketStart = now;
    settleFields(this);
  }

  // ---------------------------------------------------------------- delay

  /** Smoothed RTT from keepalives when known, else the ACK-delay minimum, else 100 ms. */
  rttMs(srttMs: number | undefined): number {
    const base = Math.min(this.baseCurrent, this.basePrevious);
    return srttMs ?? (Number.isFinite(base) ? base : 100);
  }

  /** The base RTT: the ACK-delay minimum, or {@link rttMs} before the first ACK. */
  baseRttMs(srttMs: number | undefined): number {
    const base = Math.min(this.baseCurrent, this.basePrevious);
    return Number.isFinite(base) ? base : this.rttMs(srttMs);
  }

  /** The queueing delay the gain aims at, ms: max(target, base RTT / 2), at most 100. */
  targetMs(): number {
    const base = Math.min(this.baseCurrent, this.basePrevious);
    return Math.min(
      100,
      Math.max(this.settings.targetQueueingMs, Number.isFinite(base) ? base / 2 : 0),
    );
  }

  /**
   * Packets the link may have in flight at `rate`: what it delivers in one base RTT plus the
   * delay target, plus the 10 packets an SRTLA ACK waits for.
   */
  inFlightCap(srttMs: number | undefined, rate: number): number {
    const rttMs = this.baseRttMs(srttMs);
    const windowMs = rttMs + Math.max(this.settings.targetQueueingMs, rttMs / 2);
    return (rate * windowMs) / 1000 / this.averagePacketBytes + STALL_PACKETS;
  }

  /**
   * How long a packet of `bytes` sent now would queue, ms, by the books: the bytes ahead of it (in
   * flight, beyond what one base RTT holds and the 10 packets an ACK may still be waiting for)
   * over {@link drainRate}. A prediction only: in-flight is known to 10 packets at best (without
   * SRT ACKs, up to 9 delivered packets per link wait for the next SRTLA ACK), and the drain rate
   * is an estimate; {@link measuredQueueingMs} says whether the link really holds a queue.
   */
  expectedWaitMs(srttMs: number | undefined, inFlight: number, bytes: number): number {
    const drainRate = this.drainRate;
    const ahead =
      (inFlight - STALL_PACKETS) * this.averagePacketBytes +
      bytes -
      (drainRate * this.baseRttMs(srttMs)) / 1000;
    return ahead > 0 ? (ahead * 1000) / drainRate : 0;
  }

  /**
   * The queueing delay the link's own signals show now, ms: the ACK delay over its base (the
   * latest sample or the smoothed value, whichever is higher), or, while an SRTLA ACK is overdue
   * (ten packets sent since the last one), how long the newest packet an ACK is due for has waited
   * beyond one base RTT. Evidence of a queue, unlike {@link expectedWaitMs}: a burst the capacity
   * estimate cannot explain shows nothing here until the link really delays it.
   */
  measuredQueueingMs(now: number, srttMs: number | undefined): number {
    const measured = Math.max(this.queueingMs, this.lastQueueingMs);
    if (this.sentSinceAck < STALL_PACKETS) return measured;
    return Math.max(measured, now - this.stallClockAt - this.baseRttMs(srttMs));
  }

  // ---------------------------------------------------------------- events

  /** A data packet of `bytes` was sent on the link. */
  sent(now: number, bytes: number, priority: number): void {
    // After an idle spell (or at the first packet) the delivery sample starts now: a rate over a
    // span the link had nothing to carry says how much it was given, not how much it can carry.
    if (now - this.lastSentAt > Math.max(IDLE_MS, 2 * this.baseRttMs(undefined))) {
      this.deliveryMarkAt = now;
      this.deliveryMarkBytes = this.deliveredBytes;
      this.sentMarkBytes = this.sentBytes;
    }
    this.lastSentAt = now;
    if (this.probeUntil > now) {
      const probeRate = (this.probeRate * Math.max(priority, 1)) / 100;
      // Paced without rounding each gap up to the next packet (a clock far behind restarts).
      if (this.probeClock < now - PROBE_CLOCK_SLACK_MS) this.probeClock = now;
      this.probeClock += (bytes * 1000) / probeRate;
      this.probeSentBytes += bytes;
    }
    this.sentSinceAdjust += bytes;
    this.sentBytes += bytes;
    this.averagePacketBytes += (bytes - this.averagePacketBytes) / 16;
    this.sentSinceAck++;
    if (this.sentSinceAck === STALL_PACKETS) this.stallClockAt = now;
  }

  /**
   * An SRTLA ACK arrived: `packets` of its seqs were sent on this link, the newest at
   * `newestSentAt`. Updates delay, delivery rate and capacity; returns whether the gain is due
   * for adjustment (once per RTT).
   */
  acknowledged(
    now: number,
    srttMs: number | undefined,
    packets: number,
    newestSentAt: number | undefined,
  ): boolean {
    this.sentSinceAck = 0;
    if (this.stalled) this.recover(now);
    this.deliveredBytes += packets * this.averagePacketBytes;
    if (newestSentAt !== undefined) this.addDelaySample(now, now - newestSentAt);
    this.sampleDelivery(now, srttMs);
    return now - this.lastAdjustAt >= Math.max(20, this.rttMs(srttMs));
  }

  /** The SRT listener reported a loss this link carried: at most one cut per RTT. */
  naked(now: number, srttMs: number | undefined): void {
    if (now - this.lastNakCutAt < this.rttMs(srttMs)) return;
    this.decayLoss(now);
    this.lastNakCutAt = now;
    this.lossFactor = Math.max(GAIN_MIN, this.lossFactor * NAK_CUT);
    this.applyRate();
  }

  /** A keepalive echo sent `rttMs` ago came back. */
  echoed(now: number, rttMs: number): void {
    // The echo left after the stall began: the uplink delivers again.
    if (this.stalled && now - rttMs >= this.stalledAt) this.recover(now);
  }

  /**
   * Whether the link is stalled: ten packets in flight for max(3 RTT, stallMs) without an ACK.
   * Call before using the link.
   */
  checkStall(now: number, srttMs: number | undefined): boolean {
    if (this.stalled || this.sentSinceAck < STALL_PACKETS) return this.stalled;
    const limit = Math.max(this.settings.stallMs, 3 * this.rttMs(srttMs));
    if (now - this.stallClockAt < limit) return false;
    this.stalled = true;
    this.stalledAt = now;
    this.stalls++;
    return true;
  }

  /** Fades the loss evidence with time, not traffic (see LOSS_MEMORY_MS). */
  decayLoss(now: number): void {
    const elapsed = now - this.lossDecayedAt;
    if (elapsed < LOSS_DECAY_STEP_MS) return;
    this.lossDecayedAt = now;
    if (this.lossFactor >= 1) return;
    this.lossFactor = 1 - (1 - this.lossFactor) * Math.exp(-elapsed / LOSS_MEMORY_MS);
    if (this.lossFactor > 0.999) this.lossFactor = 1;
    this.applyRate();
  }

  // ---------------------------------------------------------------- control

  /**
   * Once per RTT: sets the gain from the queueing delay. `streamRate` is the encoder's rate
   * (slow start ends once the link alone could carry it); `budgetMs` the scheduler's queueing
   * budget (the longest queue a drain may have to empty).
   */
  adjust(now: number, streamRate: number, budgetMs: number): void {
    const elapsed = now - this.lastAdjustAt;
    this.limited = this.sentSinceAdjust >= 0.5 * ((this.rate * elapsed) / 1000);
    const target = this.targetMs();
    const q = this.queueingMs;
    if (q > target || (streamRate > 0 && this.capacity >= 0.9 * streamRate)) {
      this.slowStart = false;
    }
    // The gain is a function of the link's current queueing delay, not an integrator: a link with
    // a queue is offered less until it drains, whatever the other links do, so the split settles.
    // Continuous in q (no steps, so no flapping): 1 at or below the target (GAIN_START in slow
    // start), then down to GAIN_MIN at four times the target.
    if (q > target) this.gain = Math.max(GAIN_MIN, 1 - (0.75 * (q - target)) / (3 * target));
    else this.gain = this.slowStart ? GAIN_START : 1;
    // A queue that has not emptied for DRAIN_AFTER_MS (sustained overload keeps one, up to the
    // queueing budget) would become the link's base when the old minimum leaves its window, and
    // every queue above it would look empty. So the link pauses for about as long as its queue
    // lasts: it drains while the link keeps delivering (no capacity lost), and the next packets
    // measure the base again.
    if (now - this.lastLowDelayAt > DRAIN_AFTER_MS && this.drainUntil < now && q > target / 2) {
      const drainMax = Number.isFinite(budgetMs) ? Math.max(DRAIN_MAX_MS, budgetMs) : DRAIN_MAX_MS;
      this.drainUntil = now + Math.min(drainMax, Math.max(target, q));
      this.lastLowDelayAt = now;
    }
    this.applyRate();
    this.lastAdjustAt = now;
    this.sentSinceAdjust = 0;
  }

  /**
   * Whether a probe would tell something now: no queue, no recent loss, the estimate below what
   * the stream could use, and the probe period over (a probe's length plus 2 RTT in slow start,
   * then PROBE_PERIOD_MS, doubling up to PROBE_PERIOD_MAX_MS while probes find nothing).
   */
  wantsProbe(now: number, srttMs: number | undefined, streamRate: number): boolean {
    if (this.probeUntil >= now || this.drainUntil >= now) return false;
    if (this.queueingMs > this.targetMs() / 2) return false;
    if (this.lossFactor <= 0.9 || !(this.capacity < 0.9 * streamRate)) return false;
    const rtt = this.rttMs(srttMs);
    const period = this.slowStart ? probeLengthMs(rtt) + 2 * rtt : this.probePeriod;
    return now - this.lastProbeAt >= period;
  }

  /**
   * Starts a probe: for 2 RTT (100 to 400 ms) the link is sent PROBE_GAIN times its estimate
   * (GAIN_START times in slow start), paced. First judges the previous probe, whose delivery
   * samples are in by now.
   */
  startProbe(now: number, srttMs: number | undefined): void {
    // A probe says something only if the link really was sent more than its estimate (the
    // stream may have been too slow to fill it).
    const probeSent = (this.probeSentBytes * 1000) / this.probeMs;
    if (this.probeBaseline > 0 && probeSent >= 1.1 * this.probeBaseline) {
      const found = this.capacity / this.probeBaseline;
      // Slow start ends when three probes in a row found less than 25% more.
      if (found < 1.25) {
        if (++this.flatProbes >= 3) this.slowStart = false;
      } else this.flatProbes = 0;
      this.probePeriod =
        found < 1.1 ? Math.min(PROBE_PERIOD_MAX_MS, 2 * this.probePeriod) : PROBE_PERIOD_MS;
    }
    this.probeMs = probeLengthMs(this.rttMs(srttMs));
    this.probeBaseline = this.capacity;
    this.probeSentBytes = 0;
    this.lastProbeAt = now;
    this.probeUntil = now + this.probeMs;
    this.probeRate = this.capacity * (this.slowStart ? GAIN_START : PROBE_GAIN);
    this.probeClock = now;
  }

  // ---------------------------------------------------------------- internals

  private recover(now: number): void {
    this.stalled = false;
    this.sentSinceAck = 0;
    // Back at its old estimate (a stall says the path was cut, not that it got slower); the
    // queueing-delay gain corrects it within a few RTTs if it did.
    this.slowStart = false;
    this.gain = 1;
    this.queueingMs = 0;
    this.lastQueueingMs = 0;
    this.credit = 0;
    this.applyRate();
    this.lastAdjustAt = now;
  }

  private addDelaySample(now: number, delayMs: number): void {
    if (!(delayMs >= 0)) return;
    if (now - this.baseBucketStart >= BASE_WINDOW_MS / 2) {
      this.basePrevious = this.baseCurrent;
      this.baseCurrent = Infinity;
      this.baseBucketStart = now;
    }
    if (delayMs < this.baseCurrent) this.baseCurrent = delayMs;
    const base = Math.min(this.baseCurrent, this.basePrevious);
    if (delayMs - base <= this.targetMs() / 2) this.lastLowDelayAt = now;
    this.lastQueueingMs = delayMs - base;
    this.queueingMs += SMOOTHING * (this.lastQueueingMs - this.queueingMs);
  }

  private sampleDelivery(now: number, srttMs: number | undefined): void {
    const interval = now - this.deliveryMarkAt;
    if (interval < Math.max(50, this.rttMs(srttMs))) return;
    this.deliveryRate = ((this.deliveredBytes - this.deliveryMarkBytes) * 1000) / interval;
    const offeredRate = ((this.sentBytes - this.sentMarkBytes) * 1000) / interval;
    this.deliveryMarkBytes = this.deliveredBytes;
    this.sentMarkBytes = this.sentBytes;
    this.deliveryMarkAt = now;
    // What a link delivers is min(what it was sent, what it can carry): a sample says something
    // about capacity only when the link had a queue or carried less than it was sent (it was
    // sent more than it could carry), or when it beats the estimate. Idle or lightly used links
    // keep their estimate (no lock-out).
    const saturated = this.queueingMs > this.targetMs() / 2;
    const full =
      saturated ||
      (offeredRate >= this.capacity && this.deliveryRate < CARRIED_SHARE * offeredRate);
    if (now - this.capacityBucketStart >= CAPACITY_WINDOW_MS / 2) {
      this.capacityPrevious = this.capacityCurrent;
      this.fullPrevious = this.fullCurrent;
      this.capacityCurrent = 0;
      this.fullCurrent = false;
      this.capacityBucketStart = now;
    }
    if (this.deliveryRate > this.capacityCurrent) this.capacityCurrent = this.deliveryRate;
    if (full) this.fullCurrent = true;
    // The estimate is the window's largest sample once the window shows the link full: a high
    // sample no later one repeated ages out within 2-4 s.
    const windowMax = Math.max(this.capacityCurrent, this.capacityPrevious);
    if (this.deliveryRate > this.capacity) {
      this.capacity = this.deliveryRate;
    } else if ((this.fullCurrent || this.fullPrevious) && windowMax < this.capacity) {
      this.capacity = Math.max(this.settings.minRate, windowMax);
      if (this.capacity < 0.9 * this.probeBaseline) this.probePeriod = PROBE_PERIOD_MS;
    } else if (saturated && this.limited) {
      this.capacity = Math.max(
        this.settings.minRate,
        this.capacity + SMOOTHING * (this.deliveryRate - this.capacity),
      );
      // Capacity went down: probe again soon for its return.
      if (this.capacity < 0.9 * this.probeBaseline) this.probePeriod = PROBE_PERIOD_MS;
    }
    // Under a queue the link delivered all it could, so the sample is how fast a queue drains
    // now; otherwise it is only what the link was given, and the capacity estimate is the rate.
    this.drainRate = saturated
      ? Math.max(this.settings.minRate, Math.min(this.capacity, this.deliveryRate))
      : this.capacity;
  }

  private applyRate(): void {
    this.rate = Math.max(this.settings.minRate, this.capacity * this.gain * this.lossFactor);
  }
}

/**
 * A probe lasts 2 RTT, for a delivery sample to cover it, but at least 100 ms and at most 400 ms:
 * PROBE_GAIN for 400 ms queues at most 100 ms on a link that is already full.
 */
function probeLengthMs(rttMs: number): number {
  return Math.min(400, Math.max(2 * rttMs, 100));
}
