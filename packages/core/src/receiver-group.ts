/**
 * A group and its links as the receiver engine keeps them, with the per-link and per-group receive
 * statistics (protocol.md 4.2, 5.1, 6.4).
 */
import {
  SRTLA_ACK_SEQS_PER_ACK,
  seqAdd,
  seqDistance,
  type Address,
  type KeepaliveConnectionInfo,
  type ReceiverReport,
  type SenderTelemetry,
} from '@bond/wire';
import { DelayEstimator, DelayReference } from './delay-estimator.js';
import {
  EMPTY_OBSERVATION,
  Evaluator,
  copyObservation,
  type EvaluatorMode,
  type ObservationRecord,
} from './evaluator.js';
import type { ForwardPath, ForwardPathGroup } from './forward-path.js';
import { COOKIE_MAC_OFFSET } from './receiver-cookie.js';
import { REORDER_JUMP } from './reorder-engine.js';
import type { ReceiverGroupStats, ReceiverLinkStats } from './receiver-types.js';
import { SeqObservation, SeqWindow } from './seq-window.js';
import { SrtFeedback } from './srt-feedback.js';

/** 2 s: links that carried no data for this long do not count toward the delay skew. */
const SKEW_RECENT_MS = 2000;

export class ReceiverLink {
  /** The sequence numbers awaiting the next SRTLA ACK. */
  readonly pendingAcks = new Uint32Array(SRTLA_ACK_SEQS_PER_ACK);
  pendingAckCount = 0;
  lastActivity: number;
  packetsReceived = 0;
  bytesReceived = 0;
  dataPackets = 0;
  srtlaAcksSent = 0;
  keepalives = 0;
  gaps = 0;
  duplicates = 0;
  reordered = 0;
  maxReorderDistance = 0;
  retransmitted = 0;
  /**
   * The highest sequence number this link delivered as an original (not a retransmission), or -1.
   * A link is first in, first out: an original sent on it before this one has arrived or is lost.
   */
  highestOriginalSeq = -1;
  /**
   * The farthest an original arrived behind this link's highest, in sequence numbers (0 on a link
   * that keeps order): a gap counts as cleared by this link only this far below its highest.
   */
  inLinkReorder = 0;
  /**
   * The delivery rate and where its last sample started. Kept in an object of its own: the rate
   * turns fractional at the first sample, and a field of the link changing its number
   * representation would throw away the optimised per-packet code that reads links.
   */
  private readonly rate: { bytesPerSec: number; sampleAt: number; sampleBytes: number };
  readonly delay = new DelayEstimator();
  senderInfo: KeepaliveConnectionInfo | undefined;
  senderTelemetry: SenderTelemetry | undefined;
  /** The link's name from a bond sender's trailer, made printable; undefined from other senders. */
  name: string | undefined;
  /** The quality level last reported in a `link-quality` event; links start `fair` (unknown). */
  reportedLevel = 'fair';
  /** When the last SRTLA ACK left (for ACK throttling). */
  lastAckSentAt = -Infinity;
  acksThrottled = 0;

  constructor(
    readonly address: Address,
    readonly group: ReceiverGroup,
    readonly createdAt: number,
  ) {
    this.lastActivity = createdAt;
    this.rate = { bytesPerSec: 0, sampleAt: createdAt, sampleBytes: 0 };
  }

  /** Bytes per second over the last housekeeping interval. */
  get deliveryRate(): number {
    return this.rate.bytesPerSec;
  }

  /** Updates the delivery rate; called once per housekeeping tick. */
  sampleRate(now: number): void {
    const rate = this.rate;
    const elapsed = now - rate.sampleAt;
    if (elapsed <= 0) return;
    rate.bytesPerSec = ((this.bytesReceived - rate.sampleBytes) * 1000) / elapsed;
    rate.sampleAt = now;
    rate.sampleBytes = this.bytesReceived;
  }

