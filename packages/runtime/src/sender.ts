/**
 * `createSender`: core's {@link SenderEngine} driven by real sockets, one timer and the clock.
 *
 * One encoder socket receives the SRT caller's datagrams in batches; each link has its own socket
 * bound to its uplink's address and `connect()`-ed to the SRTLA receiver. Every batch goes into the
 * engine with one `now`, then the engine's transmits are drained (on a link's socket, or to the
 * encoder's latest source address) and its events logged and published, and one timer is armed
 * at the earlier of `pollTimeout()` and the next failed link's retry. A link is in the engine
 * exactly while its socket is open: a socket that cannot be opened or fails (address gone, network
 * down) takes its link out, and is reopened after a bounded back-off.
 */
import { DeadlineTimer } from './deadline-timer.js';
import {
  AdaptiveScheduler,
  ClassicScheduler,
  ENCODER,
  SenderEngine,
  type ReceiverKind,
  type SenderEvent,
  type SenderLinkStats,
  type SenderStats,
} from '@bond/core';
import {
  COUNTER_COUNT,
  createReceiveBatch,
  readCounters,
  type BackendName,
  type BatchSocket,
  type CounterName,
  type Address,
  type IoBackend,
  type ReceiveBatch,
} from '@bond/io';
import type { BondError, InterfaceKind } from '@bond/wire';
import { cryptoRandom, monotonicClock, type Clock } from './clock.js';
import { publish, senderChannels } from './diagnostics.js';
import { RuntimeOptionError, SenderClosedError, UnknownLinkError } from './errors.js';
import { selectIoBackend, warnOnDgramFallback } from './io-selection.js';
import { warnOnCappedReceiveBuffer } from './receive-buffer.js';
import { silentRuntimeLogger, type RuntimeLogger } from './logger.js';
import { DEFAULT_RECEIVE_BUFFER } from './host-options.js';
import { SenderLinkSocket, type SenderLinkSocketStats } from './sender-link-socket.js';
import {
  checkSenderOptions,
  linksFamily,
  resolveReceiver,
  settleLink,
  type CreateSenderOptions,
  type SenderLinkConfig,
  type SenderLinkOptions,
} from './sender-options.js';

/** A link as stats show it: its settings, its socket, and core's view while the socket is open. */
export interface SenderLinkSnapshot {
  readonly id: number;
  readonly name: string;
  readonly bindAddress: string;
  readonly priority: number;
  readonly kind: InterfaceKind;
  readonly socket: SenderLinkSocketStats;
  /** Core's view of the link; undefined while its socket is not open. */
  readonly engine: SenderLinkStats | undefined;
}

/** Everything the sender knows, as plain data (safe to serialise). */
export interface SenderSnapshot extends Omit<SenderStats, 'links'> {
  readonly uptimeMs: number;
  /** The encoder socket's address (`127.0.0.1:5000`). */
  readonly listen: string;
  readonly backend: BackendName;
  /** The SRTLA receiver's address. */
  readonly receiver: string;
  /** What the links' keepalive echoes say: `bond` if any link says so, else `legacy`, else `unknown`. */
  readonly receiverKind: ReceiverKind;
  /** The encoder's latest source address: where replies go. */
  readonly encoder: string | undefined;
  /** Replies for the encoder dropped because it had not sent anything yet. */
  readonly droppedNoEncoder: number;
  /** Transmits for a link whose socket had just closed. */
  readonly droppedLinkNotOpen: number;
  readonly links: readonly SenderLinkSnapshot[];
  /** The encoder socket's counters. */
  readonly encoderSocket: Readonly<Record<CounterName, number>>;
}

/** A running sender. */
export interface Sender {
  /** The bound encoder-facing endpoint (with the port the system chose for port 0). */
  readonly local: Address;
  /** The IO backend in use, and why it was chosen. */
  readonly backend: BackendName;
  readonly backendReason: string;
  /** The SRTLA receiver, resolved. */
  readonly receiver: Address;
  /**
   * Adds a link and opens its socket; resolves with its id once the socket is open or has failed
   * (a failed link is retried, see `stats().links[i].socket`). Rejects with `RuntimeOptionError`
   * for invalid settings and `SenderClosedError` after `close()`.
   */
  addLink(link: SenderLinkOptions): Promise<number>;
  /** Removes a link and closes its socket. Rejects with `UnknownLinkError` for an unknown id. */
  removeLink(id: number): Promise<void>;
  /** Changes a link's priority (percent; 0 carries no data). Throws `UnknownLinkError`. */
  setLinkPriority(id: number, priority: number): void;
  /** A snapshot of the engine, every link and its socket. */
  stats(): SenderSnapshot;
  /** Closes every socket and the timer. Idempotent; nothing runs after it resolves. */
  close(): Promise<void>;
}

