/**
 * The reorder engine (architecture.md, "The three algorithms"): puts a group's SRT data back in
 * sequence before the SRT listener sees it, so reordering across links is not mistaken for loss.
 *
 * It holds a packet only while an earlier one may still arrive. The hold is `auto` (the measured
 * delay skew between the group's links plus a margin, capped), a fixed number of milliseconds, or
 * `off`. Packets older than the release point go through at once (SRT handles them); a duplicate
 * of a held packet is dropped (the receiver group's sequence window drops other duplicates before
 * the forward path, see `seq-window.ts`); a sequence jump (a sender restart) releases what is
 * held, in order, and starts again from the new sequence.
 *
 * Invariants (each has a property test in `test/reorder-engine.test.ts`):
 * 1. **Bounded wait.** Every packet leaves within the hold of its arrival (never more than
 *    `maxHoldMs`) plus the lateness of the timer that calls {@link ReorderEngine.handleTimeout} at
 *    {@link ReorderEngine.pollTimeout}. The deadline is the earliest arrival among held packets plus
 *    the hold, whatever their sequence numbers: when it passes, that packet and every held packet
 *    before it in sequence leave, in order, and the gaps before them are given up.
 * 2. **In order, at most once.** Packets that were held leave in sequence order; a packet pushed is
 *    emitted exactly once, or dropped as a copy of one held; a held packet leaves exactly once.
 * 3. **Bounded memory.** At most `maxPackets` (rounded up to a power of two) and `maxBytes` are
 *    held. The rings start at {@link INITIAL_RING} slots and double only when a held window needs
 *    it, up to `maxPackets` (an idle or in-order group costs a few KiB, not the full buffer). A
 *    full buffer releases early; a packet that alone exceeds `maxBytes` is released at once, in
 *    order.
 * 4. **Never stalls.** While anything is held, {@link ReorderEngine.pollTimeout} gives a deadline,
 *    never derived from a measurement of 0 (the hold is at least {@link MIN_HOLD_MS}).
 * 5. **Counts add up.** `skipped` is the sequence numbers given up on that have not arrived since
 *    (a given-up packet that arrives later is counted `late`, no longer `skipped`).
 *
 * **Gaps no link can fill.** A link delivers in the order it was given, so once every recently
 * active link has delivered an original with a higher sequence number than a gap, the missing
 * packet is not on its way (the sender never sent it, or a link lost it): the engine gives the gap
 * up at once instead of waiting out the hold (`clearedBelow`, from the receiver group), and the
 * SRT listener asks for it that much sooner. Everything else waits as before, at most the hold.
 *
 * **A stream's start-up.** The first packet is held, and everything after it, so that an earlier
 * one still on a slower link can move the release point back. That lasts the hold (in `auto`, the
 * initial 200 ms until every link has a delay measurement) or, sooner, until every link of the
 * group has delivered an original at or after the release point (`everyLinkPast`): then nothing
 * earlier is on its way. Waiting out the whole hold released it all in one burst (12,000 packets at
 * 60k pps), which overflowed a listener's socket with a default receive buffer.
 *
 * Held packets are copied: the bytes pushed in belong to the runtime's receive buffer.
 */
import { seqAdd, seqDistance } from '@bond/wire';
import type { ForwardPath, ForwardPathFactory } from './forward-path.js';

/** 1 ms: the shortest hold ever derived, so a skew of 0 can never mean "never drain". */
export const MIN_HOLD_MS = 1;
/**
 * 8192: how many sequence numbers before the release point the engine remembers as given up, so a
 * late arrival among them is no longer counted `skipped` (1 KiB per group).
 */
export const GIVEN_UP_MEMORY = 8192;
/**
 * 64: the rings' first size (a group whose packets arrive in order never needs more); they double
 * when a held window is wider, up to `maxPackets`.
 */
export const INITIAL_RING = 64;
/** A jump of more than this many sequence numbers (either way) is a new stream, not reordering. */
export const REORDER_JUMP = 1 << 16;

export type ReorderMode = 'off' | 'auto' | { readonly fixedMs: number };

