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
 *
 * The engine routes; the work is done by its parts: registration and link liveness
 * (sender-registration.ts), keepalives (sender-keepalive.ts), the data path
 * (sender-data-path.ts), over one link table (sender-links.ts) and one outbox (sender-outbox.ts).
 */
import { DatagramKind, WireDecodeError, classifyDatagram } from '@bond/wire';
import { AdaptiveScheduler } from './adaptive-scheduler.js';
import { InvalidConfigError } from './errors.js';
import { silentLogger, type CoreLogger } from './logger.js';
import type { Scheduler } from './scheduler.js';
import { SentPacketLog } from './sent-packet-log.js';
import { resolveSenderConfig, type SenderConfig } from './sender-config.js';
import { SenderDataPath } from './sender-data-path.js';
import { SenderKeepalives } from './sender-keepalive.js';
import { LINK_HEALTH, type SenderLink } from './sender-link.js';
import { SenderLinks } from './sender-links.js';
import { SenderOutbox } from './sender-outbox.js';
import { SenderRegistration } from './sender-registration.js';
import type {
  SenderEvent,
  SenderLinkConfig,
  SenderOptions,
  SenderStats,
  SenderTransmit,
} from './sender-types.js';

export class SenderEngine {
  private readonly scheduler: Scheduler;
  private readonly logger: CoreLogger;
  private readonly config: SenderConfig;
  private readonly links = new SenderLinks();
  private readonly log: SentPacketLog;
  private readonly outbox = new SenderOutbox();
  private readonly keepalives: SenderKeepalives;
  private readonly registration: SenderRegistration;
  private readonly dataPath: SenderDataPath;
  private droppedFromReceiver = 0;
  /** Last datagram from the receiver on any link; when the first link was added. */
  private heardAt: number | undefined;
  private firstLinkAt: number | undefined;

  constructor(options: SenderOptions) {
    this.scheduler = options.scheduler ?? new AdaptiveScheduler();
    this.logger = options.logger ?? silentLogger;
    this.config = resolveSenderConfig(options);
    this.log = new SentPacketLog(this.config.sentLogCapacity);
    this.keepalives = new SenderKeepalives(
      this.scheduler,
      this.outbox,
      this.config.keepaliveIntervalMs,
      this.config.telemetry,
    );
    this.registration = new SenderRegistration(
      this.config,
      this.links,
      this.log,
      this.scheduler,
      this.keepalives,
      this.outbox,
      options.random,
      this.logger,
    );
    this.dataPath = new SenderDataPath(
      this.links,
      this.log,
      this.scheduler,
      this.outbox,
      this.config.srtAckClearsInFlight,
    );
  }

  // ---------------------------------------------------------------- links

  /** Adds a link. It probes or registers at the next `handleTimeout`. Throws on a duplicate id. */
  addLink(now: number, config: SenderLinkConfig): void {
    if (this.links.has(config.id)) {
      throw new InvalidConfigError(`link id ${config.id} is already in use; remove it first`);
    }
    const link = this.links.add(config, this.config.reg2RetryMs);
    this.firstLinkAt ??= now;
    this.scheduler.addLink(now, link);
    this.registration.linkAdded(now);
    link.nextActionAt = now;
    this.logger.info('link added', { linkId: link.id, name: link.name });
  }

