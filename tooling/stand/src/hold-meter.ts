/**
 * How long each stamped payload spent inside bond-receiver: from its first arrival at
 * bond-receiver's input to its first release at its output (both seen by a {@link PathTap}). With
 * the reorder engine on, that is the engine's hold; with it off, only the forwarding itself.
 */
import { readStamp } from './stamp.js';
import { summarizeDelays, type DelaySummary } from './stream-meter.js';

export class HoldMeter {
  /** First arrival time at the input per payload number; NaN before it arrives. */
  private readonly arrivedAt: Float64Array;
  private readonly released: Uint8Array;
  private readonly holds: number[] = [];
  private windowHolds: number[] = [];

  /** `capacity`: the most payloads a run sends (9 bytes of memory each). */
  constructor(
    private readonly now: () => number,
    capacity: number,
  ) {
    this.arrivedAt = new Float64Array(capacity).fill(Number.NaN);
    this.released = new Uint8Array(capacity);
  }

  /** A payload at bond-receiver's input (every copy; the first counts). */
  noteInput(payload: Uint8Array): void {
    const stamp = readStamp(payload);
    if (stamp === undefined || stamp.number >= this.arrivedAt.length) return;
    if (Number.isNaN(this.arrivedAt[stamp.number])) this.arrivedAt[stamp.number] = this.now();
  }

  /** A payload out of bond-receiver (every copy; the first counts). */
  noteOutput(payload: Uint8Array): void {
    const stamp = readStamp(payload);
    if (stamp === undefined || stamp.number >= this.released.length) return;
    if (this.released[stamp.number] === 1) return;
    this.released[stamp.number] = 1;
    const arrived = this.arrivedAt[stamp.number] ?? Number.NaN;
    if (Number.isNaN(arrived)) return;
    const hold = this.now() - arrived;
    this.holds.push(hold);
    this.windowHolds.push(hold);
  }

  /** The holds since the last call. */
  takeWindow(): DelaySummary {
    const summary = summarizeDelays(this.windowHolds);
    this.windowHolds = [];
    return summary;
  }

  /** Every hold so far. */
  summary(): DelaySummary {
    return summarizeDelays(this.holds);
  }
}