export interface ReorderOptions {
  readonly mode: ReorderMode;
  /** Added to the measured skew in `auto` mode, ms. Default 20. */
  readonly marginMs?: number;
  /** Upper bound of the hold, ms. Default 500. */
  readonly maxHoldMs?: number;
  /** Hold used in `auto` mode before any skew is measured, ms. Default 200. */
  readonly initialHoldMs?: number;
  /** Most packets held at once (rounded up to a power of two). Default 8192. */
  readonly maxPackets?: number;
  /** Most bytes held at once. Default 16 MiB. */
  readonly maxBytes?: number;
}

/** What the engine reads about its group: the current delay skew between links, if measured. */
export interface SkewSource {
  /**
   * Slowest minus fastest link's current one-way delay at `now`, ms; undefined while not every
   * link has a recent measurement.
   */
  delaySkewMs(now: number): number | undefined;
  /** See `ForwardPathGroup.clearedBelow`: a gap below this sequence number is given up at once. */
  clearedBelow?(now: number): number | undefined;
  /** See `ForwardPathGroup.everyLinkPast`: a stream's start-up ends once this holds for `next`. */
  everyLinkPast?(seq: number): boolean;
}

export interface ReorderStats {
  readonly mode: string;
  readonly holdMs: number;
  readonly held: number;
  readonly heldBytes: number;
  readonly released: number;
  /** Packets held and then released in order (ahead of a gap, or at the start of a stream). */
  readonly reordered: number;
  /**
   * Sequence numbers given up on (the hold ran out, or the buffer was full) that have not arrived
   * since: SRT will ask for them again or drop them.
   */
  readonly skipped: number;
  /** Copies of a packet already held, dropped (the receiver filters other duplicates earlier). */
  readonly duplicates: number;
  /** Packets older than the release point, passed through at once. */
  readonly late: number;
  readonly jumps: number;
  /** Times the buffer was full and released early. */
  readonly overflows: number;
}

export class ReorderEngine implements ForwardPath {
  private readonly mode: ReorderMode;
  private readonly marginMs: number;
  private readonly maxHoldMs: number;
  private readonly initialHoldMs: number;
  private readonly maxBytes: number;
  /** The most packets ever held: `maxPackets` rounded up to a power of two. */
  private readonly capacity: number;
  /** The rings' current size (a power of two, at most `capacity`) and its mask. */
  private size: number;
  private mask: number;
  private slots: (Uint8Array | undefined)[];
  private slotSeq: Int32Array;
  private arrivedAt: Float64Array;
  /**
   * Held packets in arrival order (a ring of sequence numbers and arrival times, twice the
   * capacity): its first live entry is the packet that has waited longest, whose arrival times the
   * next deadline. Entries of packets already released are dropped lazily.
   */
  private arrivalSeq: Int32Array;
  private arrivalAt: Float64Array;
  private arrivalHead = 0;
  private arrivalCount = 0;
  /**
   * One bit per sequence number modulo {@link GIVEN_UP_MEMORY}, for that many numbers before
   * `next`: set when the number was given up on, clear when it was released. Tells a late arrival
   * that was given up (no longer `skipped`) from a re-sent one.
   */
  private readonly givenUp: Uint8Array;
  /** The next sequence number to release; undefined before the first packet. */
  private next: number | undefined;
  /** Highest sequence number held (the end of the window), valid while `held > 0`. */
  private highest = 0;
  private held = 0;
  private heldBytes = 0;
  /**
   * While set, the stream has just started: nothing is released before this time, unless every link
   * delivers past the release point first (`endStartupIfPast`).
   */
  private startupUntil: number | undefined;
  /** The hold computed at the latest `push` or `handleTimeout`, ms: what `pollTimeout` uses. */
  private hold = 0;
  /**
   * The `now` the hold was last computed at: every packet of one receive batch shares its `now`,
   * so the links' skew is read once per batch, not once per packet (the hold is a double, and
   * computing it per packet boxed one or two numbers per packet on the forwarding path).
   */
  private holdAt = Number.NaN;
  /** Cached sequence number of the lowest held packet; undefined when it must be searched. */
  private lowestSeq: number | undefined;

  private released = 0;
  private reordered = 0;
  private skipped = 0;
  private duplicates = 0;
  private late = 0;
  private jumps = 0;
  private overflows = 0;