  /** The report bond's receiver puts in this link's keepalive echo. */
  report(): ReceiverReport {
    return {
      linkId: this.senderInfo?.connId ?? 0,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      deliveryRateBytesPerSec: Math.round(this.deliveryRate),
      queueingDelayUs: Math.max(0, Math.round(this.delay.queueingDelayUs)),
      delayOffsetUs: Math.max(0, Math.round(this.group.delayOffsetUs(this) ?? 0)),
      gaps: this.gaps,
      duplicates: this.duplicates,
      reordered: this.reordered,
      maxReorderDistance: this.maxReorderDistance,
      scorePermille: this.group.evaluator.score(this.address.key).score,
      advisoryWeightPermille: this.group.evaluator.score(this.address.key).weightPermille,
      capabilities: this.group.capabilities,
    };
  }

  stats(now: number): ReceiverLinkStats {
    return {
      address: this.address.toString(),
      name: this.name,
      ageMs: now - this.createdAt,
      lastActivityAgoMs: now - this.lastActivity,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      dataPackets: this.dataPackets,
      deliveryRateBytesPerSec: this.deliveryRate,
      srtlaAcksSent: this.srtlaAcksSent,
      keepalives: this.keepalives,
      queueingDelayUs: this.delay.queueingDelayUs,
      delayOffsetUs: this.group.delayOffsetUs(this),
      gaps: this.gaps,
      duplicates: this.duplicates,
      reordered: this.reordered,
      maxReorderDistance: this.maxReorderDistance,
      retransmitted: this.retransmitted,
      senderInfo: this.senderInfo,
      senderTelemetry: this.senderTelemetry,
      ...this.scoreFields(),
      acksThrottled: this.acksThrottled,
    };
  }

  private scoreFields() {
    const score = this.group.evaluator.score(this.address.key);
    return {
      score: score.score,
      level: score.level,
      reason: score.reason,
      weightPermille: score.weightPermille,
    };
  }

  /**
   * What the evaluator reads about this link, cumulatively: written into `into` when given (no
   * allocation), else into a new record.
   */
  observation(now: number, into?: ObservationRecord): ObservationRecord {
    const telemetry = this.senderTelemetry;
    const info = this.senderInfo;
    const observed = (into ??= copyObservation(EMPTY_OBSERVATION, undefined));
    observed.packetsReceived = this.dataPackets;
    observed.bytesReceived = this.bytesReceived;
    observed.queueingDelayUs = this.delay.queueingDelayUs;
    observed.senderPacketsSent = telemetry?.packetsSent;
    observed.senderPacketsNaked = telemetry?.packetsNaked;
    observed.senderNakCount = info?.nakCount;
    observed.senderRttMs = info?.rttMs;
    observed.senderWindow = info?.window;
    observed.senderInFlight = info?.inFlight;
    observed.ageMs = now - this.createdAt;
    return observed;
  }
}

/** Scratch for {@link ReceiverGroup.evaluate}, used synchronously by one group at a time. */
const scratchKeys: number[] = [];
const scratchRecords: ObservationRecord[] = [];

export class ReceiverGroup implements ForwardPathGroup {
  readonly links: ReceiverLink[] = [];
  /**
   * Pending until the group's first SRT packet of any kind (the caller's first handshake counts):
   * until then it has no upstream socket and is the first to go when the table is full.
   */
  pending = true;
  /** Links that joined from a network none of the group's other links used (issue 17). */
  newNetworkJoins = 0;
  lastActivity: number;
  /** Where non-ACK/NAK upstream packets go: the link that last sent SRT. */
  lastAddress: ReceiverLink | undefined;
  /** Replaced only through `ReceiverEngine.configure`. */
  forwardPath: ForwardPath;
  readonly delayReference = new DelayReference();
  /** The recent sequence numbers seen: the group's one duplicate filter. */
  readonly seen = new SeqWindow();
  packetsForwarded = 0;
  bytesForwarded = 0;
  packetsFromUpstream = 0;
  packetsToSenders = 0;
  /**
   * The SRT stream id from the caller's conclusion handshake, as sent: it may hold a password, so
   * show it only through a label that redacts it (the runtime's `streamLabel`).
   */
  streamId: string | undefined;
  /** Handshakes toward the listener whose extension blocks did not decode (still forwarded). */
  malformedHandshakes = 0;
  /** When a sender first sent SRT for this group (its caller's first handshake). */
  srtStartedAt: number | undefined;
  /** The SRT listener answered a conclusion handshake with its own: the stream was accepted. */
  srtAccepted = false;
  /** The last rejection (handshake type) the SRT listener answered with, until it accepts. */
  rejection: number | undefined;
  /** Rejections (handshakes) the SRT listener sent for this group. */
  rejections = 0;
  /** When the SRT listener last refused the group's datagrams (ECONNREFUSED), until it accepts. */
  upstreamRefusedAt: number | undefined;
  readonly evaluator: Evaluator;
  /** What the SRT listener reports back (ACK, NAK, handshake response). */
  readonly feedback = new SrtFeedback();
  /** When the last SRT data packet went to the listener; -Infinity before one. */
  lastDataAt = -Infinity;
  /** When the sender's SRT caller last sent a shutdown; -Infinity if it has not. */
  shutdownAt = -Infinity;
  /**
   * The rate of bytes forwarded to the listener over the last housekeeping interval. In an object
   * of its own, as `ReceiverLink`'s delivery rate is (the rate turns fractional).
   */
  private readonly forwardRate: { bytesPerSec: number; sampleAt: number; sampleBytes: number };

