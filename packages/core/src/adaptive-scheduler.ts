/**
 * `adaptive`: bond's default balancer (architecture.md, "The three algorithms").
 *
 * Each link gets a send rate it can deliver without building a queue (adaptive-link.ts), and the
 * stream is split in proportion to those rates:
 * * **Rate per link.** From SRTLA ACK timing: the link's delivery rate (bytes acknowledged per
 *   RTT, a sample starting afresh at the first packet after an idle spell; it raises the capacity
 *   estimate when it beats it, and corrects it down only while the link holds a queue, so idle
 *   time never lowers it) and its queueing delay (ACK delay over its 10-second minimum). The rate
 *   is capacity x gain x loss factor. The gain follows the queueing delay: 1 at or below the
 *   delay target (2 in slow start), falling continuously to 0.25 at four times the target. The
 *   loss factor is the evidence of SRT NAKs on the link: each NAKed RTT costs 10%, and the
 *   evidence fades with time (time constant 1 s), not with traffic, so a link that carried little
 *   while it was lossy is back at its full rate within seconds of healing.
 * * **Placement.** Data packets are dealt by smooth weighted round robin over the links' rates
 *   times user priority (0 disables a link): each link's share of the stream is its share of the
 *   combined rate, whatever the load, so shares track capacity and every usable link keeps
 *   carrying enough traffic for its health to be seen. A link takes part only while its packets
 *   in flight are below what its rate delivers in one RTT plus the delay target; the others share
 *   its part.
 * * **Probing.** A link's estimate only rises when it is sent more than the estimate, which its
 *   share alone never does. So a link without a queue or recent losses, whose estimate is below
 *   the stream's rate, is probed: sent 1.25 times its estimate for 2 RTT (100-400 ms), paced,
 *   ahead of the deal, one link at a time, every 2 s (backing off to 8 s while probes find
 *   nothing new). This is what brings a healed or lightly used link back to its share.
 * * **Overload.** When every link is at its bound, the packet goes to the link where it would
 *   wait least (bytes in flight over the rate its queue drains at: the capacity estimate, or the
 *   delivery rate measured under a queue), unless even there it would queue for longer than
 *   `maxQueueingMs` (by default a quarter of the first second of the SRT latency the caller and
 *   listener agreed on in their handshake and a twentieth of the rest, 250 ms without one;
 *   srt-latency.ts): then the sender holds it back (and drops it if no link has room for it
 *   before its latency runs out), but only on evidence that the links are saturated: each one's own measurements (ACK delay over its base, or an SRTLA ACK overdue)
 *   show a queue of at least half the budget. The books alone are no evidence: in-flight is seen
 *   per 10-packet SRTLA ACK (without SRT ACKs, up to 9 delivered packets per link stay counted),
 *   the capacity estimate may still be at its initial value, and encoders send I-frames in
 *   bursts; what they alone would drop goes where it would arrive soonest. A packet sent into a
 *   queue it cannot leave in time is lost anyway, later, after delaying everything behind it;
 *   dropping it early keeps the delay of the rest low, and SRT retransmits it within its latency
 *   if it can (the sender first keeps refused new data a while and offers it again before later
 *   data: sender-data-path.ts, "Deferred data"). Retransmissions and deferred data (repairs) go
 *   to the link where they arrive soonest, preferably not the one that lost them, only where they
 *   would not queue beyond the delay target (the listener asks again for what it still misses,
 *   so a copy queued behind new data tends to arrive as a duplicate), and only if they would
 *   arrive before the SRT latency of their original send runs out (their age, from SRT
 *   timestamps, is in the hint): a copy the listener has given up on only takes room.
 * * **Base delay.** Queueing delay is the ACK delay over its 10-second minimum, and a queue that
 *   never empties (sustained overload keeps one, up to the budget) would become that minimum,
 *   after which every queue above it looks empty. So a link whose queue has not emptied for 4 s
 *   pauses for about as long as its queue lasts (at most 300 ms): the queue drains while the link
 *   keeps delivering, and the next packets measure the base again. New data no other link takes
 *   still goes to a draining link unless its queue is evidence of saturation (see Overload).
 * * **Failure.** A link that has had ten packets in flight for max(3 RTT, `stallMs`) without an
 *   SRTLA ACK is stalled and carries nothing; a keepalive echo sent after the stall began brings
 *   it back at its old capacity estimate.
 *
 * Pure and time-injected; per packet it allocates nothing.
 */
