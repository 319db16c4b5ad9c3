/**
 * The recent SRT sequence numbers a receiver group has seen: the one place that tells a new packet
 * from a duplicate. The receiver drops what this window calls a duplicate before the group's
 * forward path (every copy is still acknowledged on the link it arrived on, protocol.md 6.4), so
 * the forward path sees each sequence number at most once while it is within the window.
 *
 * Contract: {@link observe} is called once per data packet, in arrival order. A sequence number
 * more than {@link SEQ_WINDOW} - 1 behind the highest seen is not remembered and is reported as
 * `old` (never as a duplicate).
 */
import { seqAdd, seqDistance } from '@bond/wire';

/** 8192: how many recent sequence numbers are remembered (about 1 s of a 10 Mbit/s stream). */
export const SEQ_WINDOW = 8192;

/** What {@link SeqWindow.observe} found; {@link SeqWindow.distance} says how far from the highest. */
export const SeqObservation = {
  /** The first packet, or a new highest: `distance` is how far it moved the highest (>= 1). */
  Ahead: 0,
  /** Below the highest and not seen before: `distance` is how far below (>= 1). */
  Behind: 1,
  /** Seen before, within the window: drop it. */
  Duplicate: 2,
  /** Further below the highest than the window remembers: not known to be a duplicate. */
  Old: 3,
} as const;
export type SeqObservation = (typeof SeqObservation)[keyof typeof SeqObservation];

export class SeqWindow {
  /** The highest sequence number seen; undefined before the first. */
  highest: number | undefined;
  /** After {@link observe}: the distance that goes with its answer (0 for the first packet). */
  distance = 0;
  private readonly bits = new Uint8Array(SEQ_WINDOW / 8);

  observe(seq: number): SeqObservation {
    if (this.highest === undefined) {
      this.highest = seq;
      this.distance = 0;
      this.mark(seq);
      return SeqObservation.Ahead;
    }
    const ahead = seqDistance(this.highest, seq);
    if (ahead > 0) {
      const clear = Math.min(ahead, SEQ_WINDOW);
      for (let step = 1; step <= clear; step++) this.unmark(seqAdd(this.highest, step));
      this.highest = seq;
      this.distance = ahead;
      this.mark(seq);
      return SeqObservation.Ahead;
    }
    const behind = -ahead;
    this.distance = behind;
    if (behind >= SEQ_WINDOW) return SeqObservation.Old;
    if (this.isMarked(seq)) return SeqObservation.Duplicate;
    this.mark(seq);
    return SeqObservation.Behind;
  }

  private mark(seq: number): void {
    const bit = seq % SEQ_WINDOW;
    this.bits[bit >>> 3] = (this.bits[bit >>> 3] ?? 0) | (1 << (bit & 7));
  }

  private unmark(seq: number): void {
    const bit = seq % SEQ_WINDOW;
    this.bits[bit >>> 3] = (this.bits[bit >>> 3] ?? 0) & ~(1 << (bit & 7));
  }

  private isMarked(seq: number): boolean {
    const bit = seq % SEQ_WINDOW;
    return ((this.bits[bit >>> 3] ?? 0) & (1 << (bit & 7))) !== 0;
  }
}
