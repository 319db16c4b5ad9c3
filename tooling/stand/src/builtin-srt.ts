/**
 * A built-in SRT-like source and sink, for machines without `srt-live-transmit`: enough of SRT's
 * live mode for bond to carry it the way it carries real SRT.
 *
 * * The source (caller side) sends SRT data packets with consecutive sequence numbers to
 *   bond-sender, keeps what it sent for `latencyMs`, retransmits what a NAK names (R flag set) and
 *   forgets what an ACK covers.
 * * The sink (listener side) answers handshakes (so bond-receiver's listener probe sees a
 *   listener), delivers payloads in sequence order, NAKs gaps at once and again every
 *   {@link RENAK_MS} while they stay open, sends a full ACK every {@link ACK_INTERVAL_MS}, and gives
 *   up on a gap after `latencyMs` (counted as dropped, as SRT's too-late drop does).
 *
 * No congestion control, no encryption, no TSBPD pacing: payloads leave the sink as soon as they
 * are in order, so the delay measured is the path's.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { bindLoopback, closeQuietly } from './udp.js';
import { performance } from 'node:perf_hooks';
import {
  SRT_CONTROL,
  SRT_HANDSHAKE_TYPE,
  decodeSrtDataHeader,
  decodeSrtHandshake,
  decodeSrtNak,
  encodeSrtAck,
  encodeSrtData,
  encodeSrtHandshake,
  encodeSrtNak,
  forEachLostSeq,
  isSrtControl,
  isSrtData,
  peekSrtAckSeq,
  peekSrtControlType,
  seqAdd,
  seqCompare,
  seqDistance,
  type SeqRange,
} from '@bond/wire';

/** 10 ms: SRT's full-ACK period. */
export const ACK_INTERVAL_MS = 10;
/** 100 ms: how often a gap still open is NAKed again. */
export const RENAK_MS = 100;
/** 100 ms: the least time between two sends of one packet (a NAK repeated before the first
 * retransmission could arrive does not send it again), as SRT suppresses repeated retransmits. */
export const RETRANSMIT_GAP_MS = 100;
/** 8192 packets: the most the sink holds while waiting for a gap (SRT's default flow window). */
const RECEIVE_WINDOW = 8192;
/** 2^31 - 1: SRT's highest message number. */
const MESSAGE_NUMBER_MAX = 0x3ff_ffff;

export interface BuiltinSourceStats {
  readonly packetsSent: number;
  readonly packetsRetransmitted: number;
  readonly naksReceived: number;
  /** NAKed packets no longer kept (older than the latency): not sent again. */
  readonly retransmitsMissed: number;
}

export interface BuiltinSinkStats {
  readonly packetsReceived: number;
  readonly packetsDelivered: number;
  readonly packetsDuplicate: number;
  /** Sequence numbers given up on after the latency (a gap never filled). */
  readonly packetsDropped: number;
  /** Retransmissions that arrived (R flag). */
  readonly packetsRetransmitted: number;
  readonly naksSent: number;
  readonly handshakesAnswered: number;
}

