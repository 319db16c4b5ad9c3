/**
 * The one timer a runtime keeps for its engine: armed at the engine's next deadline, re-armed only
 * when that deadline changes, unref'd so it never keeps the process alive on its own.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedAt: number | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly onDue: () => void,
  ) {}

  /** Arms the timer for `due` (ms on `clock`), or disarms it for undefined. */
  arm(due: number | undefined): void {
    if (due === this.armedAt) return;
    this.clear();
    this.armedAt = due;
    if (due === undefined) return;
    this.timer = setTimeout(this.fire, Math.max(0, Math.ceil(due - this.clock())));
    this.timer.unref();
  }

  /** Disarms the timer. */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = undefined;
    this.onDue();
  };
}