import { AdaptiveLink, GAIN_START, type AdaptiveLinkSettings } from './adaptive-link.js';
import type { PacketHint, Scheduler, SchedulerLink } from './scheduler.js';
import { QUEUEING_BUDGET, queueingBudgetMs } from './srt-latency.js';

export interface AdaptiveOptions {
  /** Rate a new link starts at, bytes/s. Default 250 000 (2 Mbit/s). */
  readonly initialRateBytesPerSec?: number;
  /** Floor of a healthy link's rate, bytes/s. Default 20 000. */
  readonly minRateBytesPerSec?: number;
  /** Queueing delay the controller aims below, ms: max(this, base RTT / 2), capped at 100. Default 20. */
  readonly targetQueueingMs?: number;
  /** A link is stalled after this long without ACKs while loaded (or 3 RTT if longer), ms. Default 700. */
  readonly stallMs?: number;
  /**
   * Under overload, the longest a new packet may be expected to wait in a link's queue, ms; a
   * packet that would wait longer on every link, each of which measures a queue of at least half
   * this, is dropped at the sender. Default: derived from the SRT latency the caller and listener
   * agreed on ({@link queueingBudgetMs}: 25% of its first second and 5% of the rest, 50-2000 ms, leaving time for a
   * retransmission), 250 ms until a handshake shows it or when none does (well inside the 1-3 s
   * latency SRT listeners behind SRTLA run with, protocol.md 6.6). A number set here is kept
   * whatever the handshake says. `Infinity` never drops new data (it joins the shortest queue,
   * however long).
   */
  readonly maxQueueingMs?: number;
}

/** 250 ms: the shortest window over which the stream's rate is measured. */
const STREAM_WINDOW_MS = 250;
/**
 * New data is dropped only on links whose measured queueing delay is above this share of the
 * queueing budget. Not the whole budget: a delay sample is as old as the queue it measures (plus
 * an RTT), so waiting for the budget itself to show lets the queue grow past it by all it gained
 * meanwhile (a one-link overload at 120% reached 322 ms against a 250 ms budget). And a link the
 * deal keeps near its delay target (at most 100 ms) holds half the budget only when saturated.
 */
const SATURATION_EVIDENCE = 0.5;
/**
 * 50 ms: a repair (an SRT retransmission, or new data the sender deferred) is sent only if it
 * would arrive at least this long before the SRT latency of its original send runs out: the age
 * is read from SRT timestamps, the arrival is an estimate.
 */
const DEADLINE_MARGIN_MS = 50;

export class AdaptiveScheduler implements Scheduler {
  readonly name = 'adaptive';
  private readonly states: (AdaptiveLink | undefined)[] = [];
  private readonly settings: AdaptiveLinkSettings;
  private readonly initialRate: number;
  /** The queueing budget in force (see AdaptiveOptions.maxQueueingMs)... */
  private maxQueueingMs: number;
  /** ...and whether the caller set it (then the SRT latency does not change it). */
  private readonly budgetFixed: boolean;
  /** The SRT latency the caller and listener agreed on, ms, once a handshake showed it. */
  private srtLatencyMs: number | undefined;
  /** The encoder's data rate, bytes/s, from the new data bytes counted since `streamMarkAt`. */
  private streamRate = 0;
  private streamBytes = 0;
  private streamMarkAt: number | undefined;

  constructor(options: AdaptiveOptions = {}) {
    this.initialRate = options.initialRateBytesPerSec ?? 250_000;
    this.budgetFixed = options.maxQueueingMs !== undefined;
    this.maxQueueingMs = options.maxQueueingMs ?? queueingBudgetMs(undefined);
    this.settings = {
      minRate: options.minRateBytesPerSec ?? 20_000,
      targetQueueingMs: options.targetQueueingMs ?? 20,
      stallMs: options.stallMs ?? 700,
    };
  }

  addLink(now: number, link: SchedulerLink): void {
    this.states[link.index] = new AdaptiveLink(this.settings, this.initialRate, now);
  }

  removeLink(link: SchedulerLink): void {
    this.states[link.index] = undefined;
  }

  linkUp(now: number, link: SchedulerLink): void {
    this.states[link.index] = new AdaptiveLink(this.settings, this.initialRate, now);
  }

  linkDown(_now: number, link: SchedulerLink): void {
    const state = this.states[link.index];
    if (state !== undefined) state.credit = 0;
  }