  constructor(
    /** Numeric handle the runtime uses for this group (its upstream socket). */
    readonly id: number,
    /** The full 256-byte group id. */
    readonly groupId: Uint8Array,
    /** Lookup key derived from the receiver's half of the id. */
    readonly idKey: number,
    readonly createdAt: number,
    makeForwardPath: (group: ReceiverGroup) => ForwardPath,
    evaluatorMode: EvaluatorMode = 'bond',
    /** ReceiverReport capability bits this receiver offers (changes with the forward path). */
    public capabilities: number,
    /** The address whose REG2 created the group (per-source limits while it is pending). */
    readonly origin: Address,
  ) {
    this.lastActivity = createdAt;
    this.forwardPath = makeForwardPath(this);
    this.evaluator = new Evaluator(evaluatorMode);
    this.forwardRate = { bytesPerSec: 0, sampleAt: createdAt, sampleBytes: 0 };
  }

  /** Updates the forwarded byte rate; called once per housekeeping tick. */
  sampleRate(now: number): void {
    const rate = this.forwardRate;
    const elapsed = now - rate.sampleAt;
    if (elapsed <= 0) return;
    rate.bytesPerSec = ((this.bytesForwarded - rate.sampleBytes) * 1000) / elapsed;
    rate.sampleAt = now;
    rate.sampleBytes = this.bytesForwarded;
  }

