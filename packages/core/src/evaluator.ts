/**
 * The evaluator (architecture.md, "The three algorithms"): scores each link of a group from what
 * the receiver sees, plus the sender's telemetry when it has any, and derives an advisory weight
 * that goes back to the sender in the `ReceiverReport`.
 *
 * bond's evaluator (`bond`):
 * * Only evidence lowers a score: loss (the share of the packets the sender sent on the link that
 *   the SRT listener NAKed, from bond's telemetry, or the extended keepalive's NAK count per packet
 *   received) and queueing delay (from SRT timestamps) and its growth.
 *   A link that carried too little in a period to measure anything is *idle*: its score does not
 *   move (idle is unknown, not bad), so a link the scheduler stopped using is never pushed further
 *   out, and the first clean period after it is used again raises its score.
 * * No step from one sample: the score follows its evidence with a time constant of 3 s, and the
 *   level (good / fair / poor) changes only past a hysteresis band of 50 points.
 *
 * The compatibility evaluators reproduce the error-point tables of the public C++ receiver, for
 * comparison: every 5 s (after a 10 s grace period) bandwidth against the median of the group's
 * good links and loss earn error points, which map to weights 100/85/70/55/40/10. `compat-legacy`
 * applies the original table to every link; `compat-telemetry` applies the lighter bandwidth table
 * (10/7/4/2 points) and the RTT, NAK-rate and window tables to links whose sender sends extended
 * keepalives. Optional ACK throttling (off by default) gates each link's SRTLA ACKs to one per
 * 100 ms / factor, as that receiver once did; it is what locked idle links out.
 */

/** What the receiver measured on one link, cumulatively; the evaluator takes deltas. */
export interface LinkObservation {
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  /** Smoothed queueing delay from SRT timestamps, us. */
  readonly queueingDelayUs: number;
  /** Cumulative packets the sender says it sent on this link (bond telemetry), if known. */
  readonly senderPacketsSent: number | undefined;
  /** Cumulative packets the sender says were NAKed on this link (bond telemetry), if known. */
  readonly senderPacketsNaked: number | undefined;
  /** Cumulative NAKs the sender counted on this link (extended keepalive), if known. */
  readonly senderNakCount: number | undefined;
  /** The sender's RTT for this link (extended keepalive), ms, if known. */
  readonly senderRttMs: number | undefined;
  /** The sender's window and in-flight (extended keepalive), if known. */
  readonly senderWindow: number | undefined;
  readonly senderInFlight: number | undefined;
  /** Link age, ms. */
  readonly ageMs: number;
}

export type EvaluatorMode = 'bond' | 'compat-legacy' | 'compat-telemetry';
export type QualityLevel = 'good' | 'fair' | 'poor';

export interface LinkScore {
  /** 0 (unusable) to 1000 (perfect); 500 before any evidence. */
  readonly score: number;
  readonly level: QualityLevel;
  /** Why the score is what it is, for logs and the dashboard. */
  readonly reason: string;
  /** This link's advisory share of the group's traffic, per mille. */
  readonly weightPermille: number;
  /** SRTLA ACK throttle factor in [0.2, 1]; 1 means no throttling. */
  readonly ackThrottle: number;
}

/** 3 s: time constant of bond's score smoothing. */
export const SCORE_TIME_CONSTANT_MS = 3000;
/** 50 points: the hysteresis band around the level thresholds (800 good, 500 fair). */
export const LEVEL_HYSTERESIS = 50;
/** Fewer packets than this in a period is "idle": no evidence either way. */
const IDLE_PACKETS = 10;

// The public receiver's constants (receiver_config.h).
const COMPAT_EVAL_PERIOD_MS = 5000;
const COMPAT_GRACE_MS = 10_000;
const COMPAT_GOOD_THRESHOLD = 0.5;
const COMPAT_MIN_TOTAL_KBPS = 1000;
const COMPAT_WEIGHTS = { full: 100, excellent: 85, degraded: 70, fair: 55, poor: 40, critical: 10 };
const COMPAT_MIN_ACK_RATE = 0.2;
/** Bandwidth error points for ratios < 0.3, < 0.5, < 0.7, < 0.85 of the expected bandwidth. */
const LEGACY_BANDWIDTH_POINTS = [40, 25, 15, 5] as const;
/** The lighter table the public receiver applies to senders with extended-keepalive telemetry. */
const LIGHT_BANDWIDTH_POINTS = [10, 7, 4, 2] as const;
/** 100 ms: the base interval the throttle factor divides. */
export const COMPAT_ACK_THROTTLE_INTERVAL_MS = 100;

