/**
 * Stand-ins for the SRT endpoints around bond: an encoder (SRT caller) that emits data packets at
 * a fixed rate and retransmits what the listener NAKs, and a listener that counts what arrives,
 * acknowledges every 10 ms like SRT, and NAKs gaps once they are older than a reorder tolerance
 * (SRT's `lossmaxttl`).
 */
import {
  SRT_CONTROL,
  encodeSrtAck,
  encodeSrtData,
  encodeSrtNak,
  expandLossList,
  decodeSrtNak,
  peekSrtAckSeq,
  peekSrtControlType,
  peekSrtDataSeq,
  peekSrtTimestamp,
  seqAdd,
  seqDistance,
  type SeqRange,
  peekSrtRetransmitted,
} from '@bond/wire';

/** 1316: 7 MPEG-TS packets, the usual SRT payload (protocol.md 3). */
export const PAYLOAD_BYTES = 1316;

export interface EncoderConfig {
  /** Data packets per second. */
  readonly packetsPerSecond: number;
  /** First sequence number (start near 0x7FFFFFFF to cross the wrap). */
  readonly startSeq?: number;
  /** Retransmit NAKed packets (R flag set). Default true. */
  readonly retransmit?: boolean;
  /** SRT latency: packets older than this are not retransmitted (too late to play). Default 1000. */
  readonly latencyMs?: number;
  /**
   * Packets sent together at each tick (an encoder's output read in batches, or an I-frame's
   * burst), the ticks spaced to keep `packetsPerSecond`. Default 1.
   */
  readonly batch?: number;
}

/** 65536: how many recent seqs the encoder remembers the first send time of. */
const ORIGINS_SIZE = 65536;

/** A packet is retransmitted at most once per this many ms, however often it is NAKed. */
const RETRANSMIT_HOLDOFF_MS = 250;

export class EncoderStandIn {
  nextSeq: number;
  readonly firstSeq: number;
  sent = 0;
  retransmitted = 0;
  acksReceived = 0;
  naksReceived = 0;
  lastAckSeq: number | undefined;
  private readonly payload = new Uint8Array(PAYLOAD_BYTES);
  private readonly lastRetransmitAt = new Map<number, number>();
  private messageNumber = 1;
  /** When each of the last ORIGINS_SIZE seqs was first sent: a retransmission keeps that time. */
  private readonly originSeqs = new Int32Array(ORIGINS_SIZE).fill(-1);
  private readonly originTimes = new Float64Array(ORIGINS_SIZE);

  constructor(readonly config: EncoderConfig) {
    this.firstSeq = config.startSeq ?? 1000;
    this.nextSeq = this.firstSeq;
  }

  /** The next data packet, stamped with `now` (µs since start, as SRT does). */
  nextPacket(now: number): Uint8Array {
    const seq = this.nextSeq;
    this.nextSeq = seqAdd(seq, 1);
    this.sent++;
    this.originSeqs[seq & (ORIGINS_SIZE - 1)] = seq;
    this.originTimes[seq & (ORIGINS_SIZE - 1)] = now;
    return this.packet(now, seq, false);
  }

  /**
   * Data packet `seq`. Like SRT, a retransmission carries the timestamp of the original (its
   * source time, which the listener's delay and latency are measured from), when it is known.
   */
  packet(now: number, seq: number, retransmitted: boolean): Uint8Array {
    const slot = seq & (ORIGINS_SIZE - 1);
    const origin = retransmitted && this.originSeqs[slot] === seq ? this.originTimes[slot] : now;
    return encodeSrtData(
      {
        seq,
        packetPosition: 3,
        inOrder: false,
        encryptionKey: 0,
        retransmitted,
        messageNumber: this.messageNumber++ & 0x3ffffff,
        timestamp: Math.round((origin ?? now) * 1000) >>> 0,
        destinationSocketId: 0x1234,
      },
      this.payload,
    );
  }

