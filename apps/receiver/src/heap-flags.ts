/**
 * V8 settings for a long-running receiver, set by `bin.ts` before the program is loaded.
 *
 * V8's memory reducer: a few hundred milliseconds into a process's life V8 arms a timer, and
 * when it fires (8 s later, then every 8 s until it has run) it runs two or three "memory
 * reducing" full collections, 0.6 s apart, if the process allocates little. A receiver allocates
 * little even under a REG1 flood, so these land wherever the timer falls: in the reliability
 * benchmark, inside a flood in two rounds of three, as the two slowest clusters of answers (a
 * 5-11 ms main-thread pause each), and each shrinks the young generation to its smallest, which
 * then collects every ~1 MiB of allocation (docs/performance.md section 6, new-sender).
 *
 * V8's `--no-memory-reducer` is read only when the heap is set up (node's command line; NODE_OPTIONS
 * does not allow it), so it does nothing here. These are read when the timer is armed, so set
 * before that they keep it from being armed at start: the small-heap trigger off, and the delay of
 * the others at its largest. V8's own collections when the heap grows are unchanged.
 */

/** The V8 flags `bin.ts` sets. */
export const RECEIVER_V8_FLAGS = [
  '--no-memory-reducer-for-small-heaps',
  '--gc-memory-reducer-start-delay-ms=2147483647',
] as const;