/** An observation of a link with nothing seen yet (no packets, no sender telemetry, age 0). */
export const EMPTY_OBSERVATION: LinkObservation = Object.freeze({
  packetsReceived: 0,
  bytesReceived: 0,
  queueingDelayUs: 0,
  senderPacketsSent: undefined,
  senderPacketsNaked: undefined,
  senderNakCount: undefined,
  senderRttMs: undefined,
  senderWindow: undefined,
  senderInFlight: undefined,
  ageMs: 0,
});

/** A writable copy of a {@link LinkObservation}, rewritten in place. */
export type ObservationRecord = { -readonly [K in keyof LinkObservation]: LinkObservation[K] };

/**
 * Copies `from` into `into` (field by field, no allocation) or, without `into`, into a new record.
 */
export function copyObservation(
  from: LinkObservation,
  into: ObservationRecord | undefined,
): ObservationRecord {
  if (into === undefined) {
    return {
      packetsReceived: from.packetsReceived,
      bytesReceived: from.bytesReceived,
      queueingDelayUs: from.queueingDelayUs,
      senderPacketsSent: from.senderPacketsSent,
      senderPacketsNaked: from.senderPacketsNaked,
      senderNakCount: from.senderNakCount,
      senderRttMs: from.senderRttMs,
      senderWindow: from.senderWindow,
      senderInFlight: from.senderInFlight,
      ageMs: from.ageMs,
    };
  }
  into.packetsReceived = from.packetsReceived;
  into.bytesReceived = from.bytesReceived;
  into.queueingDelayUs = from.queueingDelayUs;
  into.senderPacketsSent = from.senderPacketsSent;
  into.senderPacketsNaked = from.senderPacketsNaked;
  into.senderNakCount = from.senderNakCount;
  into.senderRttMs = from.senderRttMs;
  into.senderWindow = from.senderWindow;
  into.senderInFlight = from.senderInFlight;
  into.ageMs = from.ageMs;
  return into;
}

/**
 * One evaluation's links, resolved once (records and the caller's observations by position):
 * shared by every evaluator, used synchronously within one `evaluate` call.
 */
const scratchRecords: (LinkRecord | undefined)[] = [];
const scratchObservations: (LinkObservation | undefined)[] = [];
/** The keys of a map given to {@link Evaluator.evaluate}, in its order. */
const scratchKeys: number[] = [];

interface LinkRecord {
  /**
   * The observation of the previous evaluation, copied (callers may reuse theirs), and the
   * record the one before it used: the two swap at each evaluation, so a link evaluated every
   * second allocates nothing here.
   */
  last: ObservationRecord | undefined;
  spare: ObservationRecord | undefined;
  lastAt: number;
  score: number;
  level: QualityLevel;
  reason: string;
  weight: number;
  throttle: number;
  errorPoints: number;
  previousQueueingUs: number;
}

export class Evaluator {
  private readonly records = new Map<number, LinkRecord>();
  private lastCompatEval = -Infinity;

  constructor(readonly mode: EvaluatorMode = 'bond') {}

  /** Forgets a link. */
  remove(linkKey: number): void {
    this.records.delete(linkKey);
  }

  /** The current level of a link (`fair` before any evaluation), without building its score. */
  level(linkKey: number): QualityLevel {
    return this.records.get(linkKey)?.level ?? 'fair';
  }

  /** The current score of a link (500 / fair before any evaluation). */
  score(linkKey: number): LinkScore {
    const record = this.records.get(linkKey);
    if (record === undefined) {
      return {
        score: 500,
        level: 'fair',
        reason: 'no evidence yet',
        weightPermille: 0,
        ackThrottle: 1,
      };
    }
    return {
      score: Math.round(record.score),
      level: record.level,
      reason: record.reason,
      weightPermille: Math.round(record.weight),
      ackThrottle: record.throttle,
    };
  }

  /** Evaluates every link of a group at `now`, from cumulative observations keyed by link. */
  evaluate(now: number, links: ReadonlyMap<number, LinkObservation>): void {
    let count = 0;
    for (const key of links.keys()) {
      const observation = links.get(key);
      if (observation === undefined) continue;
      scratchKeys[count] = key;
      scratchObservations[count] = observation;
      count++;
    }
    this.evaluateLinks(now, scratchKeys, scratchObservations, count);
  }