  /** Handles a datagram the sender forwarded back; returns retransmissions to send. */
  receive(now: number, bytes: Uint8Array): Uint8Array[] {
    const type = peekSrtControlType(bytes);
    if (type === SRT_CONTROL.ACK) {
      this.acksReceived++;
      const ack = peekSrtAckSeq(bytes);
      if (this.lastAckSeq === undefined || seqDistance(this.lastAckSeq, ack) > 0)
        this.lastAckSeq = ack;
      return [];
    }
    if (type !== SRT_CONTROL.NAK) return [];
    this.naksReceived++;
    if (this.config.retransmit === false) return [];
    const out: Uint8Array[] = [];
    const latencyMs = this.config.latencyMs ?? 1000;
    for (const seq of expandLossList(decodeSrtNak(bytes).ranges, 1000)) {
      // Only packets that were sent, not yet acknowledged, and not too old to play.
      const age = seqDistance(seq, this.nextSeq);
      if (age <= 0 || (age * 1000) / this.config.packetsPerSecond > latencyMs) continue;
      if (this.lastAckSeq !== undefined && seqDistance(this.lastAckSeq, seq) < 0) continue;
      const last = this.lastRetransmitAt.get(seq);
      if (last !== undefined && now - last < RETRANSMIT_HOLDOFF_MS) continue;
      this.lastRetransmitAt.set(seq, now);
      this.retransmitted++;
      out.push(this.packet(now, seq, true));
    }
    if (this.lastRetransmitAt.size > 20_000) this.lastRetransmitAt.clear();
    return out;
  }
}

export interface ListenerConfig {
  /** Reorder tolerance in packets before a gap is NAKed (SRT's lossmaxttl). Default 40. */
  readonly lossMaxTtl?: number;
  /** SRT latency: a packet still missing this long after its gap was seen is given up. Default 1000. */
  readonly latencyMs?: number;
  /** A missing packet is NAKed again at most this often. Default 100. */
  readonly renakMs?: number;
  /**
   * Whether the listener sends SRT ACKs and NAKs at all. Default true; false plays a listener
   * whose feedback never reaches the sender (the balancer then has SRTLA ACKs and keepalives only).
   */
  readonly feedback?: boolean;
}

interface Missing {
  detectedAt: number;
  lastNakAt: number;
}

/** 4096: the most missing packets the listener tracks (and one NAK reports). */
const MAX_MISSING = 4096;

export class ListenerStandIn {
  /** Unique data packets received. */
  delivered = 0;
  duplicates = 0;
  received = 0;
  /** Data packets that arrived after a higher sequence number (what SRT sees as reordering). */
  outOfOrder = 0;
  /** Packets that arrived after they had been given up on: dropped, as SRT does. */
  arrivedTooLate = 0;
  /** Packets given up on (missing for longer than the latency), as SRT's too-late drop does. */
  tooLate = 0;
  /** Every unique sequence number received (tests compare with what was sent). */
  readonly seen = new Set<number>();
  private nextExpected: number | undefined;
  private highest: number | undefined;
  private readonly missing = new Map<number, Missing>();
  private ackNumber = 1;
  naksSent = 0;
  acksSent = 0;
  private lastAckSent: number | undefined;
  private readonly lossMaxTtl: number;
  private readonly latencyMs: number;
  private readonly renakMs: number;
  private readonly feedback: boolean;

  constructor(config: ListenerConfig = {}) {
    this.lossMaxTtl = config.lossMaxTtl ?? 40;
    this.latencyMs = config.latencyMs ?? 1000;
    this.renakMs = config.renakMs ?? 100;
    this.feedback = config.feedback ?? true;
  }

  /** One-way delays (ms) of unique data packets, encoder to listener, when recording. */
  readonly delays: number[] = [];
  /** Whether each of {@link delays} came with SRT's retransmitted flag, when recording. */
  readonly delaysRetransmitted: boolean[] = [];
  recordDelays = false;

