/**
 * The emulator's one timer: armed for the earliest due release across all links and directions.
 * No busy loop and no per-datagram timers: `wake(due)` re-arms only when `due` is earlier than the
 * armed time, and each firing services everything due, then re-arms for what is next.
 */
export class ReleaseTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  /**
   * @param now - the emulator's clock, ms.
   * @param serviceAll - releases everything due at the given time; returns the next due time
   *   (`Infinity` when nothing is pending).
   */
  constructor(
    private readonly now: () => number,
    private readonly serviceAll: (now: number) => number,
  ) {}

  /** Makes sure the timer fires no later than `due` (ms on the emulator's clock). */
  wake(due: number): void {
    if (this.stopped || !(due < this.armedFor)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = due;
    // Node timers have 1 ms resolution and may fire slightly early; `fire` re-arms if so.
    this.timer = setTimeout(
      () => {
        this.fire();
      },
      Math.max(0, Math.ceil(due - this.now())),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const next = this.serviceAll(this.now());
    if (Number.isFinite(next)) this.wake(next);
  }
}
