/**
 * The reorder engine (architecture.md, "The three algorithms"): puts a group's SRT data back in
 * sequence before the SRT listener sees it, so reordering across links is not mistaken for loss.
 *
 * It holds a packet only while an earlier one may still arrive. The hold is `auto` (the measured
 * delay skew between the group's links plus a margin, capped), a fixed number of milliseconds, or
 * `off`. Packets older than the release point go through at once (SRT handles them); a duplicate
 * of a held packet is dropped (the receiver group's sequence window drops every other duplicate
 * before the forward path, see `seq-window.ts`, so each sequence number is pushed here at most
 * once while it is recent); memory is bounded in packets and bytes; the drain deadline is never derived from a
 * measurement of 0 (clamped to {@link MIN_HOLD_MS}); a sequence jump (a sender restart) releases
 * what is held, in order, and starts again from the new sequence.
 *
 * Held packets are copied: the bytes pushed in belong to the runtime's receive buffer.
 */
import { seqAdd, seqDistance } from '@bond/wire';
import type { ForwardPath, ForwardPathFactory } from './forward-path.js';

/** 1 ms: the shortest hold ever derived, so a skew of 0 can never mean "never drain". */
export const MIN_HOLD_MS = 1;
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
}

export interface ReorderStats {
  readonly mode: string;
  readonly holdMs: number;
  readonly held: number;
  readonly heldBytes: number;
  readonly released: number;
  /** Packets held and then released in order (ahead of a gap, or at the start of a stream). */
  readonly reordered: number;
  /** Sequence numbers given up on when the hold ran out (SRT will NAK or drop them). */
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
  private readonly capacity: number;
  private readonly mask: number;
  private readonly slots: (Uint8Array | undefined)[];
  private readonly slotSeq: Int32Array;
  private readonly arrivedAt: Float64Array;
  /** The next sequence number to release; undefined before the first packet. */
  private next: number | undefined;
  /** Highest sequence number held (the end of the window), valid while `held > 0`. */
  private highest = 0;
  private held = 0;
  private heldBytes = 0;
  /** While set, the stream has just started: nothing is released before this time. */
  private startupUntil: number | undefined;
  /** The hold computed at the latest `push` or `handleTimeout`, ms: what `pollTimeout` uses. */
  private hold = 0;
  /** Cached sequence number of the oldest held packet; undefined when it must be searched. */
  private oldestSeq: number | undefined;

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
    this.mask = size - 1;
    this.slots = new Array<Uint8Array | undefined>(size).fill(undefined);
    this.slotSeq = new Int32Array(size).fill(-1);
    this.arrivedAt = new Float64Array(size);
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
    this.hold = this.holdMs(now);
    if (this.next === undefined) {
      // The first packet of a stream: hold it, so that earlier ones still in flight on slower
      // links can move the release point back instead of arriving "late".
      this.next = seq;
      this.startupUntil = now + this.hold;
      this.store(now, bytes, seq);
      return;
    }
    const distance = seqDistance(this.next, seq);
    if (this.startupUntil !== undefined && distance < 0 && -distance < this.capacity >>> 1) {
      this.next = seq;
      this.store(now, bytes, seq);
      return;
    }
    if (distance < 0) {
      if (-distance > REORDER_JUMP) {
        this.restartAt(seq);
        this.releaseNow(bytes, seq);
        return;
      }
      this.late++;
      this.released++;
      this.emit(bytes);
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
    // Ahead of a gap: hold it, unless the window would outgrow the buffer.
    while (distance >= this.capacity || this.heldBytes + bytes.length > this.maxBytes) {
      if (this.held === 0 && distance >= this.capacity) {
        // Nothing held and the gap alone is wider than the buffer: give up on the gap.
        this.skipped += distance;
        this.next = seq;
        this.overflows++;
        this.releaseNow(bytes, seq);
        this.drainInOrder();
        return;
      }
      this.overflows++;
      this.startupUntil = undefined;
      this.skipToOldestHeld();
      if (
        seqDistance(this.next, seq) < this.capacity &&
        this.heldBytes + bytes.length <= this.maxBytes
      ) {
        break;
      }
    }
    this.store(now, bytes, seq);
  }

  /** Holds a copy of `bytes` (a duplicate of a held packet is dropped). */
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
    if (this.oldestSeq !== undefined && seqDistance(this.oldestSeq, seq) < 0) this.oldestSeq = seq;
    if (this.held === 0) this.oldestSeq = seq;
    this.held++;
    this.heldBytes += bytes.length;
  }

  handleTimeout(now: number): void {
    if (this.startupUntil !== undefined) {
      if (now < this.startupUntil) return;
      this.startupUntil = undefined;
      this.drainInOrder();
    }
    const hold = this.holdMs(now);
    this.hold = hold;
    for (let guard = 0; guard <= this.capacity && this.held > 0; guard++) {
      const oldest = this.oldestHeldSlot();
      if (oldest < 0 || now < (this.arrivedAt[oldest] ?? 0) + hold) return;
      this.skipToOldestHeld();
    }
  }

  pollTimeout(): number | undefined {
    if (this.startupUntil !== undefined) return this.startupUntil;
    if (this.held === 0) return undefined;
    const oldest = this.oldestHeldSlot();
    if (oldest < 0) return undefined;
    return (this.arrivedAt[oldest] ?? 0) + this.hold;
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

  private releaseNow(bytes: Uint8Array, seq: number): void {
    if (this.oldestSeq === seq) this.oldestSeq = undefined;
    this.released++;
    this.next = seqAdd(seq, 1);
    this.emit(bytes);
  }

  /** Releases held packets from `next` while they are consecutive. */
  private drainInOrder(): void {
    for (
      let guard = 0;
      guard < this.capacity && this.held > 0 && this.next !== undefined;
      guard++
    ) {
      const slot = this.next & this.mask;
      if (this.slotSeq[slot] !== this.next) return;
      const bytes = this.slots[slot];
      this.slots[slot] = undefined;
      this.slotSeq[slot] = -1;
      this.held--;
      if (bytes === undefined) continue;
      this.heldBytes -= bytes.length;
      this.reordered++;
      this.releaseNow(bytes, this.next);
    }
  }

  /** The slot of the lowest held sequence number, or -1. */
  private oldestHeldSlot(): number {
    if (this.next === undefined || this.held === 0) return -1;
    const cached = this.oldestSeq;
    if (cached !== undefined && this.slotSeq[cached & this.mask] === cached)
      return cached & this.mask;
    const span = seqDistance(this.next, this.highest);
    for (let offset = 0; offset <= span && offset < this.capacity; offset++) {
      const seq = seqAdd(this.next, offset);
      if (this.slotSeq[seq & this.mask] === seq) {
        this.oldestSeq = seq;
        return seq & this.mask;
      }
    }
    return -1;
  }

  /** Gives up on the gap before the oldest held packet and releases from there. */
  private skipToOldestHeld(): void {
    const slot = this.oldestHeldSlot();
    if (slot < 0 || this.next === undefined) return;
    const seq = this.slotSeq[slot] ?? 0;
    this.skipped += seqDistance(this.next, seq);
    this.next = seq;
    this.drainInOrder();
  }

  /** A new stream: release everything held, in order, then continue from `seq`. */
  private restartAt(seq: number): void {
    this.jumps++;
    for (let guard = 0; guard <= this.capacity && this.held > 0; guard++) this.skipToOldestHeld();
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