  /** Removes a link; its unacknowledged packets are forgotten. Unknown ids are ignored. */
  removeLink(now: number, id: number): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    this.log.forgetLink(link.index, this.links);
    this.scheduler.removeLink(link);
    this.links.remove(link);
    this.registration.linkRemoved(now, link);
    if (link.state === 'up')
      this.outbox.event({ type: 'link-down', linkId: id, reason: 'removed' });
    this.logger.info('link removed', { linkId: id });
  }

  /** Changes a link's priority (percent; 0 disables it for data). */
  setLinkPriority(id: number, priority: number): void {
    const link = this.links.get(id);
    if (link !== undefined) link.priority = Math.max(0, priority);
  }

  // ---------------------------------------------------------------- inputs

  /** A datagram from the encoder (SRT caller): sent unchanged on the link the scheduler picks. */
  handleEncoderDatagram(now: number, bytes: Uint8Array): void {
    this.dataPath.fromEncoder(now, bytes);
  }

  /** A datagram that arrived on link `linkId`'s socket from the receiver. */
  handleLinkDatagram(now: number, linkId: number, bytes: Uint8Array): void {
    const link = this.links.get(linkId);
    if (link === undefined) {
      this.droppedFromReceiver++;
      return;
    }
    this.heardAt = now;
    try {
      this.dispatchLinkDatagram(now, link, bytes);
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      this.droppedFromReceiver++;
    }
  }

  /** Runs registration retries, timeouts and keepalives due at `now`. */
  handleTimeout(now: number): void {
    this.registration.handleTimeout(now);
  }

  private dispatchLinkDatagram(now: number, link: SenderLink, bytes: Uint8Array): void {
    switch (classifyDatagram(bytes)) {
      case DatagramKind.SrtlaRegNgp:
        this.registration.onNgp(now, link);
        return;
      case DatagramKind.SrtlaReg2:
        this.registration.onReg2(now, link, bytes);
        return;
      case DatagramKind.SrtlaReg3:
        this.registration.onReg3(now, link);
        return;
      case DatagramKind.SrtlaRegErr:
        this.registration.onRegErr(now, link);
        return;
      case DatagramKind.SrtlaRegNak:
        this.registration.onRegNak(now, link, bytes);
        return;
      case DatagramKind.SrtlaAck:
        this.dataPath.onSrtlaAck(now, link, bytes);
        return;
      case DatagramKind.SrtlaKeepalive:
        this.keepalives.echoed(now, link, bytes);
        return;
      case DatagramKind.SrtControl:
        this.dataPath.onSrtControl(now, bytes);
        return;
      case DatagramKind.SrtData:
        this.dataPath.toEncoder(bytes);
        return;
      default:
        this.droppedFromReceiver++;
    }
  }

  // ---------------------------------------------------------------- outputs

  /** The next datagram to send, or undefined. The returned object is reused: read it now. */
  pollTransmit(): SenderTransmit | undefined {
    return this.outbox.nextTransmit();
  }

  /** The next event, or undefined. */
  pollEvent(): SenderEvent | undefined {
    return this.outbox.nextEvent();
  }

  /** The next instant `handleTimeout` must run, or undefined when nothing is scheduled. */
  pollTimeout(): number | undefined {
    return this.registration.pollTimeout();
  }

  /** Plain-data statistics for the runtime. */
  stats(now: number): SenderStats {
    const dataPath = this.dataPath;
    const keepalive = this.config.keepaliveIntervalMs;
    const links = this.links.all.map((link) =>
      link.stats(now, this.scheduler.window(link), keepalive),
    );
    const since = this.heardAt ?? this.firstLinkAt;
    const silentFor = links.length === 0 || since === undefined ? undefined : now - since;
    return {
      phase: this.registration.phase,
      refusedReason: this.registration.refusedReason,
      refusedRetryAt: this.registration.refusedUntil,
      regNaksIgnored: this.registration.regNaksIgnored,
      scheduler: this.scheduler.name,
      linksUp: this.links.up(),
      linksHealthy: links.filter((link) => link.health === 'up').length,
      receiverSilent:
        this.registration.phase === 'bootstrap' &&
        silentFor !== undefined &&
        silentFor >= LINK_HEALTH.downMs,
      receiverSilentForMs: silentFor,
      packetsFromEncoder: dataPath.packetsFromEncoder,
      bytesFromEncoder: dataPath.bytesFromEncoder,
      droppedNoLink: dataPath.droppedNoLink,
      droppedOverload: dataPath.droppedOverload,
      deferredOverload: dataPath.deferredOverload,
      sentDeferred: dataPath.sentDeferred,
      droppedNotSrt: dataPath.droppedNotSrt,
      packetsToEncoder: dataPath.packetsToEncoder,
      feedbackCopiesDropped: dataPath.feedbackCopiesDropped,
      srtLatencyMs: dataPath.srtLatencyMs,
      srtLatencyAgreed: dataPath.srtLatencyAgreed,
      queueingBudgetMs: this.scheduler.queueingBudgetMs?.(),
      droppedFromReceiver: this.droppedFromReceiver,
      bootstraps: this.registration.bootstraps,
      sentLogEvicted: this.log.evicted,
      links,
    };
  }
}