  /**
   * {@link evaluate} from arrays: link `keys[i]` observed `observations[i]`, for i < `count`
   * (what a caller evaluating many groups every second uses: a map would allocate each time).
   * The observations are copied, never kept: the caller may rewrite them for the next call.
   */
  evaluateLinks(
    now: number,
    keys: readonly number[],
    observations: readonly (LinkObservation | undefined)[],
    count: number,
  ): void {
    let resolved = 0;
    for (let i = 0; i < count; i++) {
      const key = keys[i];
      const observation = observations[i];
      if (key === undefined || observation === undefined) continue;
      let record = this.records.get(key);
      if (record === undefined) {
        record = {
          last: undefined,
          spare: undefined,
          lastAt: now,
          // bond starts at "unknown"; the public receiver starts every link at full weight.
          score: this.mode === 'bond' ? 500 : 1000,
          level: 'fair',
          reason: 'no evidence yet',
          weight: 0,
          throttle: 1,
          errorPoints: 0,
          previousQueueingUs: observation.queueingDelayUs,
        };
        this.records.set(key, record);
      }
      scratchRecords[resolved] = record;
      scratchObservations[resolved] = observation;
      resolved++;
    }
    if (this.mode === 'bond') this.evaluateBond(now, resolved);
    else if (now - this.lastCompatEval >= COMPAT_EVAL_PERIOD_MS) {
      this.lastCompatEval = now;
      this.evaluateCompat(now, resolved);
    }
    this.assignWeights(resolved);
    // Nothing of this call is kept past it (the caller's observations, removed links' records).
    scratchObservations.fill(undefined, 0, Math.max(count, resolved));
    scratchRecords.fill(undefined, 0, resolved);
  }

  // ---------------------------------------------------------------- bond

  private evaluateBond(now: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const record = scratchRecords[i];
      const observation = scratchObservations[i];
      if (record === undefined || observation === undefined) continue;
      const last = keep(record, observation);
      const dt = now - record.lastAt;
      record.lastAt = now;
      if (last === undefined || dt <= 0) continue;
      const received = observation.packetsReceived - last.packetsReceived;
      if (received < IDLE_PACKETS) {
        record.reason = 'idle: no evidence, score kept';
        continue;
      }
      let loss = 0;
      let lossSource = '';
      const sent =
        observation.senderPacketsSent !== undefined && last.senderPacketsSent !== undefined
          ? observation.senderPacketsSent - last.senderPacketsSent
          : 0;
      if (
        sent > 0 &&
        observation.senderPacketsNaked !== undefined &&
        last.senderPacketsNaked !== undefined
      ) {
        // Both counts come from the same telemetry snapshot, so they are consistent.
        loss = lossRatio(observation.senderPacketsNaked - last.senderPacketsNaked, sent);
        lossSource = 'NAKed of sent';
      } else if (observation.senderNakCount !== undefined && last.senderNakCount !== undefined) {
        loss = lossRatio(observation.senderNakCount - last.senderNakCount, received);
        lossSource = 'NAKs';
      }
      const queueingMs = observation.queueingDelayUs / 1000;
      const growthMs = (observation.queueingDelayUs - record.previousQueueingUs) / 1000;
      record.previousQueueingUs = observation.queueingDelayUs;
      // Evidence -> target: 10% loss halves the score, 20% or more zeroes it; queueing above
      // 100 ms (and growing) costs up to half.
      const lossFactor = Math.max(0, 1 - 5 * Math.max(0, loss - 0.005));
      const delayPenalty = Math.min(
        0.5,
        Math.max(0, queueingMs - 100) / 800 + (growthMs > 20 ? 0.1 : 0),
      );
      const target = 1000 * lossFactor * (1 - delayPenalty);
      const alpha = 1 - Math.exp(-dt / SCORE_TIME_CONSTANT_MS);
      record.score += alpha * (target - record.score);
      record.reason =
        loss > 0.01
          ? `loss ${(loss * 100).toFixed(1)}% (${lossSource})`
          : delayPenalty > 0
            ? `queueing ${queueingMs.toFixed(0)} ms`
            : 'clean';
      record.level = nextLevel(record.level, record.score);
    }
  }

  // ---------------------------------------------------------------- compat

  private evaluateCompat(now: number, count: number): void {
    const rows: {
      kbps: number;
      loss: number;
      record: LinkRecord;
      observation: LinkObservation;
    }[] = [];
    for (let i = 0; i < count; i++) {
      const record = scratchRecords[i];
      const observation = scratchObservations[i];
      if (record === undefined || observation === undefined) continue;
      const last = keep(record, observation);
      const dt = now - record.lastAt;
      record.lastAt = now;
      if (last === undefined || dt <= 0) continue;
      const bytes = observation.bytesReceived - last.bytesReceived;
      const packets = observation.packetsReceived - last.packetsReceived;
      // A sender's counter is off the wire: an increment above what the link carried is bounded
      // to it (loss never exceeds 100%), and a counter going back counts nothing.
      const naks =
        observation.senderNakCount !== undefined && last.senderNakCount !== undefined
          ? Math.min(Math.max(0, observation.senderNakCount - last.senderNakCount), packets)
          : 0;
      rows.push({
        kbps: (bytes * 8) / dt,
        loss: packets + naks > 0 ? naks / (packets + naks) : 0,
        record,
        observation,
      });
    }
    if (rows.length === 0) return;
    const max = Math.max(...rows.map((row) => row.kbps));
    const good = rows.map((row) => row.kbps).filter((kbps) => kbps >= max * COMPAT_GOOD_THRESHOLD);
    const median = medianOf(good.length > 0 ? good : rows.map((row) => row.kbps));
    const minExpected = Math.max(100, COMPAT_MIN_TOTAL_KBPS / rows.length);
    for (const { kbps, loss, record, observation } of rows) {
      if (observation.ageMs < COMPAT_GRACE_MS) continue;
      const telemetry = this.mode === 'compat-telemetry' && observation.senderRttMs !== undefined;
      const poor = kbps < median * COMPAT_GOOD_THRESHOLD;
      const expected = Math.max(poor ? minExpected : median, minExpected);
      const ratio = expected > 0 ? kbps / expected : 0;
      const bandwidthTable = telemetry ? LIGHT_BANDWIDTH_POINTS : LEGACY_BANDWIDTH_POINTS;
      let points = 0;
      if (ratio < 0.3) points += bandwidthTable[0];
      else if (ratio < 0.5) points += bandwidthTable[1];
      else if (ratio < 0.7) points += bandwidthTable[2];
      else if (ratio < 0.85) points += bandwidthTable[3];
      points += lossPoints(loss);
      if (telemetry) {
        const rtt = observation.senderRttMs;
        points += rtt > 500 ? 20 : rtt > 200 ? 10 : rtt > 100 ? 5 : 0;
        const window = observation.senderWindow ?? 0;
        const inFlight = observation.senderInFlight ?? 0;
        if (window > 0 && (inFlight * 1000) / window > 0.95) points += 15;
      }
      record.errorPoints = points;
      const weight = compatWeight(points);
      record.score = weight * 10;
      record.level = nextLevel(record.level, record.score);
      record.reason = `${points} error points (bandwidth ${(ratio * 100).toFixed(0)}% of expected, loss ${(loss * 100).toFixed(1)}%)`;
    }
  }

  // ---------------------------------------------------------------- weights

  private assignWeights(count: number): void {
    let total = 0;
    let maxScore = 0;
    for (let i = 0; i < count; i++) {
      const record = scratchRecords[i];
      if (record === undefined) continue;
      total += record.score;
      maxScore = Math.max(maxScore, record.score);
    }
    for (let i = 0; i < count; i++) {
      const record = scratchRecords[i];
      if (record === undefined) continue;
      record.weight = total > 0 ? (1000 * record.score) / total : 0;
      // The public receiver's throttle: min(absolute, relative quality), floor 0.2, only with
      // more than one link. Computed in every mode; the receiver applies it only when asked.
      const absolute = record.score / 1000;
      const relative = maxScore > 0 ? record.score / maxScore : 0;
      record.throttle =
        count > 1 ? Math.max(COMPAT_MIN_ACK_RATE, Math.min(1, absolute, relative)) : 1;
    }
  }
}