  constructor(
    options: ReorderOptions,
    private readonly emit: (bytes: Uint8Array) => void,
    private readonly skew: SkewSource,
  ) {
    this.mode = options.mode;
    this.marginMs = Math.max(0, options.marginMs ?? 20);
    this.maxHoldMs = Math.max(MIN_HOLD_MS, options.maxHoldMs ?? 500);
    this.initialHoldMs = Math.max(MIN_HOLD_MS, options.initialHoldMs ?? 200);
    this.maxBytes = Math.max(1, options.maxBytes ?? 16 * 1024 * 1024);
    let size = 2;
    while (size < (options.maxPackets ?? 8192)) size *= 2;
    this.capacity = size;
    this.size = Math.min(size, INITIAL_RING);
    this.mask = this.size - 1;
    this.slots = new Array<Uint8Array | undefined>(this.size).fill(undefined);
    this.slotSeq = new Int32Array(this.size).fill(-1);
    this.arrivedAt = new Float64Array(this.size);
    this.arrivalSeq = new Int32Array(2 * this.size);
    this.arrivalAt = new Float64Array(2 * this.size);
    this.givenUp = new Uint8Array(GIVEN_UP_MEMORY >>> 3);
  }

  /** The hold at `now`, ms: never below {@link MIN_HOLD_MS}, never above the cap. */
  holdMs(now: number): number {
    if (this.mode === 'off') return 0;
    if (this.mode === 'auto') {
      const skew = this.skew.delaySkewMs(now);
      const raw = skew === undefined ? this.initialHoldMs : skew + this.marginMs;
      return clampHold(raw, this.maxHoldMs);
    }
    return clampHold(this.mode.fixedMs, this.maxHoldMs);
  }

  push(now: number, bytes: Uint8Array, seq: number | undefined): void {
    if (seq === undefined || this.mode === 'off') {
      if (seq !== undefined) this.released++;
      this.emit(bytes);
      return;
    }
    if (now !== this.holdAt) {
      this.holdAt = now;
      this.hold = this.holdMs(now);
    }
    if (this.next === undefined) {
      // The first packet of a stream: hold it, so that earlier ones still in flight on slower
      // links can move the release point back instead of arriving "late".
      this.next = seq;
      this.startupUntil = now + this.hold;
      this.admit(now, bytes, seq);
      this.endStartupIfPast();
      return;
    }
    const distance = seqDistance(this.next, seq);
    if (
      this.startupUntil !== undefined &&
      distance < 0 &&
      seqDistance(seq, this.held > 0 ? this.highest : this.next) < this.capacity
    ) {
      // Still starting: an earlier packet moves the release point back (within the buffer).
      this.next = seq;
      this.admit(now, bytes, seq);
      this.endStartupIfPast();
      return;
    }
    if (distance < 0) {
      if (-distance > REORDER_JUMP) {
        this.restartAt(seq);
        this.releaseNow(bytes, seq);
        return;
      }
      this.passLate(bytes, seq, -distance);
      return;
    }
    if (distance === 0 && this.startupUntil === undefined) {
      this.releaseNow(bytes, seq);
      this.drainInOrder();
      return;
    }
    if (distance > REORDER_JUMP) {
      this.restartAt(seq);
      this.releaseNow(bytes, seq);
      return;
    }
    this.admit(now, bytes, seq);
    if (this.startupUntil !== undefined) this.endStartupIfPast();
    else this.releaseCleared(now);
  }

  /**
   * Ends a stream's start-up before its hold runs out once every link has delivered an original at
   * or after the release point: nothing earlier is on its way, so the release point cannot move
   * back. Without this, everything that arrived during the start-up hold (200 ms before any skew is
   * measured: 12,000 packets at 60k pps) left in one burst when it ended, more than an SRT
   * listener's socket with a default receive buffer (208 KiB) takes at once.
   */
  private endStartupIfPast(): void {
    const next = this.next;
    if (this.startupUntil === undefined || next === undefined) return;
    if (this.skew.everyLinkPast?.(next) !== true) return;
    this.startupUntil = undefined;
    this.drainInOrder();
  }

