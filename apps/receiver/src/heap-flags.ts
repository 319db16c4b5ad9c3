/**
 * V8 settings for a long-running receiver, set by `bin.ts` before the program is loaded.
 *
 * V8's memory reducer: early in a process's life V8 arms a timer, and when it fires (8 s later,
 * then every 8 s until it has run) it runs two or three "memory reducing" full collections, 0.6 s
 * apart, if the process allocates little. A receiver allocates little even under a REG1 flood, so
 * these land wherever the timer falls: in the reliability benchmark's new-sender attack, inside
 * the flood in 10 rounds of 15, where they were the slowest answers (1.4-14 ms main-thread pauses),
 * and each leaves the young generation at its smallest, which then collects every ~1 MiB of
 * allocation (docs/performance.md section 6).
 *
 * V8's `--no-memory-reducer` is read only when the heap is set up (node's command line; NODE_OPTIONS
 * does not allow it), so it would do nothing here. These two are read when the timer is armed at
 * start, so set before that they keep it from being armed: the small-heap trigger off, and the
 * delay of the other start-up trigger at its largest (about 24.8 days). What they do not cover:
 * after a full collection that finds the heap's committed memory grown by 10 MB and 10% since the
 * reducer last ran, V8 arms it again with its fixed 8 s (a receiver whose heap grows that much,
 * with many more groups, say). V8's other collections are unchanged.
 */

/** The V8 flags `bin.ts` sets. */
export const RECEIVER_V8_FLAGS = [
  '--no-memory-reducer-for-small-heaps',
  '--gc-memory-reducer-start-delay-ms=2147483647',
] as const;
