/**
 * `classic`: the reference SRTLA window scheduler, reproduced exactly (protocol.md 6.3), for
 * comparison and for users who want it.
 *
 * Per link a `window` in x1000 units, [1000, 60000], 20000 for a new link, 1000 after a timeout.
 * * Choose the up link with the largest `window / (in_flight + 1)` (times priority / 100).
 * * Per seq in an SRTLA ACK: the link that carried it, if `in_flight * 1000 > window`, gets
 *   `window += 29`; and every up link gets `window += 1`.
 * * Per seq in an SRT NAK: the link that carried it gets `window -= 100`.
 */
import type { Scheduler, SchedulerLink } from './scheduler.js';

/** Window bounds and steps of the reference sender (x1000 packet units). */
export const CLASSIC_WINDOW = {
  MIN: 1000,
  MAX: 60_000,
  /** A new link starts here. */
  DEFAULT: 20_000,
  /** A link that timed out restarts here. */
  AFTER_TIMEOUT: 1000,
  /** Added to the carrying link per acknowledged seq while it is window-limited. */
  ACK_INCREASE: 29,
  /** Added to every up link per acknowledged seq. */
  ACK_INCREASE_ALL: 1,
  /** Removed from the carrying link per NAKed seq. */
  NAK_DECREASE: 100,
} as const;

export class ClassicScheduler implements Scheduler {
  readonly name = 'classic';
  private windows: number[] = [];

  addLink(_now: number, link: SchedulerLink): void {
    this.windows[link.index] = CLASSIC_WINDOW.DEFAULT;
  }

  removeLink(link: SchedulerLink): void {
    this.windows[link.index] = CLASSIC_WINDOW.DEFAULT;
  }

  linkUp(_now: number, link: SchedulerLink, afterTimeout: boolean): void {
    if (afterTimeout) this.windows[link.index] = CLASSIC_WINDOW.AFTER_TIMEOUT;
  }

  linkDown(_now: number, _link: SchedulerLink): void {
    // The reference keeps the window until the link times out and re-registers (linkUp).
  }

  select(_now: number, links: readonly SchedulerLink[]): SchedulerLink | undefined {
    let best: SchedulerLink | undefined;
    let bestScore = 0;
    for (const link of links) {
      if (!link.up || link.priority <= 0) continue;
      const score =
        ((this.windows[link.index] ?? CLASSIC_WINDOW.DEFAULT) / (link.inFlight + 1)) *
        (link.priority / 100);
      if (best === undefined || score > bestScore) {
        best = link;
        bestScore = score;
      }
    }
    return best;
  }

  onSent(): void {
    // The reference changes nothing on send; in-flight is the engine's.
  }

  onSrtlaAck(
    _now: number,
    link: SchedulerLink,
    _seq: number,
    carried: boolean,
    _sentAt: number | undefined,
    links: readonly SchedulerLink[],
  ): void {
    if (carried) {
      const window = this.windows[link.index] ?? CLASSIC_WINDOW.DEFAULT;
      if (link.inFlight * 1000 > window) {
        this.windows[link.index] = Math.min(
          CLASSIC_WINDOW.MAX,
          window + CLASSIC_WINDOW.ACK_INCREASE,
        );
      }
    }
    for (const other of links) {
      if (!other.up) continue;
      const window = this.windows[other.index] ?? CLASSIC_WINDOW.DEFAULT;
      this.windows[other.index] = Math.min(
        CLASSIC_WINDOW.MAX,
        window + CLASSIC_WINDOW.ACK_INCREASE_ALL,
      );
    }
  }

  onSrtlaAckDone(): void {
    // The reference acts per seq only.
  }

  onKeepaliveEcho(): void {
    // The reference uses keepalives for liveness only.
  }

  onSrtNak(_now: number, link: SchedulerLink, _seq: number, _firstCopy: boolean): void {
    const window = this.windows[link.index] ?? CLASSIC_WINDOW.DEFAULT;
    this.windows[link.index] = Math.max(CLASSIC_WINDOW.MIN, window - CLASSIC_WINDOW.NAK_DECREASE);
  }

  window(link: SchedulerLink): number {
    return this.windows[link.index] ?? CLASSIC_WINDOW.DEFAULT;
  }

  stats(_now: number): unknown {
    return { name: this.name, windows: [...this.windows] };
  }
}