  /**
   * Holds `bytes` (at or ahead of the release point), making room first: a full buffer releases
   * its lowest packets early; a packet that can never fit is released at once, in order.
   */
  private admit(now: number, bytes: Uint8Array, seq: number): void {
    if (bytes.length > this.maxBytes) {
      this.overflows++;
      this.startupUntil = undefined;
      this.releaseBefore(seq);
      this.releaseNow(bytes, seq);
      this.drainInOrder();
      return;
    }
    for (let guard = 0; guard <= this.capacity; guard++) {
      const span = seqDistance(this.next ?? seq, seq);
      if (span < this.capacity && this.heldBytes + bytes.length <= this.maxBytes) break;
      this.overflows++;
      this.startupUntil = undefined;
      if (this.held === 0) {
        // Nothing held and the gap alone is wider than the buffer: give up on the gap.
        this.releaseBefore(seq);
        this.releaseNow(bytes, seq);
        this.drainInOrder();
        return;
      }
      this.skipToLowestHeld();
    }
    this.growFor(seq);
    this.store(now, bytes, seq);
  }

  /**
   * Doubles the rings until the held window from `next` to the higher of `seq` and the highest held
   * number fits (admit has already kept that span within `capacity`).
   */
  private growFor(seq: number): void {
    const start = this.next ?? seq;
    const end = this.held > 0 && seqDistance(seq, this.highest) > 0 ? this.highest : seq;
    const needed = seqDistance(start, end) + 1;
    if (needed <= this.size) return;
    let size = this.size;
    while (size < needed && size < this.capacity) size *= 2;
    const slots = new Array<Uint8Array | undefined>(size).fill(undefined);
    const slotSeq = new Int32Array(size).fill(-1);
    const arrivedAt = new Float64Array(size);
    const mask = size - 1;
    for (let slot = 0; slot < this.size; slot++) {
      const held = this.slotSeq[slot] ?? -1;
      const packet = this.slots[slot];
      if (held < 0 || packet === undefined) continue;
      slots[held & mask] = packet;
      slotSeq[held & mask] = held;
      arrivedAt[held & mask] = this.arrivedAt[slot] ?? 0;
    }
    // The arrival ring keeps its order (oldest first), starting at 0.
    const arrivalSeq = new Int32Array(2 * size);
    const arrivalAt = new Float64Array(2 * size);
    const oldRing = this.arrivalSeq.length;
    for (let offset = 0; offset < this.arrivalCount; offset++) {
      const index = (this.arrivalHead + offset) % oldRing;
      arrivalSeq[offset] = this.arrivalSeq[index] ?? 0;
      arrivalAt[offset] = this.arrivalAt[index] ?? 0;
    }
    this.arrivalHead = 0;
    this.size = size;
    this.mask = mask;
    this.slots = slots;
    this.slotSeq = slotSeq;
    this.arrivedAt = arrivedAt;
    this.arrivalSeq = arrivalSeq;
    this.arrivalAt = arrivalAt;
  }

  /** Holds a copy of `bytes` (a copy of a packet already held is dropped). */
  private store(now: number, bytes: Uint8Array, seq: number): void {
    const slot = seq & this.mask;
    if (this.slotSeq[slot] === seq) {
      this.duplicates++;
      return;
    }
    this.slots[slot] = bytes.slice();
    this.slotSeq[slot] = seq;
    this.arrivedAt[slot] = now;
    if (this.held === 0 || seqDistance(this.highest, seq) > 0) this.highest = seq;
    if (this.held === 0) this.lowestSeq = seq;
    else if (this.lowestSeq !== undefined && seqDistance(this.lowestSeq, seq) < 0) {
      this.lowestSeq = seq;
    }
    this.held++;
    this.heldBytes += bytes.length;
    this.recordArrival(seq, now);
  }

  handleTimeout(now: number): void {
    if (this.startupUntil !== undefined) {
      if (now < this.startupUntil) return;
      this.startupUntil = undefined;
      this.drainInOrder();
    }
    const hold = this.holdMs(now);
    this.hold = hold;
    this.holdAt = now;
    for (let guard = 0; guard <= this.capacity && this.held > 0; guard++) {
      const first = this.longestWaiting();
      if (first < 0 || now < (this.arrivalAt[first] ?? 0) + hold) return;
      // It has waited the hold: it leaves now, and so does everything held before it.
      const seq = this.arrivalSeq[first] ?? 0;
      this.releaseBefore(seq);
      this.drainInOrder();
    }
  }

