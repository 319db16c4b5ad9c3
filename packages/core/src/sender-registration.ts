/**
 * The sender's registration and link liveness (protocol.md 4.1, 4.3, 5): the group bootstrap (REG2
 * probes with a random id, REG1 on the first link to answer, REG2 with the group id on every
 * link), each link's REG2 retries until its REG3, REG_ERR back-off, REG_NAK refusal, NGPs that say
 * the receiver lost the group, and for each up link its keepalive schedule and its timeout.
 *
 * A REG_NAK is believed only as the answer to a registration of ours still waiting for one (REG1
 * during the bootstrap on the link it went out on, a link's REG2 while that link waits for its
 * REG3), and never while a link is up: anyone who can send to the sender's address can forge one,
 * and one forged packet must not stop a live stream. A refusal believed stops sending for
 * {@link REFUSED_RETRY_MS} (doubling up to {@link REFUSED_RETRY_MAX_MS}), then registers again.
 */
import {
  KEEPALIVE_MAX_RTT_MS,
  SRTLA_ID_LENGTH,
  decodeReg2,
  decodeRegNak,
  encodeReg1,
  encodeReg2,
  groupIdMatchesSender,
} from '@bond/wire';
import type { CoreLogger } from './logger.js';
import type { RandomSource } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { SentPacketLog } from './sent-packet-log.js';
import { SENDER_DEFAULTS, type SenderConfig } from './sender-config.js';
import type { SenderKeepalives } from './sender-keepalive.js';
import type { SenderLink } from './sender-link.js';
import type { SenderLinks } from './sender-links.js';
import type { SenderOutbox } from './sender-outbox.js';
import type { SenderPhase } from './sender-types.js';

/** 30 s: the first wait after the receiver refused the sender, before registering again. */
export const REFUSED_RETRY_MS = 30_000;
/** 5 min: the longest wait between registrations the receiver keeps refusing. */
export const REFUSED_RETRY_MAX_MS = 300_000;

export class SenderRegistration {
  phase: SenderPhase = 'bootstrap';
  refusedReason: string | undefined;
  /** While refused: when the sender registers again. */
  refusedUntil: number | undefined;
  /** REG_NAKs not believed (no registration of ours waiting, or a link up). */
  regNaksIgnored = 0;
  private refusedRetryMs = REFUSED_RETRY_MS;
  /** Bootstraps started (each one draws a new sender id). */
  bootstraps = 0;
  private senderId = new Uint8Array(SRTLA_ID_LENGTH);
  private groupId: Uint8Array | undefined;
  /** Bootstrap: when probes went out, whether REG1 was sent, on which link, and deadlines. */
  private probeDeadline: number | undefined;
  private reg1Link: SenderLink | undefined;
  private reg1Deadline: number | undefined;
  /**
   * A pending bootstrap runs at this time (REG_ERR on REG1 backs it off; a link added or a bootstrap
   * restarted makes it due at once); undefined while it waits for the first link.
   */
  private bootstrapRetryAt: number | undefined;
  private bootstrapBackoffMs: number;
  private bootstrapPending = true;
  private ngpIgnoreUntil = -Infinity;

  constructor(
    private readonly config: SenderConfig,
    private readonly links: SenderLinks,
    private readonly log: SentPacketLog,
    private readonly scheduler: Scheduler,
    private readonly keepalives: SenderKeepalives,
    private readonly outbox: SenderOutbox,
    private readonly random: RandomSource,
    private readonly logger: CoreLogger,
  ) {
    this.bootstrapBackoffMs = config.regErrBackoffMs;
  }

  /** A link was added at `now`: a bootstrap waiting for links is due. */
  linkAdded(now: number): void {
    if (this.bootstrapPending && this.bootstrapRetryAt === undefined) this.bootstrapRetryAt = now;
  }

  /** A link is being removed at `now`: if REG1 was waiting on it, the bootstrap starts over. */
  linkRemoved(now: number, link: SenderLink): void {
    if (this.reg1Link !== link) return;
    this.reg1Link = undefined;
    this.reg1Deadline = undefined;
    this.bootstrapPending = true;
    this.bootstrapRetryAt = now;
  }

  // ---------------------------------------------------------------- from the receiver

  onNgp(now: number, link: SenderLink): void {
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
    if (link.state === 'up' && link.checkSentAt !== undefined) {
      // The answer to a registration check: the receiver does not know this link's group.
      this.takeOut(now, link, 'the receiver does not know the group (NGP to a registration check)');
    }
    if (this.links.up() > 0) return;
    // No link is up and the receiver does not know our group: it restarted or expired it.
    this.startBootstrap(now, 'receiver answered NGP while no link was up (group gone)');
  }