/** The SRT-like caller: sends payloads to `target` (bond-sender's SRT port). */
export class BuiltinSource {
  private readonly kept = new Map<
    number,
    { bytes: Uint8Array; sentAt: number; lastSentAt: number }
  >();
  private nextSeq: number;
  private messageNumber = 1;
  private oldestKept: number;
  private readonly origin = performance.now();
  private packetsSent = 0;
  private packetsRetransmitted = 0;
  private naksReceived = 0;
  private retransmitsMissed = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly target: number,
    private readonly latencyMs: number,
    firstSeq: number,
  ) {
    this.nextSeq = firstSeq;
    this.oldestKept = firstSeq;
    socket.on('message', (message: Buffer) => {
      this.onControl(message);
    });
    socket.on('error', () => undefined);
  }

  static async open(target: number, latencyMs: number, firstSeq = 1): Promise<BuiltinSource> {
    const socket = createSocket('udp4');
    await bindLoopback(socket, 0);
    return new BuiltinSource(socket, target, latencyMs, firstSeq);
  }

  send(payload: Uint8Array): void {
    const now = performance.now();
    const seq = this.nextSeq;
    this.nextSeq = seqAdd(seq, 1);
    const bytes = encodeSrtData(
      {
        seq,
        packetPosition: 3,
        inOrder: false,
        encryptionKey: 0,
        retransmitted: false,
        messageNumber: this.messageNumber,
        timestamp: this.timestamp(now),
        destinationSocketId: 0,
      },
      payload,
    );
    this.messageNumber = this.messageNumber >= MESSAGE_NUMBER_MAX ? 1 : this.messageNumber + 1;
    this.kept.set(seq, { bytes, sentAt: now, lastSentAt: now });
    this.expire(now);
    this.packetsSent++;
    this.socket.send(bytes, this.target, '127.0.0.1');
  }

  stats(): BuiltinSourceStats {
    return {
      packetsSent: this.packetsSent,
      packetsRetransmitted: this.packetsRetransmitted,
      naksReceived: this.naksReceived,
      retransmitsMissed: this.retransmitsMissed,
    };
  }

  close(): Promise<void> {
    return closeQuietly(this.socket);
  }

  private timestamp(now: number): number {
    return Math.floor((now - this.origin) * 1000) >>> 0;
  }

  /** Forgets packets older than the latency: a NAK for them comes too late to help. */
  private expire(now: number): void {
    while (this.kept.size > 0) {
      const entry = this.kept.get(this.oldestKept);
      if (entry !== undefined && now - entry.sentAt <= this.latencyMs) return;
      this.kept.delete(this.oldestKept);
      this.oldestKept = seqAdd(this.oldestKept, 1);
    }
    this.oldestKept = this.nextSeq;
  }

  private onControl(message: Buffer): void {
    if (!isSrtControl(message)) return;
    try {
      const type = peekSrtControlType(message);
      if (type === SRT_CONTROL.ACK) {
        const acked = peekSrtAckSeq(message);
        // Everything before the ACK arrived: no need to keep it.
        while (this.kept.size > 0 && seqCompare(this.oldestKept, acked) < 0) {
          this.kept.delete(this.oldestKept);
          this.oldestKept = seqAdd(this.oldestKept, 1);
        }
      } else if (type === SRT_CONTROL.NAK) {
        this.naksReceived++;
        forEachLostSeq(decodeSrtNak(message).ranges, (seq) => {
          this.retransmit(seq);
        });
      }
    } catch {
      // Not a control packet we understand: ignored, as SRT ignores it.
    }
  }

  private retransmit(seq: number): void {
    const entry = this.kept.get(seq);
    if (entry === undefined) {
      this.retransmitsMissed++;
      return;
    }
    const now = performance.now();
    if (now - entry.lastSentAt < RETRANSMIT_GAP_MS) return;
    entry.lastSentAt = now;
    // The R flag: byte 4, bit 0x04 of a data packet.
    const bytes = Uint8Array.from(entry.bytes);
    bytes[4] = (bytes[4] ?? 0) | 0x04;
    this.packetsRetransmitted++;
    this.socket.send(bytes, this.target, '127.0.0.1');
  }
}