  pollTimeout(): number | undefined {
    if (this.startupUntil !== undefined) return this.startupUntil;
    if (this.held === 0) return undefined;
    const first = this.longestWaiting();
    if (first < 0) return undefined;
    return (this.arrivalAt[first] ?? 0) + this.hold;
  }

  stats(now: number): ReorderStats {
    return {
      mode: typeof this.mode === 'string' ? this.mode : `fixed ${this.mode.fixedMs} ms`,
      holdMs: this.holdMs(now),
      held: this.held,
      heldBytes: this.heldBytes,
      released: this.released,
      reordered: this.reordered,
      skipped: this.skipped,
      duplicates: this.duplicates,
      late: this.late,
      jumps: this.jumps,
      overflows: this.overflows,
    };
  }

  // ---------------------------------------------------------------- internals

  /**
   * Gives up at once on the gaps that no link can still fill ("Gaps no link can fill" at the top
   * of the file) and releases what waited behind them, in order.
   */
  private releaseCleared(now: number): void {
    if (this.startupUntil !== undefined || this.held === 0 || this.mode === 'off') return;
    const cleared = this.skew.clearedBelow?.(now);
    if (cleared === undefined) return;
    for (let guard = 0; guard <= this.capacity && this.held > 0; guard++) {
      const next = this.next;
      if (next === undefined || seqDistance(next, cleared) <= 0) return;
      const lowest = this.lowestHeldSlot();
      if (lowest < 0) return;
      const lowestSeq = this.slotSeq[lowest] ?? 0;
      // The gap ends at the lowest held packet, or at `cleared` if that comes first.
      this.giveUpUntil(seqDistance(lowestSeq, cleared) > 0 ? lowestSeq : cleared);
      this.drainInOrder();
    }
  }

  /** A packet behind the release point: out at once; if it had been given up, it no longer is. */
  private passLate(bytes: Uint8Array, seq: number, behind: number): void {
    this.late++;
    if (behind <= GIVEN_UP_MEMORY && this.isGivenUp(seq)) {
      this.setGivenUp(seq, false);
      this.skipped--;
    }
    this.released++;
    this.emit(bytes);
  }

  private releaseNow(bytes: Uint8Array, seq: number): void {
    if (this.lowestSeq === seq) this.lowestSeq = undefined;
    this.setGivenUp(seq, false);
    this.released++;
    this.next = seqAdd(seq, 1);
    this.emit(bytes);
  }

  /** Releases held packets from `next` while they are consecutive. */
  private drainInOrder(): void {
    for (let guard = 0; guard < this.capacity && this.held > 0; guard++) {
      const next = this.next;
      if (next === undefined) return;
      const slot = next & this.mask;
      const bytes = this.slots[slot];
      if (this.slotSeq[slot] !== next || bytes === undefined) return;
      this.slots[slot] = undefined;
      this.slotSeq[slot] = -1;
      this.held--;
      this.heldBytes -= bytes.length;
      this.reordered++;
      this.releaseNow(bytes, next);
    }
  }

  /**
   * Releases, in order, every held packet before `seq` and gives up on the gaps between them;
   * afterwards `next` is `seq` (unless it already was past it).
   */
  private releaseBefore(seq: number): void {
    for (let guard = 0; guard <= this.capacity && this.next !== undefined; guard++) {
      if (seqDistance(this.next, seq) <= 0) return;
      const lowest = this.lowestHeldSlot();
      const target =
        lowest >= 0 && seqDistance(this.slotSeq[lowest] ?? 0, seq) > 0
          ? (this.slotSeq[lowest] ?? 0)
          : seq;
      this.giveUpUntil(target);
      if (target !== seq) this.drainInOrder();
    }
  }

  /** Gives up on the gap before the lowest held packet and releases from there. */
  private skipToLowestHeld(): void {
    const slot = this.lowestHeldSlot();
    if (slot < 0) return;
    this.giveUpUntil(this.slotSeq[slot] ?? 0);
    this.drainInOrder();
  }

