/**
 * The sender's data path (protocol.md 6.1, 6.2): encoder datagrams out on the link the scheduler
 * picks, with each data packet's seq, link and send time in the sent-packet log; SRTLA ACKs and
 * SRT ACKs and NAKs accounted to the links that carried the packets; SRT traffic from the
 * receiver back to the encoder. The hot path: nothing allocated per packet.
 *
 * **Deferred data.** New data the scheduler refuses under overload (every link's queue over the
 * budget) is not dropped at once: a copy waits here (at most {@link DEFERRED_CAPACITY} packets)
 * and is offered again, oldest first and before the next encoder data packet, as a repair (sent
 * like a retransmission: where it arrives soonest, only on a link that would not queue it beyond
 * its delay target, and only if it can still arrive within the SRT latency). A refused packet's
 * retransmission otherwise comes only after the listener noticed the gap and NAKed it: on the
 * quality benchmark's cellular traces 650 ms after the drop with a 1 s latency, too late for most
 * (docs/performance.md, section 4). A copy is dropped when its age passes the latency, when the
 * encoder retransmits that packet itself, or when the buffer is full; only then does it count in
 * `droppedOverload`.
 */
import {
  DatagramKind,
  SRT_CONTROL,
  WireDecodeError,
  classifyDatagram,
  decodeSrtNak,
  forEachLostSeq,
  isSrtlaAck,
  peekSrtAckNumber,
  peekSrtAckSeq,
  peekSrtControlType,
  peekSrtDataSeq,
  peekSrtRetransmitted,
  peekSrtTimestamp,
  peekSrtlaAckSeq,
  srtlaAckCount,
  SRT_HANDSHAKE_EXTENSION,
} from '@bond/wire';
import type { PacketHint, Scheduler } from './scheduler.js';
import type { SentPacketLog } from './sent-packet-log.js';
import type { SenderLink } from './sender-link.js';
import type { SenderLinks } from './sender-links.js';
import type { SenderOutbox } from './sender-outbox.js';
import { readSrtTsbpdDelays } from './srt-latency.js';
import { ENCODER } from './sender-types.js';

/** How many recent NAK signatures are remembered to tell first copies from per-link repeats. */
const NAK_SIGNATURES = 8;
/**
 * How many recent SRT ACKs are remembered to tell first copies from per-link repeats: 16, about
 * 160 ms of full ACKs (one per 10 ms), so a copy on a link that far behind the first is still
 * recognised.
 */
const ACK_SIGNATURES = 16;
/** 128: refused data packets that wait for room (about 0.1-0.4 s of a 3-10 Mbit/s stream). */
export const DEFERRED_CAPACITY = 128;
/** 1500: the largest datagram deferred (an Ethernet MTU); a larger one is dropped at once. */
const DEFERRED_MAX_BYTES = 1500;
/** 1000 ms: how long a deferred packet may wait when no handshake showed the SRT latency. */
const DEFERRED_FALLBACK_LATENCY_MS = 1000;

export class SenderDataPath {
  packetsFromEncoder = 0;
  bytesFromEncoder = 0;
  /** Encoder datagrams dropped because no link was up... */
  droppedNoLink = 0;
  /**
   * ...because the scheduler refused them while links were up (every link over its budget) and
   * no deferral brought them out (see the module comment)...
   */
  droppedOverload = 0;
  /** New data packets the scheduler refused that waited here for room... */
  deferredOverload = 0;
  /** ...and those of them that were sent later. */
  sentDeferred = 0;
  /** ...or because they were not SRT. */
  droppedNotSrt = 0;
  packetsToEncoder = 0;
  /**
   * Repeats of an SRT ACK or NAK the receiver sent on every link (protocol.md 6.5), not forwarded
   * to the encoder: the first copy went, and each repeat would only cost the encoder a reply (an
   * ACKACK per ACK copy) or a second retransmission (per NAK copy).
   */
  feedbackCopiesDropped = 0;
  /**
   * The SRT latency of the stream, ms, from the HSv5 conclusion handshakes passing through: the
   * caller's request (HSREQ) until the listener's answer (HSRSP, the agreed value) arrives.
   */
  srtLatencyMs: number | undefined;
  /** Whether {@link srtLatencyMs} is the listener's answer (agreed) rather than the request. */
  srtLatencyAgreed = false;

