/**
 * The one bounded wait of bond's tests: poll a condition until it holds or a time limit passes.
 *
 * It lives in `@bond/io/testing` because the contract suite (published with `@bond/io`) needs it,
 * and every other test in the repository may depend on `@bond/io` (apps -> runtime -> io; tooling
 * may depend on anything). It imports nothing from vitest, so it also works outside a test runner.
 */

/** How long {@link waitFor} keeps polling, and how often. */
export interface WaitLimits {
  /** Give up after this many ms. Default {@link DEFAULT_WAIT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Pause between two checks, ms. Default {@link DEFAULT_WAIT_INTERVAL_MS}. */
  readonly intervalMs?: number;
}

/** 3 s: generous for loopback and in-process sockets, short enough that a hang fails fast. */
export const DEFAULT_WAIT_TIMEOUT_MS = 3000;

/** 5 ms: a few event-loop turns, so sockets and timers make progress between checks. */
export const DEFAULT_WAIT_INTERVAL_MS = 5;

/** What {@link waitFor} rejects with when the condition never held within its time limit. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';

  constructor(
    /** What was waited for, as the caller described it. */
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/**
 * Resolves once `condition()` returns (or resolves to) true, checking at once, then every
 * `intervalMs`, and a last time at the deadline however late a timer fires. Rejects with a
 * {@link WaitTimeoutError} naming `what` when `timeoutMs` passes first, also when an async
 * condition never settles; rejects with the condition's own error if it throws.
 *
 * @param what - what is awaited, for the timeout message; a function is called only on timeout, so
 *   it can describe the state at that moment (counts, logs).
 * @param limits - a number is `timeoutMs`.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string | Promise<string>),
  limits: number | WaitLimits = {},
): Promise<void> {
  const { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, intervalMs = DEFAULT_WAIT_INTERVAL_MS } =
    typeof limits === 'number' ? { timeoutMs: limits } : limits;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const outcome = await withinMs(condition(), Math.max(deadline - performance.now(), 0));
    if (outcome === true) return;
    const remaining = deadline - performance.now();
    if (outcome === TIMED_OUT || remaining <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
  throw new WaitTimeoutError(typeof what === 'string' ? what : await what(), timeoutMs);
}

const TIMED_OUT = Symbol('timed out');

/** `value` itself, or {@link TIMED_OUT} when it is a promise still pending after `ms`. */
async function withinMs(
  value: boolean | Promise<boolean>,
  ms: number,
): Promise<boolean | typeof TIMED_OUT> {
  if (typeof value === 'boolean') return value;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      resolve(TIMED_OUT);
    }, ms);
  });
  try {
    return await Promise.race([value, limit]);
  } finally {
    clearTimeout(timer);
  }
}
