/**
 * The one timer a runtime keeps for its engine, unref'd so it never keeps the process alive on its
 * own.
 *
 * It is lazy: a deadline that moves later (a keepalive pushed back by the data just sent, a link
 * timeout extended by the ACK just read: most calls, one or more per packet) leaves the armed
 * timer alone. The timer then fires at the earlier deadline, the engine finds nothing due (its
 * `handleTimeout` is harmless early) and the runtime arms the new deadline. Only a deadline that
 * moves earlier, or none at all, re-arms or clears the timer: a Node.js timer is re-armed about
 * once per deadline instead of once per packet.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedAt: number | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly onDue: () => void,
  ) {}

  /**
   * Makes sure the timer fires by `due` (ms on `clock`), or disarms it for undefined. It may fire
   * earlier, at a deadline armed before: the callback must then arm the next one.
   */
  arm(due: number | undefined): void {
    if (due === undefined) {
      this.clear();
      return;
    }
    if (this.armedAt !== undefined && this.armedAt <= due) return;
    this.clear();
    this.armedAt = due;
    this.timer = setTimeout(this.fire, Math.max(0, Math.ceil(due - this.clock())));
    this.timer.unref();
  }

  /** The deadline the armed timer fires at (ms on `clock`), or undefined when disarmed. */
  get armed(): number | undefined {
    return this.armedAt;
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