  private readonly hint: PacketHint = {
    isData: false,
    retransmit: false,
    previousLink: -1,
    ageMs: undefined,
  };
  /** The hint of a deferred packet offered again (a repair). */
  private readonly repairHint: PacketHint = {
    isData: true,
    retransmit: true,
    previousLink: -1,
    ageMs: undefined,
  };
  /**
   * The SRT timestamp (us, the encoder's clock) of the newest new data packet and when it came:
   * the encoder's "now", against which a packet's timestamp gives its age.
   */
  private newestTimestampUs = 0;
  private newestTimestampAt: number | undefined;
  /**
   * Deferred packets: a ring of DEFERRED_CAPACITY slots (allocated at the first deferral), oldest
   * at `deferredHead`. A slot whose `deferredSeq` is -1 was superseded (the encoder retransmitted
   * that packet). A sent slot's bytes stay referenced by the outbox (no copy) until the runtime
   * reads them: `deferredQueuedAs` holds the outbox's count after the send, and the slot is not
   * written again before the outbox's `read` count reaches it.
   */
  private deferredSlots: Uint8Array[] = [];
  private readonly deferredLength = new Uint16Array(DEFERRED_CAPACITY);
  private readonly deferredSeq = new Float64Array(DEFERRED_CAPACITY).fill(-1);
  private readonly deferredQueuedAs = new Float64Array(DEFERRED_CAPACITY);
  private deferredHead = 0;
  private deferredCount = 0;
  private readonly nakSignatures = new Float64Array(NAK_SIGNATURES).fill(-1);
  private nakSignatureNext = 0;
  /** Per remembered ACK: its ACK number and timestamp (one number), and its acknowledged seq. */
  private readonly ackSignatures = new Float64Array(ACK_SIGNATURES).fill(-1);
  private readonly ackSeqs = new Float64Array(ACK_SIGNATURES).fill(-1);
  private ackSignatureNext = 0;
  /** The latency of the caller's last HSREQ (to tell its repeats from a new connection). */
  private requestedLatencyMs: number | undefined;

  constructor(
    private readonly links: SenderLinks,
    private readonly log: SentPacketLog,
    private readonly scheduler: Scheduler,
    private readonly outbox: SenderOutbox,
    private readonly srtAckClearsInFlight: boolean,
  ) {}

  /** A datagram from the encoder (SRT caller): sent unchanged on the link the scheduler picks. */
  fromEncoder(now: number, bytes: Uint8Array): void {
    const kind = classifyDatagram(bytes);
    if (kind !== DatagramKind.SrtData && kind !== DatagramKind.SrtControl) {
      this.droppedNotSrt++;
      return;
    }
    this.packetsFromEncoder++;
    this.bytesFromEncoder += bytes.length;
    const hint = this.hint;
    hint.isData = kind === DatagramKind.SrtData;
    if (hint.isData) {
      const seq = peekSrtDataSeq(bytes);
      const flagged = peekSrtRetransmitted(bytes);
      // The encoder's own retransmission replaces a deferred copy (new data never matches one).
      if (flagged && this.deferredCount > 0) this.forgetDeferred(seq);
      hint.previousLink = this.log.carrierOf(seq);
      hint.retransmit = hint.previousLink >= 0 || flagged;
      hint.ageMs = this.ageOf(now, peekSrtTimestamp(bytes), hint.retransmit);
      // Repairs before new data: what waited longest has the least time left.
      if (this.deferredCount > 0) this.resendDeferred(now);
    } else {
      hint.previousLink = -1;
      hint.retransmit = false;
      hint.ageMs = undefined;
      if (peekSrtControlType(bytes) === SRT_CONTROL.HANDSHAKE) this.onHandshake(now, bytes);
    }
    const chosen = this.scheduler.select(now, this.links.all, bytes.length, hint);
    const link = chosen === undefined ? undefined : this.links.atIndex(chosen.index);
    if (link?.state !== 'up') {
      if (chosen !== undefined || this.links.up() === 0) this.droppedNoLink++;
      else if (hint.isData && !hint.retransmit) this.defer(bytes);
      else this.droppedOverload++;
      return;
    }
    this.transmit(now, link, bytes, kind === DatagramKind.SrtData);
  }

  /** Sends `bytes` on `link` (up), recording a data packet in the log and on the link. */
  private transmit(now: number, link: SenderLink, bytes: Uint8Array, isData: boolean): void {
    if (isData) {
      const seq = peekSrtDataSeq(bytes);
      const previous = this.log.record(seq, link.index, now, this.links);
      link.inFlight++;
      if (peekSrtRetransmitted(bytes) || previous >= 0) link.packetsRetransmitted++;
      this.scheduler.onSent(now, link, seq, bytes.length);
      link.dataSent(now);
    }
    link.packetsSent++;
    link.bytesSent += bytes.length;
    this.outbox.send(link.id, bytes);
  }

