/**
 * What a group's SRT listener tells its sender, read as it passes through the receiver: the SRT
 * ACKs (RTT, receive rates, link capacity), the NAK loss lists, and the latency the listener
 * accepted in its handshake response. Only control packets from the listener are read (a few
 * hundred a second at most, never the data path); each is decoded by `@bond/wire`, and a malformed
 * one is counted and otherwise ignored.
 *
 * Losses are counted once per sequence number: a NAK range is counted only past the highest
 * sequence number reported lost before (SRT re-sends its loss list in periodic NAKs). A lost
 * packet whose retransmission never reached the receiver before the listener's ACK moved past it
 * is counted dropped (the listener gave up on it): an estimate of the listener's own drop count.
 */
import {
  SRT_CONTROL,
  SRT_HANDSHAKE_EXTENSION,
  SRT_HANDSHAKE_LENGTH,
  decodeSrtAck,
  decodeSrtNak,
  peekSrtAckSeq,
  seqAdd,
  seqDistance,
  SRT_LIGHT_ACK_LENGTH,
  type SrtAck,
} from '@bond/wire';
import { readSrtTsbpdDelays } from './srt-latency.js';

/** 8192: lost packets followed at once for the drop estimate; more are counted lost only. */
export const FEEDBACK_OUTSTANDING_LIMIT = 8192;

/** The figures as plain data (see {@link SrtFeedback}). */
export interface SrtFeedbackStats {
  /** Full ACKs (with RTT and rates), and light or small ACKs (without the rates) seen. */
  readonly fullAcks: number;
  readonly lightAcks: number;
  readonly naks: number;
  /** Control packets from the listener that did not decode (ignored). */
  readonly malformed: number;
  /** Time since the last ACK carrying an RTT, ms; undefined before one. */
  readonly lastRttAgoMs: number | undefined;
  /** The listener's smoothed RTT and its variance from its last ACK, us. */
  readonly rttUs: number | undefined;
  readonly rttVarianceUs: number | undefined;
  /** Free space in the listener's receive buffer, packets. */
  readonly availableBufferPackets: number | undefined;
  /**
   * The listener's receive speed, packets/s and bytes/s (full ACKs). libsrt takes it from the
   * median gap between recent arrivals: a burst speed, above the average rate of a paced stream.
   */
  readonly packetsReceivingRate: number | undefined;
  readonly receivingRateBytesPerSec: number | undefined;
  /** The listener's estimate of the path's capacity, packets/s (packet-pair probing). */
  readonly linkCapacityPacketsPerSec: number | undefined;
  /** Distinct sequence numbers the listener reported lost. */
  readonly lostPackets: number;
  /** Lost packets whose retransmission did not arrive before the listener's ACK passed them. */
  readonly droppedPackets: number;
  /** The receive latency (TSBPD delay) the listener answered in its handshake, ms. */
  readonly latencyMs: number | undefined;
}

export class SrtFeedback {
  fullAcks = 0;
  lightAcks = 0;
  naks = 0;
  malformed = 0;
  lostPackets = 0;
  droppedPackets = 0;
  latencyMs: number | undefined;
  private lastAck: SrtAck | undefined;
  private lastRttAt = -Infinity;
  /** The highest sequence number reported lost so far. */
  private highestLost: number | undefined;
  /** Lost sequence numbers not yet seen again (a retransmission) nor passed by an ACK. */
  private readonly outstanding = new Set<number>();

  /** A control packet from the listener, of control type `type` (`peekSrtControlType`). */
  fromListener(now: number, type: number, bytes: Uint8Array): void {
    try {
      if (type === SRT_CONTROL.ACK) this.onAck(now, bytes);
      else if (type === SRT_CONTROL.NAK) this.onNak(bytes);
      else if (type === SRT_CONTROL.HANDSHAKE && bytes.length > SRT_HANDSHAKE_LENGTH) {
        this.onHandshake(bytes);
      }
    } catch {
      // A WireDecodeError: the packet still goes to the sender; its figures are not used.
      this.malformed++;
    }
  }

  /** A data packet (first copy) went to the listener: a retransmission of a lost one arrived. */
  forwarded(seq: number): void {
    if (this.outstanding.size > 0) this.outstanding.delete(seq);
  }

  private onAck(now: number, bytes: Uint8Array): void {
    if (bytes.length < SRT_LIGHT_ACK_LENGTH) {
      this.malformed++;
      return;
    }
    const ackSeq = peekSrtAckSeq(bytes);
    const ack = decodeSrtAck(bytes);
    if (ack.rttUs === undefined) this.lightAcks++;
    else {
      if (ack.receivingRateBytesPerSec === undefined) this.lightAcks++;
      else this.fullAcks++;
      // A small ACK (up to the buffer size) keeps the last full ACK's rates.
      this.lastAck = { ...this.lastAck, ...ack };
      this.lastRttAt = now;
    }
    if (this.outstanding.size === 0) return;
    for (const seq of this.outstanding) {
      // Everything before ackSeq is delivered or given up: not retransmitted here means given up.
      if (seqDistance(seq, ackSeq) > 0) {
        this.outstanding.delete(seq);
        this.droppedPackets++;
      }
    }
  }

  private onNak(bytes: Uint8Array): void {
    const nak = decodeSrtNak(bytes);
    this.naks++;
    for (const range of nak.ranges) {
      let first = range.first;
      const highest = this.highestLost;
      if (highest !== undefined) {
        if (seqDistance(highest, range.last) <= 0) continue;
        if (seqDistance(highest, first) <= 0) first = seqAdd(highest, 1);
      }
      const count = seqDistance(first, range.last) + 1;
      this.lostPackets += count;
      this.highestLost = range.last;
      for (let index = 0; index < count; index++) {
        if (this.outstanding.size >= FEEDBACK_OUTSTANDING_LIMIT) break;
        this.outstanding.add(seqAdd(first, index));
      }
    }
  }

  private onHandshake(bytes: Uint8Array): void {
    // The extension blocks, walked by @bond/wire (a broken block throws: counted as malformed).
    const delays = readSrtTsbpdDelays(bytes);
    if (delays?.type !== SRT_HANDSHAKE_EXTENSION.HSRSP) return;
    this.latencyMs = delays.latencyMs;
    // A new SRT connection: its sequence numbers start afresh.
    this.highestLost = undefined;
    this.outstanding.clear();
  }

  stats(now: number): SrtFeedbackStats {
    const ack = this.lastAck;
    return {
      fullAcks: this.fullAcks,
      lightAcks: this.lightAcks,
      naks: this.naks,
      malformed: this.malformed,
      lastRttAgoMs: ack === undefined ? undefined : now - this.lastRttAt,
      rttUs: ack?.rttUs,
      rttVarianceUs: ack?.rttVarianceUs,
      availableBufferPackets: ack?.availableBufferPackets,
      packetsReceivingRate: ack?.packetsReceivingRate,
      receivingRateBytesPerSec: ack?.receivingRateBytesPerSec,
      linkCapacityPacketsPerSec: ack?.linkCapacityPacketsPerSec,
      lostPackets: this.lostPackets,
      droppedPackets: this.droppedPackets,
      latencyMs: this.latencyMs,
    };
  }
}
