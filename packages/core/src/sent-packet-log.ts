/**
 * Which link carried each SRT data packet the sender forwarded, and when (protocol.md 6.1): the
 * bookkeeping behind in-flight counts and the attribution of SRTLA ACKs and SRT NAKs.
 *
 * A ring indexed by `seq & mask`, so memory is fixed: a packet still unacknowledged when its slot is
 * needed again ({@link SentPacketLog.capacity} packets later) is evicted and counted. Sequence
 * numbers are compared only through @bond/wire's wrap-aware helpers.
 */
import { seqAdd, seqDistance } from '@bond/wire';

/** No packet in the slot. */
const EMPTY = -1;

export interface SentPacketLogOwner {
  /** Called when a packet leaves the log unacknowledged (evicted or cleared by an SRT ACK). */
  onRemoved(linkIndex: number, seq: number, acknowledged: boolean): void;
}

export class SentPacketLog {
  readonly capacity: number;
  private readonly mask: number;
  private readonly seqs: Int32Array;
  private readonly links: Int32Array;
  private readonly sentAt: Float64Array;
  /** The seq each slot's `sentAt`/`stampLinks` describe: kept after acknowledgement. */
  private readonly stampSeqs: Int32Array;
  private readonly stampLinks: Int32Array;
  /** How many times the stamped seq was sent (saturating at 255). */
  private readonly stampCopies: Uint8Array;
  /** The oldest seq that may still be in the log; SRT ACKs clear from here. */
  private cursor: number | undefined;
  evicted = 0;

  /** `capacity` is rounded up to a power of two (default 65536: 87 MB/s of 1316-byte packets for one second). */
  constructor(capacity = 65536) {
    let size = 1;
    while (size < capacity) size *= 2;
    this.capacity = size;
    this.mask = size - 1;
    this.seqs = new Int32Array(size).fill(EMPTY);
    this.links = new Int32Array(size);
    this.sentAt = new Float64Array(size);
    this.stampSeqs = new Int32Array(size).fill(EMPTY);
    this.stampLinks = new Int32Array(size);
    this.stampCopies = new Uint8Array(size);
  }

  /**
   * Records that `seq` left on `linkIndex` at `now`. Returns the link index that previously held the
   * same seq (a retransmission on another link), or -1.
   */
  record(seq: number, linkIndex: number, now: number, owner: SentPacketLogOwner): number {
    const slot = seq & this.mask;
    const previousSeq = this.seqs[slot] ?? EMPTY;
    let previousLink = -1;
    if (previousSeq !== EMPTY) {
      const holder = this.links[slot] ?? -1;
      if (previousSeq === seq) previousLink = holder;
      else this.evicted++;
      owner.onRemoved(holder, previousSeq, false);
    }
    this.seqs[slot] = seq;
    this.links[slot] = linkIndex;
    this.sentAt[slot] = now;
    this.stampCopies[slot] =
      this.stampSeqs[slot] === seq ? Math.min(255, (this.stampCopies[slot] ?? 0) + 1) : 1;
    this.stampSeqs[slot] = seq;
    this.stampLinks[slot] = linkIndex;
    if (this.cursor === undefined || seqDistance(this.cursor, seq) < 0) {
      // First packet, a retransmission of a seq before the cursor, or a new stream: start here.
      this.cursor = seq;
    } else if (seqDistance(this.cursor, seq) >= this.capacity) {
      // Slots older than one ring behind `seq` have been reused; nothing to clear before this.
      this.cursor = seqAdd(seq, 1 - this.capacity);
    }
    return previousLink;
  }

  /** The link that carried `seq`, or -1 if the log no longer holds it. */
  linkOf(seq: number): number {
    const slot = seq & this.mask;
    return this.seqs[slot] === seq ? (this.links[slot] ?? -1) : -1;
  }

  /**
   * When `seq` was last sent, or undefined: known even after it was acknowledged, until its slot is
   * reused a ring later.
   */
  sentTimeOf(seq: number): number | undefined {
    const slot = seq & this.mask;
    return this.stampSeqs[slot] === seq ? this.sentAt[slot] : undefined;
  }

  /**
   * Whether `seq` was sent more than once. Its send time is then the latest copy's, while an
   * acknowledgement may be for an earlier one: no delay sample can be taken from it (Karn).
   */
  retransmitted(seq: number): boolean {
    const slot = seq & this.mask;
    return this.stampSeqs[slot] === seq && (this.stampCopies[slot] ?? 0) > 1;
  }

  /** The link that last sent `seq` (even if acknowledged since), or -1. */
  carrierOf(seq: number): number {
    const slot = seq & this.mask;
    return this.stampSeqs[slot] === seq ? (this.stampLinks[slot] ?? -1) : -1;
  }

  /** Removes `seq` if `linkIndex` carried it; returns whether it did. */
  acknowledge(seq: number, linkIndex: number, owner: SentPacketLogOwner): boolean {
    const slot = seq & this.mask;
    if (this.seqs[slot] !== seq || this.links[slot] !== linkIndex) return false;
    this.seqs[slot] = EMPTY;
    owner.onRemoved(linkIndex, seq, true);
    return true;
  }

  /**
   * An SRT ACK: every seq strictly before `ackSeq` has arrived. Clears them from the log (amortised
   * O(1): from the cursor forward, at most `capacity` slots).
   */
  acknowledgeBefore(ackSeq: number, owner: SentPacketLogOwner): void {
    if (this.cursor === undefined) return;
    let span = seqDistance(this.cursor, ackSeq);
    if (span <= 0) return;
    if (span > this.capacity) span = this.capacity;
    for (let index = 0; index < span; index++) {
      const seq = seqAdd(this.cursor, index);
      const slot = seq & this.mask;
      if (this.seqs[slot] === seq) {
        this.seqs[slot] = EMPTY;
        owner.onRemoved(this.links[slot] ?? -1, seq, true);
      }
    }
    this.cursor = ackSeq;
  }

  /** Forgets every packet `linkIndex` carried (the link was removed or re-registers). */
  forgetLink(linkIndex: number, owner: SentPacketLogOwner): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      const seq = this.seqs[slot] ?? EMPTY;
      if (seq !== EMPTY && this.links[slot] === linkIndex) {
        this.seqs[slot] = EMPTY;
        owner.onRemoved(linkIndex, seq, false);
      }
    }
  }
}