  /**
   * The age of a data packet with SRT timestamp `timestampUs`, ms (PacketHint.ageMs): new data
   * moves the encoder's clock on and is 0 old. Timestamps wrap at 2^32 us (71.6 min): the
   * difference is taken modulo that, and one ahead of the newest (over half the range behind) is 0.
   */
  private ageOf(now: number, timestampUs: number, retransmit: boolean): number | undefined {
    if (!retransmit) {
      this.newestTimestampUs = timestampUs;
      this.newestTimestampAt = now;
      return 0;
    }
    if (this.newestTimestampAt === undefined) return undefined;
    const behindUs = (this.newestTimestampUs - timestampUs) >>> 0;
    if (behindUs >= 0x8000_0000) return 0;
    return behindUs / 1000 + (now - this.newestTimestampAt);
  }

  /** Keeps a copy of a refused new data packet to offer again, or drops it when there is no room. */
  private defer(bytes: Uint8Array): void {
    if (this.deferredCount === DEFERRED_CAPACITY || bytes.length > DEFERRED_MAX_BYTES) {
      this.droppedOverload++;
      return;
    }
    if (this.deferredSlots.length === 0) {
      this.deferredSlots = Array.from(
        { length: DEFERRED_CAPACITY },
        () => new Uint8Array(DEFERRED_MAX_BYTES),
      );
    }
    const slot = (this.deferredHead + this.deferredCount) % DEFERRED_CAPACITY;
    // Sent from this slot and not yet read by the runtime: its bytes must stay as they are.
    if (this.outbox.read < (this.deferredQueuedAs[slot] ?? 0)) {
      this.droppedOverload++;
      return;
    }
    this.deferredSlots[slot]?.set(bytes);
    this.deferredLength[slot] = bytes.length;
    this.deferredSeq[slot] = peekSrtDataSeq(bytes);
    this.deferredCount++;
    this.deferredOverload++;
  }

  /** Marks the deferred copy of `seq`, if any, as superseded. */
  private forgetDeferred(seq: number): void {
    for (let index = 0; index < this.deferredCount; index++) {
      const slot = (this.deferredHead + index) % DEFERRED_CAPACITY;
      if (this.deferredSeq[slot] === seq) {
        this.deferredSeq[slot] = -1;
        return;
      }
    }
  }

  /**
   * Offers the deferred packets again, oldest first, until the scheduler refuses one (then the
   * links have no room for repairs now). One older than the SRT latency is dropped unasked.
   */
  private resendDeferred(now: number): void {
    const latencyMs = this.srtLatencyMs ?? DEFERRED_FALLBACK_LATENCY_MS;
    const hint = this.repairHint;
    while (this.deferredCount > 0) {
      const slot = this.deferredHead;
      const seq = this.deferredSeq[slot] ?? -1;
      const buffer = this.deferredSlots[slot];
      if (seq >= 0 && buffer !== undefined) {
        const bytes = buffer.subarray(0, this.deferredLength[slot]);
        hint.ageMs = this.ageOf(now, peekSrtTimestamp(bytes), true);
        if (hint.ageMs !== undefined && hint.ageMs > latencyMs) {
          this.droppedOverload++;
        } else {
          const chosen = this.scheduler.select(now, this.links.all, bytes.length, hint);
          const link = chosen === undefined ? undefined : this.links.atIndex(chosen.index);
          if (link?.state !== 'up') return;
          this.sentDeferred++;
          this.transmit(now, link, bytes, true);
          this.deferredQueuedAs[slot] = this.outbox.queued;
        }
      }
      this.deferredSeq[slot] = -1;
      this.deferredHead = (this.deferredHead + 1) % DEFERRED_CAPACITY;
      this.deferredCount--;
    }
  }

  /** An SRTLA ACK on `link`: the seqs it lists arrived (protocol.md 6.2). */
  onSrtlaAck(now: number, link: SenderLink, bytes: Uint8Array): void {
    if (!isSrtlaAck(bytes)) return;
    link.lastHeardAt = now;
    link.proved(now);
    const count = srtlaAckCount(bytes);
    let sentByLink = 0;
    let newestSentAt: number | undefined;
    for (let index = 0; index < count; index++) {
      const seq = peekSrtlaAckSeq(bytes, index);
      const sentAt = this.log.sentTimeOf(seq);
      if (sentAt !== undefined && this.log.carrierOf(seq) === link.index) {
        sentByLink++;
        // Delay only from seqs sent once: a retransmitted one's ACK may be for an earlier copy.
        if (!this.log.retransmitted(seq) && (newestSentAt === undefined || sentAt > newestSentAt)) {
          newestSentAt = sentAt;
        }
      }
      const carried = this.log.acknowledge(seq, link.index, this.links);
      link.packetsAcked++;
      this.scheduler.onSrtlaAck(now, link, seq, carried, sentAt, this.links.all);
    }
    this.scheduler.onSrtlaAckDone(now, link, sentByLink, newestSentAt);
  }