/** The SRT-like listener: bond-receiver forwards here; `deliver` gets payloads in order. */
export class BuiltinSink {
  private readonly held = new Map<number, Uint8Array>();
  /** Missing sequence numbers: when they were first missed and last NAKed. */
  private readonly missing = new Map<number, { since: number; nakedAt: number }>();
  private nextSeq: number | undefined;
  /** The highest sequence number received: every one below it is held, missing or delivered. */
  private highest: number | undefined;
  private peer: RemoteInfo | undefined;
  private ackNumber = 1;
  private readonly timer: NodeJS.Timeout;
  private readonly origin = performance.now();
  private packetsReceived = 0;
  private packetsDelivered = 0;
  private packetsDuplicate = 0;
  private packetsDropped = 0;
  private packetsRetransmitted = 0;
  private naksSent = 0;
  private handshakesAnswered = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly latencyMs: number,
    private readonly deliver: (payload: Uint8Array) => void,
  ) {
    socket.on('message', (message: Buffer, from: RemoteInfo) => {
      this.onDatagram(message, from);
    });
    socket.on('error', () => undefined);
    this.timer = setInterval(() => {
      this.tick(performance.now());
    }, ACK_INTERVAL_MS);
  }

  static async open(
    port: number,
    latencyMs: number,
    deliver: (payload: Uint8Array) => void,
  ): Promise<BuiltinSink> {
    const socket = createSocket('udp4');
    await bindLoopback(socket, port);
    return new BuiltinSink(socket, latencyMs, deliver);
  }

  get port(): number {
    return this.socket.address().port;
  }

  stats(): BuiltinSinkStats {
    return {
      packetsReceived: this.packetsReceived,
      packetsDelivered: this.packetsDelivered,
      packetsDuplicate: this.packetsDuplicate,
      packetsDropped: this.packetsDropped,
      packetsRetransmitted: this.packetsRetransmitted,
      naksSent: this.naksSent,
      handshakesAnswered: this.handshakesAnswered,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await closeQuietly(this.socket);
  }

  private timestamp(): number {
    return Math.floor((performance.now() - this.origin) * 1000) >>> 0;
  }

  private onDatagram(message: Buffer, from: RemoteInfo): void {
    try {
      if (isSrtData(message)) this.onData(message, from);
      else if (isSrtControl(message) && peekSrtControlType(message) === SRT_CONTROL.HANDSHAKE)
        this.onHandshake(message, from);
    } catch {
      // Malformed: dropped, as a real listener drops it.
    }
  }

  private onHandshake(message: Buffer, from: RemoteInfo): void {
    const request = decodeSrtHandshake(message);
    const reply = encodeSrtHandshake({
      ...request,
      version: 5,
      handshakeType:
        request.handshakeType === SRT_HANDSHAKE_TYPE.INDUCTION
          ? SRT_HANDSHAKE_TYPE.INDUCTION
          : SRT_HANDSHAKE_TYPE.CONCLUSION,
      cookie: 0x6f6e_6421,
      destinationSocketId: request.socketId,
      socketId: 0x626f_6e64,
      timestamp: this.timestamp(),
    });
    this.handshakesAnswered++;
    this.socket.send(reply, from.port, from.address);
  }

  private onData(message: Buffer, from: RemoteInfo): void {
    this.packetsReceived++;
    // Replies go where data last came from (a restarted receiver comes from a new port).
    this.peer = from;
    const header = decodeSrtDataHeader(message);
    if (header.retransmitted) this.packetsRetransmitted++;
    const payload = message.subarray(16);
    const seq = header.seq;
    const now = performance.now();
    this.nextSeq ??= seq;
    const ahead = seqDistance(this.nextSeq, seq);
    if (ahead < 0 || this.held.has(seq)) {
      this.packetsDuplicate++;
      return;
    }
    if (ahead >= RECEIVE_WINDOW) {
      // A jump far beyond the window (the source restarted): start over from here.
      this.packetsDropped += this.missing.size;
      this.missing.clear();
      this.held.clear();
      this.nextSeq = seq;
      this.highest = undefined;
    }
    this.missing.delete(seq);
    this.held.set(seq, payload);
    // Newly seen gaps (only above the highest seen: below it every gap is known) are NAKed at once.
    const firstNew =
      this.highest === undefined || seqCompare(this.highest, this.nextSeq) < 0
        ? this.nextSeq
        : seqAdd(this.highest, 1);
    if (this.highest === undefined || seqCompare(seq, this.highest) > 0) this.highest = seq;
    const gaps: SeqRange[] = [];
    for (let s = firstNew; seqCompare(s, seq) < 0; s = seqAdd(s, 1)) {
      if (this.held.has(s) || this.missing.has(s)) continue;
      this.missing.set(s, { since: now, nakedAt: now });
      const last = gaps.at(-1);
      if (last !== undefined && seqAdd(last.last, 1) === s)
        gaps[gaps.length - 1] = { ...last, last: s };
      else gaps.push({ first: s, last: s });
    }
    if (gaps.length > 0) this.nak(gaps);
    this.release();
  }

  /** Delivers every payload now in order. */
  private release(): void {
    let next = this.nextSeq;
    if (next === undefined) return;
    for (;;) {
      const payload = this.held.get(next);
      if (payload === undefined) break;
      this.held.delete(next);
      this.packetsDelivered++;
      this.deliver(payload);
      next = seqAdd(next, 1);
    }
    this.nextSeq = next;
  }

  private tick(now: number): void {
    if (this.peer === undefined || this.nextSeq === undefined) return;
    // Gaps open longer than the latency are given up: the next held packet goes out.
    while (this.missing.size > 0 && !this.held.has(this.nextSeq)) {
      const gap = this.missing.get(this.nextSeq);
      if (gap === undefined || now - gap.since < this.latencyMs) break;
      this.missing.delete(this.nextSeq);
      this.packetsDropped++;
      this.nextSeq = seqAdd(this.nextSeq, 1);
      this.release();
    }
    const renak: SeqRange[] = [];
    for (const [seq, gap] of this.missing) {
      if (now - gap.nakedAt < RENAK_MS) continue;
      gap.nakedAt = now;
      renak.push({ first: seq, last: seq });
      if (renak.length >= 64) break;
    }
    if (renak.length > 0) this.nak(renak);
    this.ack();
  }

  private ack(): void {
    if (this.peer === undefined || this.nextSeq === undefined) return;
    const ack = encodeSrtAck({
      ackNumber: this.ackNumber,
      timestamp: this.timestamp(),
      destinationSocketId: 0,
      ackSeq: this.nextSeq,
      rttUs: 100_000,
      rttVarianceUs: 50_000,
      availableBufferPackets: RECEIVE_WINDOW - this.held.size,
      packetsReceivingRate: 0,
      linkCapacityPacketsPerSec: 0,
      receivingRateBytesPerSec: 0,
    });
    this.ackNumber = (this.ackNumber + 1) & 0x7fff_ffff || 1;
    this.socket.send(ack, this.peer.port, this.peer.address);
  }

  private nak(ranges: readonly SeqRange[]): void {
    if (this.peer === undefined) return;
    this.naksSent++;
    const nak = encodeSrtNak({
      typeSpecific: 0,
      timestamp: this.timestamp(),
      destinationSocketId: 0,
      ranges,
    });
    this.socket.send(nak, this.peer.port, this.peer.address);
  }
}
