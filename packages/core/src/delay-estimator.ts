/**
 * Queueing delay and delay skew from SRT timestamps, without clock synchronisation
 * (protocol.md 5.1).
 *
 * For each data packet, `arrival - timestamp` is the one-way delay plus a constant unknown offset.
 * The group holds one reference value so all its links share the offset; each link keeps a running
 * minimum of its samples over a window (its base); the excess over the base is queueing delay, and
 * the difference between a link's base and the group's smallest base is its delay offset (skew).
 *
 * SRT timestamps are u32 microseconds and wrap every ~71.6 minutes; all differences are taken as
 * signed 32-bit values relative to the group's reference, so the wrap is harmless.
 */

/** 10 s: how far back the running minimum looks (two 5-second buckets). */
export const DELAY_BASE_WINDOW_MS = 10_000;
const BUCKET_MS = DELAY_BASE_WINDOW_MS / 2;
/** Gain of the smoothed queueing delay. */
const SMOOTHING = 1 / 8;

/** Per-group reference shared by its links' estimators. */
export class DelayReference {
  private reference: number | undefined;

  /** The sample for a packet that arrived at `now` (ms) carrying SRT timestamp `timestampUs`. */
  relativeDelayUs(now: number, timestampUs: number): number {
    const arrivalUs = Math.round(now * 1000) % 0x1_0000_0000;
    const raw = (arrivalUs - timestampUs) >>> 0;
    this.reference ??= raw;
    return (raw - this.reference) | 0;
  }
}

export class DelayEstimator {
  private currentStart = -Infinity;
  private currentMin = Infinity;
  private previousMin = Infinity;
  /** Smoothed queueing delay, us. */
  queueingDelayUs = 0;
  /** Latest sample's queueing delay, us. */
  latestQueueingDelayUs = 0;
  samples = 0;
  /** When the latest sample was taken (ms), or -Infinity. */
  lastSampleAt = -Infinity;
  /** Smoothed relative delay (base plus queueing), us: comparable across a group's links. */
  currentRelativeUs = 0;
  /** Smoothed absolute deviation of the samples from `currentRelativeUs`, us (jitter). */
  deviationUs = 0;

  /** Adds one sample (from {@link DelayReference.relativeDelayUs}) taken at `now`. */
  addSample(now: number, relativeUs: number): void {
    if (now - this.currentStart >= BUCKET_MS) {
      this.previousMin = this.currentMin;
      this.currentMin = Infinity;
      this.currentStart = now;
    }
    if (relativeUs < this.currentMin) this.currentMin = relativeUs;
    const queueing = relativeUs - this.base;
    this.latestQueueingDelayUs = queueing;
    this.queueingDelayUs =
      this.samples === 0
        ? queueing
        : this.queueingDelayUs + SMOOTHING * (queueing - this.queueingDelayUs);
    if (this.samples === 0) {
      this.currentRelativeUs = relativeUs;
    } else {
      const error = relativeUs - this.currentRelativeUs;
      this.deviationUs += SMOOTHING * (Math.abs(error) - this.deviationUs);
      this.currentRelativeUs += SMOOTHING * error;
    }
    this.lastSampleAt = now;
    this.samples++;
  }

  /** The running minimum (relative to the group reference), or Infinity before any sample. */
  get base(): number {
    return Math.min(this.currentMin, this.previousMin);
  }
}