  /** Scores the group's links (once per housekeeping tick). */
  evaluate(now: number): void {
    // The evaluator copies what it keeps, so one scratch set of records serves every group,
    // tick after tick (a thousand groups' housekeeping allocates nothing here).
    const links = this.links;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      if (link === undefined) continue;
      scratchKeys[i] = link.address.key;
      scratchRecords[i] = link.observation(now, scratchRecords[i]);
    }
    this.evaluator.evaluateLinks(now, scratchKeys, scratchRecords, links.length);
  }

  /**
   * Records a data packet's sequence number for the group's gap, duplicate and reorder counts,
   * attributing them to `link`. Returns false for a duplicate, which must not go upstream.
   */
  trackSeq(link: ReceiverLink, seq: number, retransmitted: boolean): boolean {
    if (!retransmitted) {
      // Ahead of the link's highest, or a jump (a new stream) either way.
      const ahead = link.highestOriginalSeq < 0 ? 1 : seqDistance(link.highestOriginalSeq, seq);
      if (ahead > 0 || ahead < -REORDER_JUMP) link.highestOriginalSeq = seq;
      else if (-ahead > link.inLinkReorder) link.inLinkReorder = -ahead;
    }
    const seen = this.seen.observe(seq);
    const distance = this.seen.distance;
    if (seen === SeqObservation.Ahead) {
      if (distance > 1) link.gaps += distance - 1;
      return true;
    }
    if (seen === SeqObservation.Duplicate) {
      if (retransmitted) {
        // A retransmission of a number already forwarded: the SRT listener asked for it again, so
        // the copy forwarded earlier did not reach it (a full socket buffer on the way). Forward
        // it; a listener that has it already drops it.
        link.retransmitted++;
        return true;
      }
      link.duplicates++;
      return false;
    }
    if (retransmitted) link.retransmitted++;
    else {
      link.reordered++;
      if (distance > link.maxReorderDistance) link.maxReorderDistance = distance;
    }
    return true;
  }

  /**
   * How much later than a packet on the fastest link an earlier packet on another link may arrive,
   * ms: the spread of the links' current one-way delays widened by twice each link's jitter.
   * Undefined unless every link carried data in the last {@link SKEW_RECENT_MS}: a link with no
   * recent measurement may be the slowest (the reorder engine then holds its initial, safe value).
   */
  delaySkewMs(now: number): number | undefined {
    let slowest = -Infinity;
    let fastest = Infinity;
    const since = now - SKEW_RECENT_MS;
    for (const link of this.links) {
      if (link.delay.samples === 0 || link.delay.lastSampleAt < since) return undefined;
      const jitter = 2 * link.delay.deviationUs;
      slowest = Math.max(slowest, link.delay.currentRelativeUs + jitter);
      fastest = Math.min(fastest, link.delay.currentRelativeUs - jitter);
    }
    return Number.isFinite(slowest) ? (slowest - fastest) / 1000 : undefined;
  }

  /**
   * Every original sent before this sequence number on a link that carried data in the last
   * {@link SKEW_RECENT_MS} has arrived or is lost (links are first in, first out): the lowest of
   * those links' highest original sequence numbers, each less the farthest that link ever
   * reordered its own packets. Undefined without such a link.
   */
  clearedBelow(now: number): number | undefined {
    let cleared: number | undefined;
    const since = now - SKEW_RECENT_MS;
    for (const link of this.links) {
      if (link.highestOriginalSeq < 0 || link.delay.lastSampleAt < since) continue;
      const clears = seqAdd(link.highestOriginalSeq, -link.inLinkReorder);
      if (cleared === undefined || seqDistance(cleared, clears) < 0) cleared = clears;
    }
    return cleared;
  }

  /**
   * Every link has delivered an original at or after `seq`, less its own reordering (links are
   * first in, first out): no original before `seq` is still on its way. False without links, or
   * while a link has delivered none (it may be the slowest).
   */
  everyLinkPast(seq: number): boolean {
    if (this.links.length === 0) return false;
    for (const link of this.links) {
      if (link.highestOriginalSeq < 0) return false;
      if (seqDistance(seq, seqAdd(link.highestOriginalSeq, -link.inLinkReorder)) < 0) return false;
    }
    return true;
  }

  /** `link`'s base delay minus the smallest base among the group's links, us. */
  delayOffsetUs(link: ReceiverLink): number | undefined {
    const base = link.delay.base;
    if (!Number.isFinite(base)) return undefined;
    let fastest = base;
    for (const other of this.links) fastest = Math.min(fastest, other.delay.base);
    return base - fastest;
  }

  stats(now: number): ReceiverGroupStats {
    const tag = Array.from(this.groupId.subarray(COOKIE_MAC_OFFSET, COOKIE_MAC_OFFSET + 4), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    return {
      id: this.id,
      tag,
      state: this.pending ? 'pending' : 'active',
      newNetworkJoins: this.newNetworkJoins,
      streamId: this.streamId,
      malformedHandshakes: this.malformedHandshakes,
      ageMs: now - this.createdAt,
      lastActivityAgoMs: now - this.lastActivity,
      lastAddress: this.lastAddress === undefined ? undefined : this.lastAddress.address.toString(),
      packetsForwarded: this.packetsForwarded,
      bytesForwarded: this.bytesForwarded,
      packetsFromUpstream: this.packetsFromUpstream,
      packetsToSenders: this.packetsToSenders,
      forwardRateBytesPerSec: this.forwardRate.bytesPerSec,
      lastDataAgoMs: Number.isFinite(this.lastDataAt) ? now - this.lastDataAt : undefined,
      senderShutdownAgoMs: this.shutdownAt > this.lastDataAt ? now - this.shutdownAt : undefined,
      listenerFeedback: this.feedback.stats(now),
      srtAccepted: this.srtAccepted,
      srtRejection: this.rejection,
      srtRejections: this.rejections,
      highestSeq: this.seen.highest,
      forwardPath: this.forwardPath.stats(now),
      links: this.links.map((link) => link.stats(now)),
    };
  }
}
