/**
 * The SRTLA sender as a sans-IO state machine (protocol.md 4.1, 5, 6.1-6.3).
 *
 * Inputs carry the time: {@link SenderEngine.handleEncoderDatagram},
 * {@link SenderEngine.handleLinkDatagram}, {@link SenderEngine.handleTimeout}, and the link calls.
 * Outputs are pulled: after any input, drain {@link SenderEngine.pollTransmit} until undefined and
 * {@link SenderEngine.pollEvent} until undefined, then arm one timer at
 * {@link SenderEngine.pollTimeout}. Calling `handleTimeout` early or twice is harmless.
 *
 * Byte arrays passed in are forwarded without copying: a queued transmit may reference them until
 * `pollTransmit` has drained it, so drain before reusing the buffer.
 */
import {
  DatagramKind,
  KEEPALIVE_MAX_RTT_MS,
  SRTLA_ID_LENGTH,
  SRT_CONTROL,
  WireDecodeError,
  classifyDatagram,
  decodeKeepalive,
  decodeSrtNak,
  encodeKeepalive,
  encodeReg1,
  encodeReg2,
  forEachLostSeq,
  groupIdMatchesSender,
  decodeReg2,
  decodeRegNak,
  isSrtlaAck,
  peekSrtAckSeq,
  peekSrtControlType,
  peekSrtDataSeq,
  peekSrtRetransmitted,
  peekSrtlaAckSeq,
  srtlaAckCount,
  type BondTrailer,
} from '@bond/wire';
import { AdaptiveScheduler } from './adaptive-scheduler.js';
import { silentLogger, type CoreLogger } from './logger.js';
import type { RandomSource } from './random.js';
import type { PacketHint, Scheduler } from './scheduler.js';
import { SenderLink } from './sender-link.js';
import {
  ENCODER,
  type SenderEvent,
  type SenderLinkConfig,
  type SenderOptions,
  type SenderPhase,
  type SenderStats,
  type SenderTransmit,
} from './sender-types.js';
import { SentPacketLog, type SentPacketLogOwner } from './sent-packet-log.js';
import { SlotQueue } from './slot-queue.js';
import { InvalidConfigError } from './errors.js';

const DEFAULTS = {
  linkTimeoutMs: 15_000,
  keepaliveIntervalMs: 1000,
  probeWaitMs: 500,
  reg1TimeoutMs: 2000,
  reg2RetryMs: 1000,
  reg2RetryMaxMs: 8000,
  // 4 s: the reference sender's window for NGPs racing with REG3s (protocol.md 4.1).
  ngpIgnoreMs: 4000,
  regErrBackoffMs: 1000,
  regErrBackoffMaxMs: 16_000,
  sentLogCapacity: 65536,
} as const;

/** How many recent NAK signatures are remembered to tell first copies from per-link repeats. */
const NAK_SIGNATURES = 8;

export class SenderEngine implements SentPacketLogOwner {
  private readonly random: RandomSource;
  private readonly scheduler: Scheduler;
  private readonly logger: CoreLogger;
  private readonly config: {
    linkTimeoutMs: number;
    keepaliveIntervalMs: number;
    probeWaitMs: number;
    reg1TimeoutMs: number;
    reg2RetryMs: number;
    ngpIgnoreMs: number;
    regErrBackoffMs: number;
    telemetry: boolean;
    srtAckClearsInFlight: boolean;
  };

  private readonly links: SenderLink[] = [];
  private readonly linksById = new Map<number, SenderLink>();
  /** Indexes of removed links, reused for new ones so scheduler arrays stay dense. */
  private readonly freeIndexes: number[] = [];
  private readonly byIndex: (SenderLink | undefined)[] = [];
  private readonly log: SentPacketLog;
  private readonly transmits = new SlotQueue<SenderTransmit>(() => ({
    linkId: ENCODER,
    bytes: new Uint8Array(0),
  }));
  private readonly events: SenderEvent[] = [];