/** Keeps a copy of `observation` as the record's last one; returns the previous last one. */
function keep(record: LinkRecord, observation: LinkObservation): ObservationRecord | undefined {
  const previous = record.last;
  record.last = copyObservation(observation, record.spare);
  record.spare = previous;
  return previous;
}

function lossPoints(loss: number): number {
  if (loss > 0.2) return 40;
  if (loss > 0.1) return 20;
  if (loss > 0.05) return 10;
  if (loss > 0.01) return 5;
  return 0;
}

function compatWeight(points: number): number {
  if (points >= 40) return COMPAT_WEIGHTS.critical;
  if (points >= 25) return COMPAT_WEIGHTS.poor;
  if (points >= 15) return COMPAT_WEIGHTS.fair;
  if (points >= 10) return COMPAT_WEIGHTS.degraded;
  if (points >= 5) return COMPAT_WEIGHTS.excellent;
  return COMPAT_WEIGHTS.full;
}

function medianOf(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0
    ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
    : (sorted[mid] ?? 0);
}

/** good >= 800, fair >= 500, else poor; a level changes only LEVEL_HYSTERESIS past its edge. */
function nextLevel(current: QualityLevel, score: number): QualityLevel {
  const h = LEVEL_HYSTERESIS;
  if (current === 'good') return score < 800 - h ? (score < 500 - h ? 'poor' : 'fair') : 'good';
  if (current === 'poor') return score > 500 + h ? (score > 800 + h ? 'good' : 'fair') : 'poor';
  if (score > 800 + h) return 'good';
  if (score < 500 - h) return 'poor';
  return 'fair';
}

/**
 * `lost` of `total` as a ratio in [0, 1]: counters off the wire (a sender's NAK counts) may jump
 * anywhere, and a loss over 100% means nothing but a wrong or hostile sender.
 */
function lossRatio(lost: number, total: number): number {
  if (!(total > 0) || !(lost > 0)) return 0;
  return Math.min(1, lost / total);
}