  /** A datagram forwarded by the receiver, arriving at `now`. */
  receive(bytes: Uint8Array, now = 0): void {
    if (bytes.length < 16 || (bytes[0] ?? 0) & 0x80) return;
    const seq = peekSrtDataSeq(bytes);
    this.received++;
    if (this.seen.has(seq)) {
      this.duplicates++;
      return;
    }
    if (this.nextExpected !== undefined && seqDistance(this.nextExpected, seq) < 0) {
      // Already given up on (too late to play): SRT drops it.
      this.arrivedTooLate++;
      return;
    }
    if (this.recordDelays) {
      // The encoder stamps its send time in the SRT timestamp (us).
      const sentUs = peekSrtTimestamp(bytes);
      const nowUs = Math.round(now * 1000) >>> 0;
      this.delays.push(((nowUs - sentUs) >>> 0) / 1000);
      this.delaysRetransmitted.push(peekSrtRetransmitted(bytes));
    }
    this.seen.add(seq);
    this.missing.delete(seq);
    this.delivered++;
    this.nextExpected ??= seq;
    if (this.highest !== undefined && seqDistance(this.highest, seq) < 0) this.outOfOrder++;
    if (this.highest === undefined || seqDistance(this.highest, seq) > 0) this.highest = seq;
    this.advance();
  }

  private advance(): void {
    while (this.nextExpected !== undefined && this.seen.has(this.nextExpected)) {
      this.nextExpected = seqAdd(this.nextExpected, 1);
    }
  }

  /** The periodic ACK (every 10 ms in SRT), when there is something new to acknowledge. */
  ack(now: number): Uint8Array | undefined {
    this.dropTooLate(now);
    if (this.nextExpected === undefined || !this.feedback) return undefined;
    if (this.lastAckSent === this.nextExpected && this.ackNumber % 10 !== 0) {
      this.ackNumber++;
      return undefined;
    }
    this.lastAckSent = this.nextExpected;
    this.acksSent++;
    return encodeSrtAck({
      ackNumber: this.ackNumber++,
      timestamp: Math.round(now * 1000) >>> 0,
      destinationSocketId: 0x5678,
      ackSeq: this.nextExpected,
    });
  }

  /** Gives up on packets missing for longer than the latency, moving the ACK point past them. */
  private dropTooLate(now: number): void {
    for (let guard = 0; guard < MAX_MISSING && this.nextExpected !== undefined; guard++) {
      const entry = this.missing.get(this.nextExpected);
      if (entry === undefined || now - entry.detectedAt < this.latencyMs) return;
      this.missing.delete(this.nextExpected);
      this.tooLate++;
      this.nextExpected = seqAdd(this.nextExpected, 1);
      this.advance();
    }
  }

  /** A NAK for gaps older than the reorder tolerance, not NAKed in the last `renakMs`, or undefined. */
  nak(now: number): Uint8Array | undefined {
    if (this.nextExpected === undefined || this.highest === undefined || !this.feedback) {
      return undefined;
    }
    const ranges: SeqRange[] = [];
    const limit = seqAdd(this.highest, -this.lossMaxTtl);
    let seq = this.nextExpected;
    let start: number | undefined;
    const close = (end: number) => {
      if (start !== undefined) ranges.push({ first: start, last: end });
      start = undefined;
    };
    for (let guard = 0; guard < MAX_MISSING && seqDistance(seq, limit) > 0; guard++) {
      let due = false;
      if (!this.seen.has(seq)) {
        let entry = this.missing.get(seq);
        if (entry === undefined) {
          entry = { detectedAt: now, lastNakAt: -Infinity };
          this.missing.set(seq, entry);
        }
        if (now - entry.lastNakAt >= this.renakMs) {
          entry.lastNakAt = now;
          due = true;
        }
      }
      if (due) start ??= seq;
      else close(seqAdd(seq, -1));
      seq = seqAdd(seq, 1);
    }
    close(seqAdd(seq, -1));
    if (ranges.length === 0) return undefined;
    this.naksSent++;
    return encodeSrtNak({
      typeSpecific: 0,
      timestamp: Math.round(now * 1000) >>> 0,
      destinationSocketId: 0x5678,
      ranges,
    });
  }
}