  private phase: SenderPhase = 'bootstrap';
  private refusedReason: string | undefined;
  private senderId = new Uint8Array(SRTLA_ID_LENGTH);
  private groupId: Uint8Array | undefined;
  /** Bootstrap: when probes went out, whether REG1 was sent, on which link, and deadlines. */
  private probeDeadline: number | undefined;
  private reg1Link: SenderLink | undefined;
  private reg1Deadline: number | undefined;
  /** Bootstrap paused (REG_ERR on REG1, or no links) until this time. */
  private bootstrapRetryAt: number | undefined;
  private bootstrapBackoffMs: number;
  private bootstrapPending = true;
  private ngpIgnoreUntil = -Infinity;
  /** The latest `now` any input carried. */
  private lastNow = 0;

  private readonly hint: PacketHint = { isData: false, retransmit: false, previousLink: -1 };
  private readonly nakSignatures = new Float64Array(NAK_SIGNATURES);
  private nakSignatureNext = 0;

  private packetsFromEncoder = 0;
  private bytesFromEncoder = 0;
  private droppedNoLink = 0;
  private droppedNotSrt = 0;
  private packetsToEncoder = 0;
  private droppedFromReceiver = 0;
  private bootstraps = 0;

  constructor(options: SenderOptions) {
    this.random = options.random;
    this.scheduler = options.scheduler ?? new AdaptiveScheduler();
    this.logger = options.logger ?? silentLogger;
    this.config = {
      linkTimeoutMs: positive('linkTimeoutMs', options.linkTimeoutMs, DEFAULTS.linkTimeoutMs),
      keepaliveIntervalMs: positive(
        'keepaliveIntervalMs',
        options.keepaliveIntervalMs,
        DEFAULTS.keepaliveIntervalMs,
      ),
      probeWaitMs: positive('probeWaitMs', options.probeWaitMs, DEFAULTS.probeWaitMs),
      reg1TimeoutMs: positive('reg1TimeoutMs', options.reg1TimeoutMs, DEFAULTS.reg1TimeoutMs),
      reg2RetryMs: positive('reg2RetryMs', options.reg2RetryMs, DEFAULTS.reg2RetryMs),
      ngpIgnoreMs: positive('ngpIgnoreMs', options.ngpIgnoreMs, DEFAULTS.ngpIgnoreMs),
      regErrBackoffMs: positive(
        'regErrBackoffMs',
        options.regErrBackoffMs,
        DEFAULTS.regErrBackoffMs,
      ),
      telemetry: options.telemetry ?? true,
      srtAckClearsInFlight: options.srtAckClearsInFlight ?? true,
    };
    this.bootstrapBackoffMs = this.config.regErrBackoffMs;
    this.log = new SentPacketLog(
      positive('sentLogCapacity', options.sentLogCapacity, DEFAULTS.sentLogCapacity),
    );
    this.nakSignatures.fill(-1);
  }

  // ---------------------------------------------------------------- links

  /** Adds a link. It probes or registers at the next `handleTimeout`. Throws on a duplicate id. */
  addLink(now: number, config: SenderLinkConfig): void {
    this.lastNow = now;
    if (this.linksById.has(config.id)) {
      throw new InvalidConfigError(`link id ${config.id} is already in use; remove it first`);
    }
    const index = this.freeIndexes.pop() ?? this.byIndex.length;
    const link = new SenderLink(index, config, this.config.reg2RetryMs);
    this.links.push(link);
    this.linksById.set(config.id, link);
    this.byIndex[index] = link;
    this.scheduler.addLink(link);
    link.nextActionAt = now;
    this.logger.info('link added', { linkId: link.id, name: link.name });
  }