  onReg2(now: number, link: SenderLink, bytes: Uint8Array): void {
    if (this.phase !== 'bootstrap' || this.reg1Link !== link) return;
    const groupId = decodeReg2(bytes);
    if (!groupIdMatchesSender(groupId, this.senderId)) return;
    this.groupId = groupId;
    this.phase = 'registered';
    this.reg1Link = undefined;
    this.reg1Deadline = undefined;
    this.bootstrapBackoffMs = this.config.regErrBackoffMs;
    this.refusedRetryMs = REFUSED_RETRY_MS;
    this.refusedReason = undefined;
    this.ngpIgnoreUntil = now + this.config.ngpIgnoreMs;
    this.outbox.event({ type: 'registered', linkId: link.id });
    this.logger.info('group registered', { linkId: link.id });
    for (const each of this.links.all) this.sendReg2(now, each);
  }

  onReg3(now: number, link: SenderLink): void {
    if (this.phase !== 'registered') return;
    link.lastHeardAt = now;
    link.proved(now);
    link.checkSentAt = undefined;
    link.reg2RetryMs = this.config.reg2RetryMs;
    if (link.state === 'up') return;
    const afterTimeout = link.timedOutBefore;
    link.state = 'up';
    link.nextKeepaliveAt = now;
    this.scheduler.linkUp(now, link, afterTimeout);
    this.outbox.event({ type: 'link-up', linkId: link.id });
    this.logger.info('link up', { linkId: link.id, name: link.name });
  }

  onRegErr(now: number, link: SenderLink): void {
    link.lastHeardAt = now;
    if (this.phase === 'bootstrap' && this.reg1Link === link) {
      // REG1 refused for now: the whole bootstrap backs off.
      const wait = this.bootstrapBackoffMs;
      this.bootstrapBackoffMs = Math.min(SENDER_DEFAULTS.regErrBackoffMaxMs, wait * 2);
      this.reg1Link = undefined;
      this.reg1Deadline = undefined;
      this.bootstrapPending = true;
      this.bootstrapRetryAt = now + wait;
      this.outbox.event({ type: 'registration-error', linkId: link.id, retryInMs: wait });
      return;
    }
    if (this.phase === 'registered' && link.state !== 'up') {
      const wait = link.regErrBackoffMs ?? this.config.regErrBackoffMs;
      link.regErrBackoffMs = Math.min(SENDER_DEFAULTS.regErrBackoffMaxMs, wait * 2);
      link.state = 'idle';
      link.nextActionAt = now + wait;
      this.outbox.event({ type: 'registration-error', linkId: link.id, retryInMs: wait });
    }
  }

  onRegNak(now: number, link: SenderLink, bytes: Uint8Array): void {
    const reason = bytes.length > 2 ? decodeRegNakSafe(bytes) : '';
    const awaited =
      (this.phase === 'bootstrap' && this.reg1Link === link) ||
      (this.phase === 'registered' && link.state === 'registering');
    if (!awaited || this.links.up() > 0) {
      this.regNaksIgnored++;
      this.logger.debug('REG_NAK ignored: no registration of ours was waiting for it', {
        linkId: link.id,
        phase: this.phase,
        linksUp: this.links.up(),
        reason,
      });
      return;
    }
    link.lastHeardAt = now;
    this.phase = 'refused';
    this.refusedReason = reason === '' ? 'the receiver refused the registration' : reason;
    const wait = this.refusedRetryMs;
    this.refusedRetryMs = Math.min(REFUSED_RETRY_MAX_MS, wait * 2);
    this.refusedUntil = now + wait;
    this.reg1Link = undefined;
    this.reg1Deadline = undefined;
    for (const each of this.links.all) each.state = 'idle';
    this.outbox.event({ type: 'refused', reason: this.refusedReason, retryInMs: wait });
    this.logger.warn('receiver refused the stream (REG_NAK); trying again later', {
      reason: this.refusedReason,
      retryInMs: wait,
    });
  }

  // ---------------------------------------------------------------- time

  /** Runs registration retries, timeouts and keepalives due at `now`. */
  handleTimeout(now: number): void {
    if (this.phase === 'refused') {
      if (this.refusedUntil === undefined || now < this.refusedUntil) return;
      this.refusedUntil = undefined;
      this.startBootstrap(now, 'retrying after the receiver refused the stream');
      return;
    }
    if (this.phase === 'bootstrap') this.driveBootstrap(now);
    for (const link of this.links.all) this.driveLink(now, link);
  }

  /** The next instant {@link handleTimeout} must run, or undefined. */
  pollTimeout(): number | undefined {
    if (this.links.all.length === 0) return undefined;
    if (this.phase === 'refused') return this.refusedUntil;
    let next = Infinity;
    if (this.phase === 'bootstrap') {
      if (this.bootstrapPending) {
        if (this.bootstrapRetryAt !== undefined) next = Math.min(next, this.bootstrapRetryAt);
      } else if (this.reg1Link === undefined) {
        if (this.probeDeadline !== undefined) next = Math.min(next, this.probeDeadline);
      } else if (this.reg1Deadline !== undefined) {
        next = Math.min(next, this.reg1Deadline);
      }
    }
    for (const link of this.links.all) {
      if (link.state === 'up') {
        next = Math.min(
          next,
          link.nextKeepaliveAt,
          link.lastProofAt + this.config.linkTimeoutMs,
          this.nextCheckAt(link),
        );
      } else if (this.phase === 'registered') {
        next = Math.min(next, link.nextActionAt);
      }
    }
    return Number.isFinite(next) ? next : undefined;
  }