  /** Moves `next` forward to `seq`, giving up on every sequence number in between. */
  private giveUpUntil(seq: number): void {
    if (this.next === undefined) return;
    const gap = seqDistance(this.next, seq);
    if (gap <= 0) return;
    this.skipped += gap;
    // Only the last GIVEN_UP_MEMORY numbers are remembered (late arrivals further back are not told).
    const remembered = Math.min(gap, GIVEN_UP_MEMORY);
    for (let offset = gap - remembered; offset < gap; offset++) {
      this.setGivenUp(seqAdd(this.next, offset), true);
    }
    this.next = seq;
  }

  /** The slot of the lowest held sequence number, or -1. */
  private lowestHeldSlot(): number {
    if (this.next === undefined || this.held === 0) return -1;
    const cached = this.lowestSeq;
    if (cached !== undefined && this.slotSeq[cached & this.mask] === cached) {
      return cached & this.mask;
    }
    const span = seqDistance(this.next, this.highest);
    for (let offset = 0; offset <= span && offset < this.size; offset++) {
      const seq = seqAdd(this.next, offset);
      if (this.slotSeq[seq & this.mask] === seq) {
        this.lowestSeq = seq;
        return seq & this.mask;
      }
    }
    return -1;
  }

  /** Appends a held packet to the arrival ring (compacting it when full). */
  private recordArrival(seq: number, now: number): void {
    const size = this.arrivalSeq.length;
    if (this.arrivalCount === size) this.compactArrivals();
    const index = (this.arrivalHead + this.arrivalCount) % size;
    this.arrivalSeq[index] = seq;
    this.arrivalAt[index] = now;
    this.arrivalCount++;
  }

  /** Whether ring entry `index` is a packet still held (not released, not replaced). */
  private isWaiting(index: number): boolean {
    const seq = this.arrivalSeq[index] ?? 0;
    const slot = seq & this.mask;
    return this.slotSeq[slot] === seq && this.arrivedAt[slot] === this.arrivalAt[index];
  }

  /** The ring index of the held packet that arrived first, or -1 (drops released entries). */
  private longestWaiting(): number {
    const size = this.arrivalSeq.length;
    while (this.arrivalCount > 0) {
      if (this.isWaiting(this.arrivalHead)) return this.arrivalHead;
      this.arrivalHead = (this.arrivalHead + 1) % size;
      this.arrivalCount--;
    }
    return -1;
  }

  /** Keeps only the entries of packets still held (at most `size`: half the ring). */
  private compactArrivals(): void {
    const size = this.arrivalSeq.length;
    let kept = 0;
    for (let offset = 0; offset < this.arrivalCount; offset++) {
      const index = (this.arrivalHead + offset) % size;
      if (!this.isWaiting(index)) continue;
      const to = (this.arrivalHead + kept) % size;
      this.arrivalSeq[to] = this.arrivalSeq[index] ?? 0;
      this.arrivalAt[to] = this.arrivalAt[index] ?? 0;
      kept++;
    }
    this.arrivalCount = kept;
  }

  private isGivenUp(seq: number): boolean {
    const bit = seq & (GIVEN_UP_MEMORY - 1);
    return ((this.givenUp[bit >>> 3] ?? 0) & (1 << (bit & 7))) !== 0;
  }

  private setGivenUp(seq: number, value: boolean): void {
    const bit = seq & (GIVEN_UP_MEMORY - 1);
    const byte = this.givenUp[bit >>> 3] ?? 0;
    this.givenUp[bit >>> 3] = value ? byte | (1 << (bit & 7)) : byte & ~(1 << (bit & 7));
  }

  /** A new stream: release everything held, in order, then continue from `seq`. */
  private restartAt(seq: number): void {
    this.jumps++;
    if (this.held > 0) this.releaseBefore(seqAdd(this.highest, 1));
    this.givenUp.fill(0);
    this.arrivalCount = 0;
    this.startupUntil = undefined;
    this.next = seq;
  }
}

function clampHold(raw: number, max: number): number {
  if (!Number.isFinite(raw)) return max;
  return Math.min(max, Math.max(MIN_HOLD_MS, raw));
}

/** A forward-path factory that puts each group's data back in order (see {@link ReorderEngine}). */
export function createReorderForwardPath(options: ReorderOptions): ForwardPathFactory {
  return (emit, group) => new ReorderEngine(options, emit, group);
}