  select(
    now: number,
    links: readonly SchedulerLink[],
    bytes: number,
    packet: PacketHint,
  ): SchedulerLink | undefined {
    const dealt = packet.isData && !packet.retransmit;
    if (dealt) this.countStream(now, bytes);
    // Dealt packets: smooth weighted round robin over the links below their in-flight cap (each
    // earns its weight, the one with the most credit takes the packet and pays the total).
    let best: SchedulerLink | undefined;
    let bestState: AdaptiveLink | undefined;
    let bestCredit = -Infinity;
    let totalWeight = 0;
    // A probing link whose pacing clock is due takes the packet before the deal.
    let probe: SchedulerLink | undefined;
    let probeClock = Infinity;
    // Overload, retransmissions and control packets: where the packet would arrive soonest.
    let soonest: SchedulerLink | undefined;
    let soonestArrival = Infinity;
    let fallback: SchedulerLink | undefined;
    let fallbackArrival = Infinity;
    // New data that would wait beyond the budget by the books on every link, where no link's
    // signals show such a queue: sent where it would arrive soonest, never dropped.
    let unproven: SchedulerLink | undefined;
    let unprovenArrival = Infinity;
    // And new data no other link takes goes to a draining link whose queue is no such evidence.
    let draining: SchedulerLink | undefined;
    for (const link of links) {
      const state = this.states[link.index];
      if (state === undefined) continue;
      state.dealWeight = 0;
      if (!link.up || link.priority <= 0 || state.checkStall(now, link.srttMs)) continue;
      // Draining: no data (control packets may still go), unless no other link takes new data and
      // the queue is no evidence of saturation (a drain alone is no reason to drop).
      if (packet.isData && state.drainUntil > now) {
        if (dealt && !this.saturated(state, now, link)) draining ??= link;
        continue;
      }
      state.decayLoss(now);
      if (dealt && state.probeUntil > now) {
        // Probing: paced at its probe rate (less if the stream is slower), outside the deal.
        const probeRate = (state.probeRate * link.priority) / 100;
        if (
          state.probeClock <= now &&
          state.probeClock < probeClock &&
          link.inFlight < state.inFlightCap(link.srttMs, probeRate)
        ) {
          probe = link;
          probeClock = state.probeClock;
          continue;
        }
      } else if (dealt) {
        const rate = (state.rate * link.priority) / 100;
        if (link.inFlight < state.inFlightCap(link.srttMs, rate)) {
          // Shares follow capacity, not slow start's headroom (which only widens the cap).
          const weight = state.slowStart ? rate / GAIN_START : rate;
          state.dealWeight = weight;
          totalWeight += weight;
          if (state.credit + weight > bestCredit) {
            best = link;
            bestState = state;
            bestCredit = state.credit + weight;
          }
          continue;
        }
      }
      const waitMs = state.expectedWaitMs(link.srttMs, link.inFlight, bytes);
      const budget = packet.retransmit ? state.targetMs() : this.maxQueueingMs;
      const arrival = state.rttMs(link.srttMs) / 2 + waitMs;
      // A repair that would arrive after the listener gave up on it only takes room.
      if (packet.retransmit && this.tooLate(packet, arrival)) continue;
      if (packet.isData && waitMs > budget) {
        // New data is dropped on evidence only: the books say it would wait too long, and the
        // link's own delay measurements show it saturated. The books alone may be wrong (an
        // estimate still at its initial value, in-flight seen per 10-packet SRTLA ACK, a burst).
        if (dealt && arrival < unprovenArrival && !this.saturated(state, now, link)) {
          unproven = link;
          unprovenArrival = arrival;
        }
        continue;
      }
      if (packet.retransmit && link.index === packet.previousLink) {
        if (arrival < fallbackArrival) {
          fallback = link;
          fallbackArrival = arrival;
        }
      } else if (arrival < soonestArrival) {
        soonest = link;
        soonestArrival = arrival;
      }
    }
    if (probe !== undefined) return probe;
    if (bestState !== undefined) {
      for (const state of this.states) if (state !== undefined) state.credit += state.dealWeight;
      bestState.credit -= totalWeight;
      return best;
    }
    // Undefined for data when every link is over its budget, measured: the packet is dropped here.
    return soonest ?? unproven ?? draining ?? fallback;
  }

