/**
 * The receiver's forward path: between a group's links and its upstream socket. The reorder engine
 * (`createReorderForwardPath`) plugs in here; {@link createPassThroughForwardPath} sends everything
 * on at once (reorder `off`).
 *
 * A forward path that holds a datagram past the call that pushed it must copy it: the bytes belong
 * to the runtime's receive buffer.
 */
export interface ForwardPath {
  /** A datagram for upstream; `seq` is its SRT sequence number, undefined for control packets. */
  push(now: number, bytes: Uint8Array, seq: number | undefined): void;
  /**
   * Releases whatever is due at `now`. At `now = Infinity` everything held is due: the receiver
   * calls that when it replaces the path (reorder setting changed), and nothing may stay held.
   */
  handleTimeout(now: number): void;
  /** When `handleTimeout` must next run, or undefined. */
  pollTimeout(): number | undefined;
  /** Plain-data state for stats, as of `now`. */
  stats(now: number): unknown;
}

/** What a forward path may read about its group. */
export interface ForwardPathGroup {
  /**
   * Slowest minus fastest link's current one-way delay at `now`, ms; undefined while not every
   * link has a recent measurement.
   */
  delaySkewMs(now: number): number | undefined;
  /**
   * Every original sent before this sequence number on a recently active link has arrived or is
   * lost (links are first in, first out), so a gap below it is not worth waiting for; undefined
   * when not known. Optional: a path without it waits the whole hold.
   */
  clearedBelow?(now: number): number | undefined;
  /**
   * Every link of the group has delivered an original at or after `seq` (each less the farthest it
   * reordered its own packets): nothing sent before `seq` is still on its way. False while any link
   * has delivered no original. Optional: without it, a stream's start-up waits the whole hold.
   */
  everyLinkPast?(seq: number): boolean;
}

/** Builds a group's forward path; `emit` sends one datagram upstream. */
export type ForwardPathFactory = (
  emit: (bytes: Uint8Array) => void,
  group: ForwardPathGroup,
) => ForwardPath;

/** Sends every datagram upstream immediately, in arrival order. */
export const createPassThroughForwardPath: ForwardPathFactory = (emit) => ({
  push(_now, bytes) {
    emit(bytes);
  },
  handleTimeout() {
    // Nothing is ever held.
  },
  pollTimeout() {
    return undefined;
  },
  stats() {
    return { mode: 'off' };
  },
});