/** Link errors that mean the uplink is gone: close its socket, reopen later. */
const LINK_GONE_ERRNOS: ReadonlySet<string> = new Set([
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'ENETUNREACH',
  'ENODEV',
]);

const DEFAULT_LINK_RETRY_MS = 1000;
const DEFAULT_LINK_RETRY_MAX_MS = 30_000;

/** Starts a sender: resolves the receiver, binds the encoder socket, opens every link, and runs. */
export async function createSender(options: CreateSenderOptions): Promise<Sender> {
  const schedulerName = checkSenderOptions(options);
  const logger = options.logger ?? silentRuntimeLogger;
  const receiver = await resolveReceiver(
    options.receiver.host,
    options.receiver.port,
    linksFamily(options.links),
  );
  const usedIds = new Set<number>();
  const links = options.links.map((link) => {
    const config = settleLink(link, receiver.family, usedIds);
    usedIds.add(config.id);
    return config;
  });
  const selection =
    options.io === undefined
      ? warnOnDgramFallback(await selectIoBackend(options.backend), logger)
      : { backend: options.io, reason: `${options.io.name}: given by the caller` };
  const io = selection.backend;
  const engine = new SenderEngine({
    random: options.random ?? cryptoRandom,
    scheduler: schedulerName === 'classic' ? new ClassicScheduler() : new AdaptiveScheduler(),
    ...defined('linkTimeoutMs', options.linkTimeoutMs),
    ...defined('keepaliveIntervalMs', options.keepaliveIntervalMs),
    ...defined('telemetry', options.telemetry),
  });
  const runtime = new SenderRuntime(engine, io, options, logger, receiver);
  await runtime.listen();
  logger.info('sender listening', {
    listen: runtime.local.toString(),
    backend: io.name,
    backendReason: selection.reason,
    receiver: receiver.toString(),
    scheduler: schedulerName,
  });
  await Promise.all(links.map((config) => runtime.addLink(config)));
  return {
    local: runtime.local,
    backend: io.name,
    backendReason: selection.reason,
    receiver,
    async addLink(link) {
      if (runtime.isClosed) throw new SenderClosedError('add a link');
      const config = settleLink(link, receiver.family, runtime.linkIds());
      await runtime.addLink(config);
      return config.id;
    },
    removeLink: (id) => runtime.removeLink(id),
    setLinkPriority: (id, priority) => {
      runtime.setLinkPriority(id, priority);
    },
    stats: () => runtime.stats(),
    close: () => runtime.close(),
  };
}