  onSent(now: number, link: SchedulerLink, _seq: number, bytes: number): void {
    this.states[link.index]?.sent(now, bytes, link.priority);
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
    if (!state.acknowledged(now, link.srttMs, sentByLink, newestSentAt)) return;
    state.adjust(now, this.streamRate, this.maxQueueingMs);
    if (state.wantsProbe(now, link.srttMs, this.streamRate) && !this.probing(now)) {
      state.startProbe(now, link.srttMs);
    }
  }

  onSrtNak(now: number, link: SchedulerLink, _seq: number, firstCopy: boolean): void {
    if (firstCopy) this.states[link.index]?.naked(now, link.srttMs);
  }

  onKeepaliveEcho(now: number, link: SchedulerLink, rttMs: number): void {
    this.states[link.index]?.echoed(now, rttMs);
  }

  onSrtLatency(_now: number, latencyMs: number | undefined): void {
    this.srtLatencyMs = latencyMs;
    if (!this.budgetFixed) this.maxQueueingMs = queueingBudgetMs(latencyMs);
  }

  queueingBudgetMs(): number | undefined {
    return Number.isFinite(this.maxQueueingMs) ? this.maxQueueingMs : undefined;
  }

  window(link: SchedulerLink): number {
    const state = this.states[link.index];
    if (state === undefined) return 0;
    // The packets the link may have in flight (what its rate delivers in one RTT plus the delay
    // target, plus the 10 an SRTLA ACK waits for), in the keepalive's x1000 units: in-flight over
    // window is how full the link is, as with classic's window.
    const packets = state.inFlightCap(link.srttMs, (state.rate * link.priority) / 100);
    return Math.round(Math.min(60_000_000, packets * 1000));
  }

  /** Per-link state for stats, by link index, and the stream rate it measured. */
  stats(now: number): unknown {
    return {
      name: this.name,
      queueingBudgetMs: this.queueingBudgetMs() ?? null,
      streamBytesPerSec: Math.round(this.streamRate),
      links: this.states.map((state) =>
        state === undefined
          ? null
          : {
              rateBytesPerSec: Math.round(state.rate),
              capacityBytesPerSec: Math.round(state.capacity),
              gain: Math.round(state.gain * 100) / 100,
              lossFactor: Math.round(state.lossFactor * 100) / 100,
              deliveryRateBytesPerSec: Math.round(state.deliveryRate),
              drainRateBytesPerSec: Math.round(state.drainRate),
              queueingMs: Math.round(state.queueingMs * 10) / 10,
              slowStart: state.slowStart,
              probing: state.probeUntil > now,
              draining: state.drainUntil > now,
              stalled: state.stalled,
              stalls: state.stalls,
            },
      ),
    };
  }

  // ---------------------------------------------------------------- internals

  /**
   * Whether a repair arriving `arrivalMs` from now would come after the SRT latency of its
   * original send (less {@link DEADLINE_MARGIN_MS}): the listener's TSBPD has dropped it by then.
   * Without a known latency, the one the budget stands for (the budget over its share); never
   * with an unbounded budget, or when the packet's age is unknown.
   */
  private tooLate(packet: PacketHint, arrivalMs: number): boolean {
    if (packet.ageMs === undefined) return false;
    const latencyMs = this.srtLatencyMs ?? this.maxQueueingMs / QUEUEING_BUDGET.latencyFraction;
    return packet.ageMs + arrivalMs > latencyMs - DEADLINE_MARGIN_MS;
  }

  /** Whether the link's own measurements show a queue that justifies dropping new data. */
  private saturated(state: AdaptiveLink, now: number, link: SchedulerLink): boolean {
    return state.measuredQueueingMs(now, link.srttMs) > SATURATION_EVIDENCE * this.maxQueueingMs;
  }

  /** Whether some link is probing (one at a time, so a probe's extra comes from the stream). */
  private probing(now: number): boolean {
    for (const state of this.states)
      if (state !== undefined && state.probeUntil >= now) return true;
    return false;
  }

  /** Tracks the stream's rate over windows of at least STREAM_WINDOW_MS. */
  private countStream(now: number, bytes: number): void {
    this.streamMarkAt ??= now;
    this.streamBytes += bytes;
    const elapsed = now - this.streamMarkAt;
    if (elapsed < STREAM_WINDOW_MS) return;
    const sample = (this.streamBytes * 1000) / elapsed;
    // A gap longer than a few windows (the stream paused) restarts the estimate.
    this.streamRate =
      elapsed > 4 * STREAM_WINDOW_MS ? sample : this.streamRate + (sample - this.streamRate) / 2;
    this.streamBytes = 0;
    this.streamMarkAt = now;
  }
}