  /**
   * SRT control from the receiver: ACKs and NAKs are accounted, then it goes to the encoder. The
   * receiver sends ACKs and NAKs on every link: only the first copy of each goes on.
   */
  onSrtControl(now: number, bytes: Uint8Array): void {
    const type = peekSrtControlType(bytes);
    if (type === SRT_CONTROL.ACK && bytes.length >= 20) {
      const ackSeq = peekSrtAckSeq(bytes);
      if (!this.rememberAck(bytes, ackSeq)) {
        this.feedbackCopiesDropped++;
        return;
      }
      if (this.srtAckClearsInFlight) this.log.acknowledgeBefore(ackSeq, this.links);
    } else if (type === SRT_CONTROL.NAK) {
      if (!this.onSrtNak(now, bytes)) {
        this.feedbackCopiesDropped++;
        return;
      }
    } else if (type === SRT_CONTROL.HANDSHAKE) {
      this.onHandshake(now, bytes);
    }
    this.toEncoder(bytes);
  }

  /** SRT traffic from the receiver for the encoder. */
  toEncoder(bytes: Uint8Array): void {
    this.outbox.send(ENCODER, bytes);
    this.packetsToEncoder++;
  }

  /**
   * An SRT handshake from the caller or the listener: the latency its HSREQ or HSRSP block
   * carries goes to the scheduler (its queueing budget follows it). A caller's HSREQ starts a new
   * connection: its request stands until the listener's HSRSP answers the agreed value.
   */
  private onHandshake(now: number, bytes: Uint8Array): void {
    let delays;
    try {
      delays = readSrtTsbpdDelays(bytes);
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      return; // still forwarded: the peer's SRT decides
    }
    if (delays === undefined) return;
    const agreed = delays.type === SRT_HANDSHAKE_EXTENSION.HSRSP;
    // The caller repeats its conclusion until answered: a repeat does not undo the answer.
    if (!agreed && this.srtLatencyAgreed && delays.latencyMs === this.requestedLatencyMs) return;
    if (!agreed) this.requestedLatencyMs = delays.latencyMs;
    const changed = delays.latencyMs !== this.srtLatencyMs || agreed !== this.srtLatencyAgreed;
    this.srtLatencyMs = delays.latencyMs;
    this.srtLatencyAgreed = agreed;
    if (changed) this.scheduler.onSrtLatency?.(now, delays.latencyMs);
  }

  /** Accounts a NAK to the links that carried its seqs; false for a repeat of a recent NAK. */
  private onSrtNak(now: number, bytes: Uint8Array): boolean {
    let nak;
    try {
      nak = decodeSrtNak(bytes);
    } catch (error) {
      if (error instanceof WireDecodeError) return true; // still forwarded: the encoder's SRT decides
      throw error;
    }
    const firstCopy = this.rememberNak(bytes);
    forEachLostSeq(nak.ranges, (seq) => {
      const index = this.log.linkOf(seq);
      const link = index >= 0 ? this.links.atIndex(index) : undefined;
      if (link === undefined) return;
      if (firstCopy) link.packetsNaked++;
      this.scheduler.onSrtNak(now, link, seq, firstCopy);
    });
    return firstCopy;
  }

  /**
   * True the first time an ACK with these contents is seen. Copies of one ACK share its ACK
   * number, timestamp and acknowledged seq; two different ACKs differ in at least one (a full
   * ACK's number counts up, a light ACK's timestamp moves on).
   */
  private rememberAck(bytes: Uint8Array, ackSeq: number): boolean {
    const signature = peekSrtAckNumber(bytes) * 0x1_0000_0000 + peekSrtTimestamp(bytes);
    const signatures = this.ackSignatures;
    for (let i = 0; i < ACK_SIGNATURES; i++) {
      if (signatures[i] === signature && this.ackSeqs[i] === ackSeq) return false;
    }
    const next = this.ackSignatureNext;
    signatures[next] = signature;
    this.ackSeqs[next] = ackSeq;
    this.ackSignatureNext = (next + 1) % ACK_SIGNATURES;
    return true;
  }

  /** True the first time a NAK with these contents is seen (the receiver sends one per link). */
  private rememberNak(bytes: Uint8Array): boolean {
    // Signature: SRT timestamp and the first loss entry; copies of one NAK share both.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const signature =
      view.getUint32(8) * 0x1_0000_0000 + (bytes.length >= 20 ? view.getUint32(16) : 0);
    for (const seen of this.nakSignatures) if (seen === signature) return false;
    this.nakSignatures[this.nakSignatureNext] = signature;
    this.nakSignatureNext = (this.nakSignatureNext + 1) % NAK_SIGNATURES;
    return true;
  }
}