  /** Removes a link; its unacknowledged packets are forgotten. Unknown ids are ignored. */
  removeLink(_now: number, id: number): void {
    const link = this.linksById.get(id);
    if (link === undefined) return;
    this.log.forgetLink(link.index, this);
    this.scheduler.removeLink(link);
    this.linksById.delete(id);
    this.links.splice(this.links.indexOf(link), 1);
    this.byIndex[link.index] = undefined;
    this.freeIndexes.push(link.index);
    if (this.reg1Link === link) {
      this.reg1Link = undefined;
      this.reg1Deadline = undefined;
      this.bootstrapPending = true;
    }
    if (link.state === 'up') this.events.push({ type: 'link-down', linkId: id, reason: 'removed' });
    this.logger.info('link removed', { linkId: id });
  }

  /** Changes a link's priority (percent; 0 disables it for data). */
  setLinkPriority(id: number, priority: number): void {
    const link = this.linksById.get(id);
    if (link !== undefined) link.priority = Math.max(0, priority);
  }

  // ---------------------------------------------------------------- encoder -> links

  /** A datagram from the encoder (SRT caller): sent unchanged on the link the scheduler picks. */
  handleEncoderDatagram(now: number, bytes: Uint8Array): void {
    this.lastNow = now;
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
      hint.previousLink = this.log.carrierOf(seq);
      hint.retransmit = hint.previousLink >= 0 || peekSrtRetransmitted(bytes);
    } else {
      hint.previousLink = -1;
      hint.retransmit = false;
    }
    const chosen = this.scheduler.select(now, this.links, bytes.length, hint);
    const link = chosen === undefined ? undefined : this.byIndex[chosen.index];
    if (link?.state !== 'up') {
      this.droppedNoLink++;
      return;
    }
    if (kind === DatagramKind.SrtData) {
      const seq = peekSrtDataSeq(bytes);
      const previous = this.log.record(seq, link.index, now, this);
      link.inFlight++;
      if (peekSrtRetransmitted(bytes) || previous >= 0) link.packetsRetransmitted++;
      this.scheduler.onSent(now, link, seq, bytes.length);
    }
    link.packetsSent++;
    link.bytesSent += bytes.length;
    this.queue(link.id, bytes);
  }

  // ---------------------------------------------------------------- links -> encoder

  /** A datagram that arrived on link `linkId`'s socket from the receiver. */
  handleLinkDatagram(now: number, linkId: number, bytes: Uint8Array): void {
    this.lastNow = now;
    const link = this.linksById.get(linkId);
    if (link === undefined) {
      this.droppedFromReceiver++;
      return;
    }
    try {
      this.dispatchLinkDatagram(now, link, bytes);
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      this.droppedFromReceiver++;
    }
  }

  private dispatchLinkDatagram(now: number, link: SenderLink, bytes: Uint8Array): void {
    switch (classifyDatagram(bytes)) {
      case DatagramKind.SrtlaRegNgp:
        this.onNgp(now, link);
        return;
      case DatagramKind.SrtlaReg2:
        this.onReg2(now, link, bytes);
        return;
      case DatagramKind.SrtlaReg3:
        this.onReg3(now, link);
        return;
      case DatagramKind.SrtlaRegErr:
        this.onRegErr(now, link);
        return;
      case DatagramKind.SrtlaRegNak:
        this.onRegNak(bytes);
        return;
      case DatagramKind.SrtlaAck:
        this.onSrtlaAck(now, link, bytes);
        return;
      case DatagramKind.SrtlaKeepalive:
        this.onKeepaliveEcho(now, link, bytes);
        return;
      case DatagramKind.SrtControl: {
        const type = peekSrtControlType(bytes);
        if (type === SRT_CONTROL.ACK && bytes.length >= 20) {
          if (this.config.srtAckClearsInFlight)
            this.log.acknowledgeBefore(peekSrtAckSeq(bytes), this);
        } else if (type === SRT_CONTROL.NAK) {
          this.onSrtNak(now, bytes);
        }
        this.queue(ENCODER, bytes);
        this.packetsToEncoder++;
        return;
      }
      case DatagramKind.SrtData:
        this.queue(ENCODER, bytes);
        this.packetsToEncoder++;
        return;
      default:
        this.droppedFromReceiver++;
    }
  }

  private onNgp(now: number, link: SenderLink): void {
    link.lastHeardAt = now;
    if (this.phase === 'refused') return;
    if (this.phase === 'bootstrap') {
      if (link.state === 'probing' && link.probeSentAt !== undefined) {
        link.rtt.addSample(now - link.probeSentAt, KEEPALIVE_MAX_RTT_MS);
        link.probeSentAt = undefined;
      }
      // The first link to answer a probe is the fastest: REG1 goes there.
      if (this.reg1Link === undefined && !this.bootstrapPending) this.sendReg1(now, link);
      return;
    }
    if (now < this.ngpIgnoreUntil) return;
    if (this.linksUp() > 0) return;
    // No link is up and the receiver does not know our group: it restarted or expired it.
    this.startBootstrap(now, 'receiver answered NGP while no link was up (group gone)');
  }

  private onReg2(now: number, link: SenderLink, bytes: Uint8Array): void {
    if (this.phase !== 'bootstrap' || this.reg1Link !== link) return;
    const groupId = decodeReg2(bytes);
    if (!groupIdMatchesSender(groupId, this.senderId)) return;
    this.groupId = groupId;
    this.phase = 'registered';
    this.reg1Link = undefined;
    this.reg1Deadline = undefined;
    this.bootstrapBackoffMs = this.config.regErrBackoffMs;
    this.ngpIgnoreUntil = now + this.config.ngpIgnoreMs;
    this.events.push({ type: 'registered', linkId: link.id });
    this.logger.info('group registered', { linkId: link.id });
    for (const each of this.links) this.sendReg2(now, each);
  }

  private onReg3(now: number, link: SenderLink): void {
    if (this.phase !== 'registered') return;
    link.lastHeardAt = now;
    link.lastProofAt = now;
    link.reg2RetryMs = this.config.reg2RetryMs;
    if (link.state === 'up') return;
    const afterTimeout = link.timedOutBefore;
    link.state = 'up';
    link.nextKeepaliveAt = now;
    this.scheduler.linkUp(link, afterTimeout);
    this.events.push({ type: 'link-up', linkId: link.id });
    this.logger.info('link up', { linkId: link.id, name: link.name });
  }

  private onRegErr(now: number, link: SenderLink): void {
    link.lastHeardAt = now;
    if (this.phase === 'bootstrap' && this.reg1Link === link) {
      // REG1 refused for now: the whole bootstrap backs off.
      const wait = this.bootstrapBackoffMs;
      this.bootstrapBackoffMs = Math.min(DEFAULTS.regErrBackoffMaxMs, wait * 2);
      this.reg1Link = undefined;
      this.reg1Deadline = undefined;
      this.bootstrapPending = true;
      this.bootstrapRetryAt = now + wait;
      this.events.push({ type: 'registration-error', linkId: link.id, retryInMs: wait });
      return;
    }
    if (this.phase === 'registered' && link.state !== 'up') {
      const wait = link.regErrBackoffMs ?? this.config.regErrBackoffMs;
      link.regErrBackoffMs = Math.min(DEFAULTS.regErrBackoffMaxMs, wait * 2);
      link.state = 'idle';
      link.nextActionAt = now + wait;
      this.events.push({ type: 'registration-error', linkId: link.id, retryInMs: wait });
    }
  }

  private onRegNak(bytes: Uint8Array): void {
    const reason = bytes.length > 2 ? decodeRegNakSafe(bytes) : '';
    this.phase = 'refused';
    this.refusedReason = reason === '' ? 'the receiver refused the registration' : reason;
    for (const link of this.links) {
      if (link.state === 'up') {
        this.scheduler.linkDown(link);
        this.events.push({ type: 'link-down', linkId: link.id, reason: 'refused' });
      }
      link.state = 'idle';
    }
    this.events.push({ type: 'refused', reason: this.refusedReason });
    this.logger.warn('receiver refused registration (REG_NAK); giving up', {
      reason: this.refusedReason,
    });
  }

  private onSrtlaAck(now: number, link: SenderLink, bytes: Uint8Array): void {
    if (!isSrtlaAck(bytes)) return;
    link.lastHeardAt = now;
    link.lastProofAt = now;
    const count = srtlaAckCount(bytes);
    let sentByLink = 0;
    let newestSentAt: number | undefined;
    for (let index = 0; index < count; index++) {
      const seq = peekSrtlaAckSeq(bytes, index);
      const sentAt = this.log.sentTimeOf(seq);
      if (sentAt !== undefined && this.log.carrierOf(seq) === link.index) {
        sentByLink++;
        if (newestSentAt === undefined || sentAt > newestSentAt) newestSentAt = sentAt;
      }
      const carried = this.log.acknowledge(seq, link.index, this);
      link.packetsAcked++;
      this.scheduler.onSrtlaAck(now, link, seq, carried, sentAt, this.links);
    }
    this.scheduler.onSrtlaAckDone(now, link, sentByLink, newestSentAt);
  }

  private onKeepaliveEcho(now: number, link: SenderLink, bytes: Uint8Array): void {
    const keepalive = decodeKeepaliveSafe(bytes);
    link.lastHeardAt = now;
    if (keepalive?.timestampMs === undefined) return;
    const rtt = now - keepalive.timestampMs;
    if (!link.rtt.addSample(rtt, KEEPALIVE_MAX_RTT_MS)) return;
    link.lastProofAt = now;
    if (link.state === 'up') this.scheduler.onKeepaliveEcho(now, link, rtt);
    if (keepalive.info === undefined) return;
    const trailer: BondTrailer | undefined = keepalive.trailer;
    let kind = link.receiver;
    if (trailer?.body === 'receiver') {
      kind = 'bond';
      link.report = trailer.receiver;
    } else if (this.config.telemetry) {
      // Our trailer came back unchanged (or was cut): the receiver is not bond.
      kind = 'legacy';
    }
    if (kind !== link.receiver) {
      link.receiver = kind;
      this.events.push({ type: 'receiver-kind', linkId: link.id, kind });
    }
  }

  private onSrtNak(now: number, bytes: Uint8Array): void {
    let nak;
    try {
      nak = decodeSrtNak(bytes);
    } catch (error) {
      if (error instanceof WireDecodeError) return; // still forwarded: the encoder's SRT decides
      throw error;
    }
    const firstCopy = this.rememberNak(bytes);
    forEachLostSeq(nak.ranges, (seq) => {
      const index = this.log.linkOf(seq);
      const link = index >= 0 ? this.byIndex[index] : undefined;
      if (link === undefined) return;
      if (firstCopy) link.packetsNaked++;
      this.scheduler.onSrtNak(now, link, seq, firstCopy);
    });
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

  // ---------------------------------------------------------------- time

  /** Runs registration retries, timeouts and keepalives due at `now`. */
  handleTimeout(now: number): void {
    this.lastNow = now;
    if (this.phase === 'refused') return;
    if (this.phase === 'bootstrap') this.driveBootstrap(now);
    for (const link of this.links) this.driveLink(now, link);
  }

  /** The next instant `handleTimeout` must run, or undefined when nothing is scheduled. */
  pollTimeout(): number | undefined {
    if (this.phase === 'refused' || this.links.length === 0) return undefined;
    let next = Infinity;
    if (this.phase === 'bootstrap') {
      if (this.bootstrapPending) {
        next = Math.min(next, this.bootstrapRetryAt ?? this.lastNow);
      } else if (this.reg1Link === undefined) {
        next = Math.min(next, this.probeDeadline ?? this.lastNow);
      } else if (this.reg1Deadline !== undefined) {
        next = Math.min(next, this.reg1Deadline);
      }
    }
    for (const link of this.links) {
      if (link.state === 'up') {
        next = Math.min(next, link.nextKeepaliveAt, link.lastProofAt + this.config.linkTimeoutMs);
      } else if (this.phase === 'registered') {
        next = Math.min(next, link.nextActionAt);
      }
    }
    return Number.isFinite(next) ? next : undefined;
  }

  private driveBootstrap(now: number): void {
    if (this.bootstrapPending) {
      if (this.bootstrapRetryAt !== undefined && now < this.bootstrapRetryAt) return;
      if (this.links.length === 0) return;
      this.sendProbes(now);
      return;
    }
    if (
      this.reg1Link === undefined &&
      this.probeDeadline !== undefined &&
      now >= this.probeDeadline
    ) {
      // Nobody answered the probes in time: REG1 on the first link anyway.
      const first = this.links[0];
      if (first !== undefined) this.sendReg1(now, first);
      return;
    }
    if (this.reg1Deadline !== undefined && now >= this.reg1Deadline) {
      this.startBootstrap(now, 'no REG2 answer to REG1');
    }
  }

  private driveLink(now: number, link: SenderLink): void {
    if (link.state === 'up') {
      if (now - link.lastProofAt >= this.config.linkTimeoutMs) {
        this.takeDown(
          now,
          link,
          'no proof of life (SRTLA ACK, keepalive echo) within the link timeout',
        );
        return;
      }
      if (now >= link.nextKeepaliveAt) this.sendKeepalive(now, link);
      return;
    }
    if (this.phase !== 'registered' || now < link.nextActionAt) return;
    this.sendReg2(now, link);
  }

  private takeDown(now: number, link: SenderLink, reason: string): void {
    link.state = 'registering';
    link.timedOutBefore = true;
    this.log.forgetLink(link.index, this);
    this.scheduler.linkDown(link);
    this.events.push({ type: 'link-down', linkId: link.id, reason });
    this.logger.warn('link down; re-registering', { linkId: link.id, reason });
    link.reg2RetryMs = this.config.reg2RetryMs;
    this.sendReg2(now, link);
  }

  // ---------------------------------------------------------------- registration sends

  private startBootstrap(now: number, reason: string): void {
    this.phase = 'bootstrap';
    this.groupId = undefined;
    this.reg1Link = undefined;
    this.reg1Deadline = undefined;
    this.bootstrapPending = true;
    this.bootstrapRetryAt = undefined;
    for (const link of this.links) {
      if (link.state === 'up') {
        this.scheduler.linkDown(link);
        this.events.push({ type: 'link-down', linkId: link.id, reason: 'group gone' });
        this.log.forgetLink(link.index, this);
      }
      link.state = 'idle';
      link.timedOutBefore = false;
    }
    this.events.push({ type: 'bootstrap', reason });
    this.logger.info('bootstrapping a new group', { reason });
    this.driveBootstrap(now);
  }

  /** Sends a REG2 probe (random id: the receiver answers NGP) on every link. */
  private sendProbes(now: number): void {
    this.bootstraps++;
    this.random.fillBytes(this.senderId);
    this.bootstrapPending = false;
    this.bootstrapRetryAt = undefined;
    this.probeDeadline = now + this.config.probeWaitMs;
    const probe = encodeReg2(this.senderId);
    for (const link of this.links) {
      link.state = 'probing';
      link.probeSentAt = now;
      this.queue(link.id, probe);
    }
  }

  private sendReg1(now: number, link: SenderLink): void {
    this.reg1Link = link;
    this.reg1Deadline = now + this.config.reg1TimeoutMs;
    this.queue(link.id, encodeReg1(this.senderId));
  }

  private sendReg2(now: number, link: SenderLink): void {
    if (this.groupId === undefined) return;
    if (link.state !== 'up') link.state = 'registering';
    this.queue(link.id, encodeReg2(this.groupId));
    link.nextActionAt = now + link.reg2RetryMs;
    link.reg2RetryMs = Math.min(DEFAULTS.reg2RetryMaxMs, link.reg2RetryMs * 2);
  }

  private sendKeepalive(now: number, link: SenderLink): void {
    const elapsed = now - link.rateSampleAt;
    if (elapsed > 0) {
      link.sendRate = ((link.bytesSent - link.rateSampleBytes) * 1000) / elapsed;
      link.rateSampleAt = now;
      link.rateSampleBytes = link.bytesSent;
    }
    const window = this.scheduler.window(link);
    const info = {
      connId: link.id >>> 0,
      window,
      inFlight: link.inFlight,
      rttMs: Math.round(link.rtt.smoothedMs ?? 0),
      nakCount: link.packetsNaked,
      bitrateBytesPerSec: Math.round(link.sendRate),
    };
    const bytes = this.config.telemetry
      ? encodeKeepalive({
          timestampMs: Math.floor(now),
          info,
          trailer: { body: 'sender', sender: link.telemetry(window, this.totalSent()) },
        })
      : encodeKeepalive({ timestampMs: Math.floor(now), info });
    this.queue(link.id, bytes);
    link.nextKeepaliveAt = now + this.config.keepaliveIntervalMs;
  }

  // ---------------------------------------------------------------- outputs

  /** The next datagram to send, or undefined. The returned object is reused: read it now. */
  pollTransmit(): SenderTransmit | undefined {
    return this.transmits.shift();
  }

  /** The next event, or undefined. */
  pollEvent(): SenderEvent | undefined {
    return this.events.shift();
  }

  /** SentPacketLogOwner: keeps each link's in-flight count equal to its packets in the log. */
  onRemoved(linkIndex: number): void {
    const link = this.byIndex[linkIndex];
    if (link !== undefined && link.inFlight > 0) link.inFlight--;
  }

  private queue(linkId: number, bytes: Uint8Array): void {
    const slot = this.transmits.push();
    slot.linkId = linkId;
    slot.bytes = bytes;
  }

  private linksUp(): number {
    let up = 0;
    for (const link of this.links) if (link.state === 'up') up++;
    return up;
  }

  private totalSent(): number {
    let total = 0;
    for (const link of this.links) total += link.packetsSent;
    return total;
  }

  /** Plain-data statistics for the runtime. */
  stats(now: number): SenderStats {
    return {
      phase: this.phase,
      refusedReason: this.refusedReason,
      scheduler: this.scheduler.name,
      linksUp: this.linksUp(),
      packetsFromEncoder: this.packetsFromEncoder,
      bytesFromEncoder: this.bytesFromEncoder,
      droppedNoLink: this.droppedNoLink,
      droppedNotSrt: this.droppedNotSrt,
      packetsToEncoder: this.packetsToEncoder,
      droppedFromReceiver: this.droppedFromReceiver,
      bootstraps: this.bootstraps,
      sentLogEvicted: this.log.evicted,
      links: this.links.map((link) => link.stats(now, this.scheduler.window(link))),
    };
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidConfigError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}

function decodeKeepaliveSafe(bytes: Uint8Array): ReturnType<typeof decodeKeepalive> | undefined {
  try {
    return decodeKeepalive(bytes);
  } catch (error) {
    if (error instanceof WireDecodeError) return undefined;
    throw error;
  }
}

/** A REG_NAK's reason, made safe to log: control characters become spaces. */
function decodeRegNakSafe(bytes: Uint8Array): string {
  let text = '';
  for (const char of decodeRegNak(bytes)) {
    const code = char.codePointAt(0) ?? 0;
    text += code < 0x20 || code === 0x7f ? ' ' : char;
  }
  return text.trim();
}