  private driveBootstrap(now: number): void {
    if (this.bootstrapPending) {
      if (this.bootstrapRetryAt !== undefined && now < this.bootstrapRetryAt) return;
      if (this.links.all.length === 0) return;
      this.sendProbes(now);
      return;
    }
    if (
      this.reg1Link === undefined &&
      this.probeDeadline !== undefined &&
      now >= this.probeDeadline
    ) {
      // Nobody answered the probes in time: REG1 on the first link anyway.
      const first = this.links.all[0];
      if (first !== undefined) this.sendReg1(now, first);
      return;
    }
    if (this.reg1Deadline !== undefined && now >= this.reg1Deadline) {
      this.startBootstrap(now, 'no REG2 answer to REG1', true);
    }
  }

  private driveLink(now: number, link: SenderLink): void {
    if (link.state === 'up') {
      // The same expression as the deadline pollTimeout gives: in floating point,
      // now - lastProofAt may fall short of the timeout exactly at that deadline.
      if (now >= link.lastProofAt + this.config.linkTimeoutMs) {
        this.takeDown(
          now,
          link,
          'no proof of life (SRTLA ACK, keepalive echo) within the link timeout',
        );
        return;
      }
      if (now >= this.nextCheckAt(link)) {
        // Quiet for a while: does the receiver still know the group? (A restarted receiver drops
        // keepalives and data from unknown addresses silently and answers REG2 with NGP.)
        link.checkSentAt = now;
        if (this.groupId !== undefined) this.outbox.send(link.id, encodeReg2(this.groupId));
      }
      if (now >= link.nextKeepaliveAt) this.keepalives.send(now, link, this.links.totalSent());
      return;
    }
    if (this.phase !== 'registered' || now < link.nextActionAt) return;
    this.sendReg2(now, link);
  }

  /** When an up link with no proof of life since asks whether its group still exists. */
  private nextCheckAt(link: SenderLink): number {
    const since =
      link.checkSentAt === undefined
        ? link.lastProofAt
        : Math.max(link.lastProofAt, link.checkSentAt);
    return since + this.config.registrationCheckMs;
  }

  private takeDown(now: number, link: SenderLink, reason: string): void {
    this.takeOut(now, link, reason);
    this.sendReg2(now, link);
  }

  /** An up link leaves the schedule and registers again (its REG2 retries run from `now`). */
  private takeOut(now: number, link: SenderLink, reason: string): void {
    link.state = 'registering';
    link.timedOutBefore = true;
    link.checkSentAt = undefined;
    this.log.forgetLink(link.index, this.links);
    this.scheduler.linkDown(now, link);
    this.outbox.event({ type: 'link-down', linkId: link.id, reason });
    this.logger.warn('link down; re-registering', { linkId: link.id, reason });
    link.reg2RetryMs = this.config.reg2RetryMs;
    link.nextActionAt = now + link.reg2RetryMs;
  }

  // ---------------------------------------------------------------- registration sends

  /** `retry`: the last bootstrap got no answer (the receiver may be silent); logged at debug. */
  private startBootstrap(now: number, reason: string, retry = false): void {
    this.phase = 'bootstrap';
    this.groupId = undefined;
    this.reg1Link = undefined;
    this.reg1Deadline = undefined;
    this.bootstrapPending = true;
    this.bootstrapRetryAt = now;
    for (const link of this.links.all) {
      if (link.state === 'up') {
        this.scheduler.linkDown(now, link);
        this.outbox.event({ type: 'link-down', linkId: link.id, reason: 'group gone' });
        this.log.forgetLink(link.index, this.links);
      }
      link.state = 'idle';
      link.timedOutBefore = false;
    }
    this.outbox.event({ type: 'bootstrap', reason, retry });
    if (retry) this.logger.debug('bootstrapping a new group', { reason });
    else this.logger.info('bootstrapping a new group', { reason });
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
    for (const link of this.links.all) {
      link.state = 'probing';
      link.probeSentAt = now;
      this.outbox.send(link.id, probe);
    }
  }

  private sendReg1(now: number, link: SenderLink): void {
    this.reg1Link = link;
    this.reg1Deadline = now + this.config.reg1TimeoutMs;
    this.outbox.send(link.id, encodeReg1(this.senderId));
  }

  private sendReg2(now: number, link: SenderLink): void {
    if (this.groupId === undefined) return;
    if (link.state !== 'up') link.state = 'registering';
    this.outbox.send(link.id, encodeReg2(this.groupId));
    link.nextActionAt = now + link.reg2RetryMs;
    link.reg2RetryMs = Math.min(SENDER_DEFAULTS.reg2RetryMaxMs, link.reg2RetryMs * 2);
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