/** `{ [name]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
function defined<K extends string, V>(name: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, V>);
}

class SenderRuntime {
  private readonly clock: Clock;
  private readonly startedAt: number;
  /** The encoder socket's receive batch. */
  private readonly batch: ReceiveBatch;
  /**
   * The link sockets' receive batch (one for all: a callback's datagrams are handled before it
   * returns). Apart from the encoder's, so that the encoder's rows keep their reused views of
   * full-size data packets instead of trading them with the links' ACKs, whose sizes differ.
   */
  private readonly linkBatch: ReceiveBatch;
  private readonly links = new Map<number, SenderLinkSocket>();
  private readonly retryMs: number;
  private readonly retryMaxMs: number;
  private socket: BatchSocket | undefined;
  private encoder: Address | undefined;
  private readonly timer: DeadlineTimer;
  private closed: Promise<void> | undefined;
  private listenName = '';
  private droppedNoEncoder = 0;
  private droppedLinkNotOpen = 0;

  constructor(
    private readonly engine: SenderEngine,
    private readonly io: IoBackend,
    private readonly options: CreateSenderOptions,
    private readonly logger: RuntimeLogger,
    private readonly receiver: Address,
  ) {
    this.clock = options.clock ?? monotonicClock;
    this.timer = new DeadlineTimer(this.clock, this.onTimer);
    this.startedAt = this.clock();
    this.batch = createReceiveBatch({ maxBatch: options.maxBatch ?? 64, slotSize: 2048 });
    this.linkBatch = createReceiveBatch({ maxBatch: options.maxBatch ?? 64, slotSize: 2048 });
    this.retryMs = options.linkRetryMs ?? DEFAULT_LINK_RETRY_MS;
    this.retryMaxMs = Math.max(this.retryMs, options.linkRetryMaxMs ?? DEFAULT_LINK_RETRY_MAX_MS);
  }

  get local(): Address {
    if (this.socket === undefined) throw new Error('sender is not listening');
    return this.socket.local;
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  linkIds(): ReadonlySet<number> {
    return new Set(this.links.keys());
  }

  async listen(): Promise<void> {
    const { listen, sendBufferSize } = this.options;
    this.socket = await this.io.open({
      address: listen.address ?? '127.0.0.1',
      port: listen.port,
      batch: this.batch,
      onBatch: this.onEncoderBatch,
      onError: this.onEncoderError,
      receiveBufferSize: this.options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER,
      ...(sendBufferSize === undefined ? {} : { sendBufferSize }),
    });
    this.listenName = this.socket.local.toString();
    warnOnCappedReceiveBuffer(
      this.socket,
      this.options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER,
      'encoder socket',
      this.logger,
    );
  }

  // ---------------------------------------------------------------- links

  async addLink(config: SenderLinkConfig): Promise<void> {
    const link: SenderLinkSocket = new SenderLinkSocket(
      config,
      {
        io: this.io,
        receiver: this.receiver,
        batch: this.linkBatch,
        onBatch: (batch, count) => {
          this.onLinkBatch(link, batch, count);
        },
        onError: (error) => {
          this.onLinkError(link, error);
        },
        sendBufferSize: this.options.sendBufferSize,
      },
      this.retryMs,
    );
    this.links.set(config.id, link);
    await this.openLink(link);
  }

  private async openLink(link: SenderLinkSocket): Promise<void> {
    const socket = await link.open();
    if (this.closed !== undefined || this.links.get(link.config.id) !== link) return;
    const now = this.clock();
    if (socket === undefined) {
      if (link.state === 'failed') this.scheduleRetry(now, link, 'cannot open its socket');
      this.armTimer();
      return;
    }
    const { id, name, priority, kind } = link.config;
    link.inEngine = true;
    this.engine.addLink(now, { id, name, priority, kind });
    this.logger.info('link socket open', {
      linkId: id,
      name,
      local: socket.local.toString(),
    });
    this.drain(now);
  }

  /** Takes a failed link out of the engine and closes its socket; it is reopened later. */
  private async failLink(link: SenderLinkSocket, error: Error): Promise<void> {
    if (link.state === 'failed' || link.state === 'closed') return;
    const now = this.clock();
    if (link.inEngine) {
      link.inEngine = false;
      this.engine.removeLink(now, link.config.id);
      this.drain(now);
    }
    await link.release('failed', error);
    if (this.closed !== undefined || this.links.get(link.config.id) !== link) return;
    this.scheduleRetry(this.clock(), link, 'its socket failed');
    this.armTimer();
  }

  private scheduleRetry(now: number, link: SenderLinkSocket, what: string): void {
    const wait = link.backoffMs;
    link.backoffMs = Math.min(this.retryMaxMs, wait * 2);
    link.retryAt = now + wait;
    const reason = link.failure?.message ?? 'unknown error';
    this.logger.warn(`link failed: ${what}; retrying`, {
      linkId: link.config.id,
      name: link.config.name,
      bindAddress: link.config.bindAddress,
      error: reason,
      retryInMs: wait,
    });
    publish(senderChannels.linkFailed, () => ({
      sender: this.listenName,
      linkId: link.config.id,
      name: link.config.name,
      reason,
      retryInMs: wait,
    }));
  }

  async removeLink(id: number): Promise<void> {
    const link = this.links.get(id);
    if (link === undefined) throw new UnknownLinkError(id);
    this.links.delete(id);
    if (link.inEngine && this.closed === undefined) {
      link.inEngine = false;
      const now = this.clock();
      this.engine.removeLink(now, id);
      this.drain(now);
    }
    await link.release('closed');
    this.logger.info('link removed', { linkId: id, name: link.config.name });
  }

  setLinkPriority(id: number, priority: number): void {
    const link = this.links.get(id);
    if (link === undefined) throw new UnknownLinkError(id);
    if (!(Number.isFinite(priority) && priority >= 0)) {
      throw new RuntimeOptionError(
        `link priority must be a percentage >= 0, got ${String(priority)}`,
      );
    }
    link.config = { ...link.config, priority };
    if (link.inEngine) this.engine.setLinkPriority(id, priority);
  }

  // ---------------------------------------------------------------- inputs

  /** Every datagram is handed to core and drained before the shared slab is reused. */
  private readonly onEncoderBatch = (batch: ReceiveBatch, count: number): void => {
    if (this.closed !== undefined || count === 0) return;
    const now = this.clock();
    const last = count - 1;
    if (this.encoder === undefined || !batch.isFrom(last, this.encoder)) {
      this.encoder = batch.source(last);
    }
    // Reused views (no object per datagram): the engine is drained before this returns.
    for (let i = 0; i < count; i++) this.engine.handleEncoderDatagram(now, batch.view(i));
    this.drain(now);
  };

  private onLinkBatch(link: SenderLinkSocket, batch: ReceiveBatch, count: number): void {
    if (this.closed !== undefined || !link.inEngine) return;
    const now = this.clock();
    const id = link.config.id;
    for (let i = 0; i < count; i++) this.engine.handleLinkDatagram(now, id, batch.view(i));
    this.drain(now);
  }

  private readonly onEncoderError = (error: BondError): void => {
    // The encoder socket stays open; a failed reply is the encoder's loss (SRT retransmits).
    this.logger.debug('encoder socket error', { code: error.code, error: error.message });
  };

  private readonly onInternalError = (error: unknown): void => {
    this.logger.error('link socket handling failed', { error: String(error) });
  };

  private onLinkError(link: SenderLinkSocket, error: BondError): void {
    if (this.closed !== undefined) return;
    const errno = (error as { errno?: unknown }).errno;
    if (typeof errno === 'string' && LINK_GONE_ERRNOS.has(errno)) {
      this.failLink(link, error).catch(this.onInternalError);
      return;
    }
    // ECONNREFUSED and the like: the receiver is not there right now; registration retries.
    this.logger.debug('link socket error', {
      linkId: link.config.id,
      code: error.code,
      error: error.message,
    });
  }

  private readonly onTimer = (): void => {
    if (this.closed !== undefined) return;
    const now = this.clock();
    for (const link of this.links.values()) {
      if (link.state === 'failed' && link.retryAt !== undefined && link.retryAt <= now) {
        this.openLink(link).catch(this.onInternalError);
      }
    }
    this.engine.handleTimeout(now);
    this.drain(now);
  };

  // ---------------------------------------------------------------- outputs

  /**
   * Transmits, then events, then the timer. Datagrams for the links leave in the order core gave
   * them: each socket batches its datagrams until the end of the turn, so when the next one is for
   * another link, the previous link's batch is sent first. Otherwise a turn with several packets
   * (a burst, SRT's retransmissions) would send link A's share before link B's, reordering the
   * stream on paths of equal delay; an SRT receiver reports every gap as loss at once, and the
   * caller retransmits what was only late.
   */
  private drain(now: number): void {
    let previous: SenderLinkSocket | undefined;
    for (let t = this.engine.pollTransmit(); t; t = this.engine.pollTransmit()) {
      if (t.linkId === ENCODER) {
        if (this.encoder === undefined || this.socket === undefined) this.droppedNoEncoder++;
        else this.socket.send(t.bytes, this.encoder);
        continue;
      }
      const link = this.links.get(t.linkId);
      if (link !== previous) {
        previous?.flush();
        previous = link;
      }
      if (link?.send(t.bytes) !== true) this.droppedLinkNotOpen++;
    }
    for (let event = this.engine.pollEvent(); event; event = this.engine.pollEvent()) {
      this.onEvent(now, event);
    }
    this.armTimer();
  }

  private armTimer(): void {
    let due = this.engine.pollTimeout();
    for (const link of this.links.values()) {
      if (link.state === 'failed' && link.retryAt !== undefined) {
        due = due === undefined ? link.retryAt : Math.min(due, link.retryAt);
      }
    }
    this.timer.arm(this.closed === undefined ? due : undefined);
  }

  private onEvent(_now: number, event: SenderEvent): void {
    const sender = this.listenName;
    switch (event.type) {
      case 'registered': {
        const name = this.nameOf(event.linkId);
        this.logger.info('group registered', { linkId: event.linkId, name });
        publish(senderChannels.registered, () => ({ sender, linkId: event.linkId, name }));
        return;
      }
      case 'link-up': {
        const name = this.nameOf(event.linkId);
        const link = this.links.get(event.linkId);
        if (link !== undefined) link.backoffMs = this.retryMs;
        this.logger.info('link up', { linkId: event.linkId, name });
        publish(senderChannels.linkUp, () => ({ sender, linkId: event.linkId, name }));
        return;
      }
      case 'link-down': {
        const name = this.nameOf(event.linkId);
        this.logger.info('link down', { linkId: event.linkId, name, reason: event.reason });
        publish(senderChannels.linkDown, () => ({
          sender,
          linkId: event.linkId,
          name,
          reason: event.reason,
        }));
        return;
      }
      case 'bootstrap': {
        // A retry of a bootstrap nobody answered repeats every few seconds while the receiver is
        // silent: debug (the app says once that the receiver is not answering).
        if (event.retry) this.logger.debug('registering a new group', { reason: event.reason });
        else this.logger.info('registering a new group', { reason: event.reason });
        publish(senderChannels.bootstrap, () => ({ sender, reason: event.reason }));
        return;
      }
      case 'refused': {
        this.logger.error(
          `the receiver refused this stream: ${event.reason}; trying again in ${Math.round(event.retryInMs / 1000)} s (check the receiver's address and that it accepts this sender)`,
          { reason: event.reason, retryInMs: event.retryInMs },
        );
        publish(senderChannels.refused, () => ({ sender, reason: event.reason }));
        return;
      }
      case 'registration-error': {
        const name = this.nameOf(event.linkId);
        this.logger.warn('receiver answered REG_ERR; retrying', {
          linkId: event.linkId,
          name,
          retryInMs: event.retryInMs,
        });
        publish(senderChannels.registrationError, () => ({
          sender,
          linkId: event.linkId,
          name,
          retryInMs: event.retryInMs,
        }));
        return;
      }
      case 'receiver-kind': {
        const name = this.nameOf(event.linkId);
        this.logger.info('receiver kind', { linkId: event.linkId, name, kind: event.kind });
        publish(senderChannels.receiverKind, () => ({
          sender,
          linkId: event.linkId,
          name,
          kind: event.kind,
        }));
        return;
      }
    }
  }

  private nameOf(linkId: number): string {
    return this.links.get(linkId)?.config.name ?? String(linkId);
  }

  // ---------------------------------------------------------------- stats and close

  stats(): SenderSnapshot {
    const now = this.clock();
    const { links: coreLinks, ...core } = this.engine.stats(now);
    const byId = new Map(coreLinks.map((link) => [link.id, link]));
    const links = [...this.links.values()].map((link) => ({
      id: link.config.id,
      name: link.config.name,
      bindAddress: link.config.bindAddress,
      priority: link.config.priority,
      kind: link.config.kind,
      socket: link.stats(now),
      engine: byId.get(link.config.id),
    }));
    let receiverKind: ReceiverKind = 'unknown';
    for (const link of coreLinks) {
      if (link.receiver === 'bond') receiverKind = 'bond';
      else if (link.receiver === 'legacy' && receiverKind === 'unknown') receiverKind = 'legacy';
    }
    return {
      ...core,
      uptimeMs: now - this.startedAt,
      listen: this.listenName,
      backend: this.io.name,
      receiver: this.receiver.toString(),
      receiverKind,
      encoder: this.encoder?.toString(),
      droppedNoEncoder: this.droppedNoEncoder,
      droppedLinkNotOpen: this.droppedLinkNotOpen,
      links,
      encoderSocket: readCounters(this.socket?.counters ?? new Float64Array(COUNTER_COUNT)),
    };
  }

  close(): Promise<void> {
    this.closed ??= this.closeOnce();
    return this.closed;
  }

  private async closeOnce(): Promise<void> {
    this.timer.clear();
    const sockets: Promise<void>[] = [];
    if (this.socket !== undefined) sockets.push(this.socket.close());
    for (const link of this.links.values()) sockets.push(link.release('closed'));
    await Promise.all(sockets);
    this.logger.info('sender closed', { listen: this.listenName });
  }
}
