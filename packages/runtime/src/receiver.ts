/**
 * `createReceiver`: core's {@link ReceiverEngine} driven by real sockets, one timer and the clock.
 *
 * One listening socket (dual-stack by default) receives batches from every sender; each batch goes
 * into the engine with one `now`, then the engine's transmits are drained (replies to senders on
 * the listening socket, SRT to each group's upstream socket) and one timer is armed at
 * `pollTimeout()`. A group gets its own `connect()`-ed upstream socket on its first SRT packet (a
 * handshake counts; registration alone opens nothing, so a registration flood costs no sockets)
 * and loses it when it is removed. An upstream socket the SRT listener refuses (ECONNREFUSED: nothing
 * listens) keeps its group, so the stream resumes when the listener is back (a pending group
 * expires by its pending timeout); the refusal is published on `receiverChannels.upstreamError`
 * for whoever watches the listener's state. A handshake rejection from the listener is logged in
 * words once per group and counted by reason.
 */
import { DeadlineTimer } from './deadline-timer.js';
import {
  ReceiverEngine,
  ReceiverTarget,
  createPassThroughForwardPath,
  createReorderForwardPath,
  type ForwardPathFactory,
  type ReceiverEvent,
  type ReceiverGroupStats,
} from '@bond/core';
import {
  AddressTable,
  BindError,
  COUNTER_COUNT,
  Counter,
  createReceiveBatch,
  readCounters,
  type BackendName,
  type BatchSocket,
  type CounterName,
  type Address,
  type IoBackend,
  type ReceiveBatch,
} from '@bond/io';
import {
  SRT_HEADER_LENGTH,
  describeSrtRejection,
  peekSrtDestinationSocketId,
  type BondError,
  type SrtRejection,
} from '@bond/wire';
import { cryptoRandom, monotonicClock } from './clock.js';
import { publish, receiverChannels } from './diagnostics.js';
import { selectIoBackend, warnOnDgramFallback } from './io-selection.js';
import { warnOnCappedReceiveBuffer } from './receive-buffer.js';
import { silentRuntimeLogger, type RuntimeLogger } from './logger.js';
import { DEFAULT_RECEIVE_BUFFER } from './host-options.js';
import {
  checkReceiverOptions,
  checkReorder,
  formatReorder,
  type CreateReceiverOptions,
  type ReorderSetting,
} from './receiver-options.js';
import type { ReceiverClusterHooks, ReceiverClusterPort } from './receiver-cluster.js';
import { UpstreamSocket, type UpstreamSocketStats } from './upstream-socket.js';
import {
  DEFAULT_STREAM_LABEL,
  checkStreamLabelMode,
  streamLabel,
  type StreamLabelMode,
} from './stream-label.js';
import { resolveUpstream } from './upstream-address.js';
import { warmUpListeningPath, warmUpRegistration } from './warm-up.js';

/** Streams the SRT listener rejected for one reason. */
export interface SrtRejectionCount extends SrtRejection {
  /** Groups (streams) it rejected for this reason, each counted once. */
  readonly streams: number;
}

/**
 * A group as stats show it: core's view plus its upstream socket, with the raw stream id replaced
 * by its label.
 */
export interface ReceiverGroupSnapshot extends Omit<ReceiverGroupStats, 'streamId'> {
  /**
   * The stream's name: the SRT stream id from the caller's conclusion handshake as the receiver's
   * `streamLabel` mode shows it (redacted by default); null until a stream id passed (or when the
   * caller sends none).
   */
  readonly stream: string | null;
  readonly upstream: UpstreamSocketStats;
}

/** Everything the receiver knows, as plain data (safe to serialise). */
export interface ReceiverSnapshot {
  readonly uptimeMs: number;
  /** The listening socket's address (`[::]:5000`). */
  readonly listen: string;
  readonly backend: BackendName;
  /** Where new groups forward to. */
  readonly upstream: string;
  readonly reorder: string;
  /** How stream ids are shown (`stream` of each group). */
  readonly streamLabel: StreamLabelMode;
  readonly limits: {
    readonly maxGroups: number;
    readonly maxLinksPerGroup: number;
    readonly linkTimeoutMs: number;
    readonly groupTimeoutMs: number;
    readonly pendingGroupTimeoutMs: number;
    readonly maxPendingGroupsPerIp: number;
  };
  readonly groups: readonly ReceiverGroupSnapshot[];
  readonly registration: {
    readonly reg1Received: number;
    readonly reg2Received: number;
    readonly regErrSent: number;
    readonly regNgpSent: number;
    readonly groupsCreated: number;
    /** Groups evicted or replaced before they carried SRT (per-source limits, a full table). */
    readonly groupsEvicted: number;
    readonly groupsRemoved: number;
    /** REG2 with an id this receiver issued too long ago (answered "no such group"). */
    readonly reg2Expired: number;
    /** REG2 with an id this receiver never issued: forged, from before a restart, probes. */
    readonly reg2Unverified: number;
    /** Groups registered that carried no SRT yet (they have no upstream socket). */
    readonly pendingGroups: number;
    /** Source IPs holding pending groups. */
    readonly pendingSourceIps: number;
    /** Links that joined a stream from a network none of its other links used (logged at warn). */
    readonly newNetworkJoins: number;
  };
  /** Streams the SRT listener rejected, by reason (in code order). */
  readonly srtRejections: readonly SrtRejectionCount[];
  /** Datagrams dropped, by cause. */
  readonly dropped: {
    /** From addresses that are no link (and not REG1/REG2). */
    readonly unregistered: number;
    /** Shorter than an SRT header. */
    readonly short: number;
    /** SRTLA types never forwarded to the SRT listener. */
    readonly srtla: number;
    /** From the SRT listener for groups that are gone, or not SRT. */
    readonly upstream: number;
    /** For a group whose upstream socket was not open (still opening past its queue, or failed). */
    readonly upstreamNotReady: number;
    /** Upstream sends that failed (refused, unreachable). */
    readonly upstreamSendErrors: number;
    /** Dropped by the kernel: a send queue was full. */
    readonly sendQueueFull: number;
    /** Larger than a receive slot. */
    readonly truncated: number;
  };
  /** Totals since start, closed groups included. */
  readonly totals: {
    readonly datagramsReceived: number;
    readonly bytesReceived: number;
    readonly forwardedToListener: number;
    readonly forwardedBytesToListener: number;
    readonly fromListener: number;
    readonly sentToSenders: number;
  };
  /** The listening socket's counters. */
  readonly listenSocket: Readonly<Record<CounterName, number>>;
}

/**
 * What {@link Receiver.configure} may change on a running receiver; absent fields keep their value.
 */
export interface ReceiverReconfiguration {
  readonly maxGroups?: number;
  readonly maxLinksPerGroup?: number;
  readonly linkTimeoutMs?: number;
  readonly groupTimeoutMs?: number;
  readonly pendingGroupTimeoutMs?: number;
  readonly maxPendingGroupsPerIp?: number;
  readonly reorder?: ReorderSetting;
}

/** A running receiver. */
export interface Receiver {
  /** The bound listening endpoint (with the port the system chose for port 0). */
  readonly local: Address;
  /** The IO backend in use, and why it was chosen. */
  readonly backend: BackendName;
  readonly backendReason: string;
  /** The SRT listener new groups connect to. */
  upstream(): Address;
  /**
   * Points groups created from now on at another SRT listener (resolving `host`); existing groups
   * keep theirs. Rejects with `UpstreamResolveError` and changes nothing when `host` does not
   * resolve.
   */
  setUpstream(host: string, port: number): Promise<Address>;
  /**
   * Changes limits, timeouts or the reorder setting while running, for existing and new groups.
   * Every value is checked first: an invalid one throws (`RuntimeOptionError` or core's
   * `InvalidConfigError`) and changes nothing. A lower limit refuses new groups or links and drops
   * none; a changed reorder setting releases what each group holds, in order, then holds anew.
   * Timeouts apply from the next housekeeping tick (about a second). Ignored after `close()`.
   */
  configure(update: ReceiverReconfiguration): void;
  /** A snapshot of every group, link and counter. */
  stats(): ReceiverSnapshot;
  /**
   * The same snapshot with its groups handed to `visit` one at a time instead of listed (`groups`
   * of the result is empty). What `/metrics` reads: at thousands of groups, one array of every
   * group's snapshot lives through the young collections of a scrape and is promoted, where a
   * group read and dropped in turn dies young. `visit` must not call back into the receiver.
   */
  statsEach(visit: (group: ReceiverGroupSnapshot) => void): ReceiverSnapshot;
  /**
   * Datagrams received from the SRT listener so far, by live group id: what `stats()` gives as
   * `groups[i].upstream.datagramsReceived`, without building the whole snapshot (cheap enough to
   * call every fraction of a second with thousands of groups).
   */
  listenerTraffic(): Map<number, number>;
  /** Closes every socket and the timer. Idempotent; nothing runs after it resolves. */
  close(): Promise<void>;
}

/** 10 refusals logged per 10 s at most, then one line saying how many were not. */
const REFUSAL_LOG_BURST = 10;
const REFUSAL_LOG_WINDOW_MS = 10_000;

/** Starts a receiver: resolves the SRT listener, binds the listening socket, and runs. */
export async function createReceiver(options: CreateReceiverOptions): Promise<Receiver> {
  const reorder = checkReceiverOptions(options);
  const labelMode = checkStreamLabelMode(options.streamLabel ?? DEFAULT_STREAM_LABEL);
  const logger = options.logger ?? silentRuntimeLogger;
  let upstreamTarget = await resolveUpstream(options.upstream.host, options.upstream.port);
  const selection =
    options.io === undefined
      ? warnOnDgramFallback(await selectIoBackend(options.backend), logger)
      : { backend: options.io, reason: `${options.io.name}: given by the caller` };
  const io = selection.backend;
  warmUpRegistration();
  const engine = new ReceiverEngine({
    random: options.random ?? cryptoRandom,
    ...defined('maxGroups', options.maxGroups),
    ...defined('maxLinksPerGroup', options.maxLinksPerGroup),
    ...defined('linkTimeoutMs', options.linkTimeoutMs),
    ...defined('groupTimeoutMs', options.groupTimeoutMs),
    ...defined('pendingGroupTimeoutMs', options.pendingGroupTimeoutMs),
    ...defined('maxPendingGroupsPerIp', options.maxPendingGroupsPerIp),
    ...defined('housekeepingIntervalMs', options.housekeepingIntervalMs),
    ...defined('forwardPath', forwardPathFor(reorder)),
    ...(options.cluster === undefined
      ? {}
      : {
          cluster: {
            cookieKeys: options.cluster.cookieKeys,
            nodeIndex: options.cluster.nodeIndex,
          },
        }),
  });
  const runtime = new ReceiverRuntime(
    engine,
    io,
    options,
    logger,
    reorder,
    () => upstreamTarget,
    labelMode,
  );
  await runtime.listen();
  if (options.cluster !== undefined) {
    try {
      runtime.attachCluster(options.cluster.attach(runtime.clusterPort()));
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }
  await runtime.warmUp();
  logger.info('receiver listening', {
    listen: runtime.local.toString(),
    backend: io.name,
    backendReason: selection.reason,
    upstream: upstreamTarget.toString(),
    reorder: formatReorder(reorder),
  });
  return {
    local: runtime.local,
    backend: io.name,
    backendReason: selection.reason,
    upstream: () => upstreamTarget,
    async setUpstream(host, port) {
      const next = await resolveUpstream(host, port);
      if (!next.equals(upstreamTarget)) {
        logger.info('SRT listener changed for new groups', {
          from: upstreamTarget.toString(),
          to: next.toString(),
        });
      }
      upstreamTarget = next;
      return next;
    },
    configure: (update) => {
      runtime.configure(update);
    },
    stats: () => runtime.stats(),
    statsEach: (visit) => runtime.stats(visit),
    listenerTraffic: () => runtime.listenerTraffic(),
    close: () => runtime.close(),
  };
}

function forwardPathFor(reorder: ReorderSetting): ForwardPathFactory {
  if (reorder === 'off') return createPassThroughForwardPath;
  if (reorder === 'auto') return createReorderForwardPath({ mode: 'auto' });
  // A fixed hold longer than the engine's default cap (500 ms) raises the cap to match.
  return createReorderForwardPath({
    mode: reorder,
    maxHoldMs: Math.max(500, reorder.fixedMs),
  });
}

/** `{ [name]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
function defined<K extends string, V>(name: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, V>);
}

interface ClosedTotals {
  forwarded: number;
  forwardedBytes: number;
  fromListener: number;
  sendErrors: number;
  sendDropped: number;
  notReady: number;
}

class ReceiverRuntime {
  private readonly clock: () => number;
  private readonly startedAt: number;
  private readonly batch: ReceiveBatch;
  private readonly peers = new AddressTable();
  private readonly upstreams = new Map<number, UpstreamSocket>();
  /** Group -> the SRT caller's socket id last told to the cluster node (cluster nodes only). */
  private readonly srtPeers = new Map<number, number>();
  private readonly closing = new Set<Promise<void>>();
  private readonly closedTotals: ClosedTotals = {
    forwarded: 0,
    forwardedBytes: 0,
    fromListener: 0,
    sendErrors: 0,
    sendDropped: 0,
    notReady: 0,
  };
  private socket: BatchSocket | undefined;
  private readonly timer: DeadlineTimer;
  private closed: Promise<void> | undefined;
  private groupsRemoved = 0;
  private sentToSenders = 0;
  private refusalWindowStart = -Infinity;
  private refusalsLogged = 0;
  private refusalsSuppressed = 0;
  private listenName = '';
  /** The warm-up's share of the listening socket's counters and of the REG1 count. */
  private warmUpCounters: Float64Array | undefined;
  private warmUpReg1 = 0;
  private warmUpSentToSenders = 0;
  /** Each named group's stream label, for log lines about the group. */
  private readonly streams = new Map<number, string>();
  /** Groups whose refusal by the SRT listener was logged (until the listener answers them). */
  private readonly refusedGroups = new Set<number>();
  /** A cluster node's hooks (issue 14), when the receiver is one. */
  private cluster: ReceiverClusterHooks | undefined;

  constructor(
    private readonly engine: ReceiverEngine,
    private readonly io: IoBackend,
    private readonly options: CreateReceiverOptions,
    private readonly logger: RuntimeLogger,
    private reorder: ReorderSetting,
    private readonly upstreamTarget: () => Address,
    private readonly labelMode: StreamLabelMode,
  ) {
    this.clock = options.clock ?? monotonicClock;
    this.timer = new DeadlineTimer(this.clock, this.onTimer);
    this.startedAt = this.clock();
    this.batch = createReceiveBatch({ maxBatch: options.maxBatch ?? 64, slotSize: 2048 });
  }

  get local(): Address {
    if (this.socket === undefined) throw new Error('receiver is not listening');
    return this.socket.local;
  }

  async listen(): Promise<void> {
    const address = this.options.address ?? '::';
    const open = (bindAddress: string) =>
      this.io.open({
        address: bindAddress,
        port: this.options.port,
        ...(this.options.ipv6Only === undefined ? {} : { ipv6Only: this.options.ipv6Only }),
        ...(this.options.reusePort === true ? { reusePort: true } : {}),
        batch: this.batch,
        onBatch: this.onListenBatch,
        onError: this.onListenError,
        receiveBufferSize: this.options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER,
        ...(this.options.sendBufferSize === undefined
          ? {}
          : { sendBufferSize: this.options.sendBufferSize }),
      });
    try {
      this.socket = await open(address);
    } catch (error) {
      // A host without IPv6 cannot bind the default `::`: listen on IPv4 only, and say so.
      const noIpv6 =
        error instanceof BindError &&
        (error.errno === 'EAFNOSUPPORT' || error.errno === 'EADDRNOTAVAIL');
      if (this.options.address !== undefined || !noIpv6) throw error;
      this.logger.warn('IPv6 unavailable: listening on IPv4 only', { error: error.message });
      this.socket = await open('0.0.0.0');
    }
    this.listenName = this.socket.local.toString();
    warnOnCappedReceiveBuffer(
      this.socket,
      this.options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER,
      'SRTLA listening socket',
      this.logger,
    );
  }

  /**
   * Runs REG1 through the real listening path before the first sender comes (warm-up.ts), then
   * takes its datagrams out of what the stats report: the counters start at zero for users. Runs
   * after a cluster node's hooks are attached, so a real REG2 arriving meanwhile is routed as
   * always. Skipped with `warmUp: false`, `reusePort` (another process could answer) and the
   * memory backend.
   */
  async warmUp(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || this.options.warmUp === false) return;
    if (this.options.reusePort === true || this.io.name === 'memory') return;
    const done = await warmUpListeningPath(socket.local, this.options.ipv6Only === true);
    // What arrives from real senders during these few tens of milliseconds is taken out too.
    this.warmUpCounters = Float64Array.from(socket.counters);
    this.warmUpCounters[Counter.lastSendErrno] = 0;
    this.warmUpSentToSenders = this.sentToSenders;
    this.warmUpReg1 = this.engine.stats(this.clock()).reg1Received;
    if (done.answered === 0) {
      // Its counters are still taken out above: a REG1 the socket heard but answered late.
      this.logger.debug('listening path not warmed up: no answer over loopback, starting cold', {
        listen: socket.local.toString(),
        reg1Sent: done.sent,
        ms: Math.round(done.ms),
      });
      return;
    }
    this.logger.debug('listening path warmed up', {
      reg1Sent: done.sent,
      answered: done.answered,
      ms: Math.round(done.ms),
    });
  }

  // ---------------------------------------------------------------- cluster node

  attachCluster(hooks: ReceiverClusterHooks): void {
    this.cluster = hooks;
  }

  /** What a cluster node reaches of this receiver. */
  clusterPort(): ReceiverClusterPort {
    const engine = this.engine;
    return {
      local: this.local,
      now: this.clock,
      inject: (from, bytes) => {
        if (this.closed === undefined) engine.handleDatagram(this.clock(), from, bytes);
      },
      flush: () => {
        if (this.closed === undefined) this.drain(this.clock());
      },
      sendFromListener: (to, bytes) => {
        if (this.closed !== undefined || this.socket === undefined) return;
        this.socket.send(bytes, to);
        this.sentToSenders++;
      },
      nodeOf: (id) => engine.nodeOf(id),
      isFreshId: (id) => engine.isFreshId(this.clock(), id),
      hasGroup: (id) => engine.hasGroup(id),
      hasLink: (from) => engine.hasLink(from),
      adoptGroup: (id, from) => engine.adoptGroup(this.clock(), id, from),
      dropGroup: (groupId, reason) => engine.dropGroup(groupId, reason),
    };
  }

  // ---------------------------------------------------------------- inputs

  private readonly onListenBatch = (batch: ReceiveBatch, count: number): void => {
    if (this.closed !== undefined) return;
    const now = this.clock();
    // Per datagram: the interned source and a reused view of its bytes, so a flood of REG1 (or
    // of anything hostile) allocates nothing here either. The view is valid for this call only.
    const cluster = this.cluster;
    for (let i = 0; i < count; i++) {
      const from = this.peers.fromRow(batch, i);
      const bytes = batch.view(i);
      // A cluster node routes what its own engine does not hold a link for (issue 14): one
      // link lookup for a link's datagram, the route hook for the rest.
      if (cluster !== undefined) {
        if (this.engine.handleLinkDatagram(now, from, bytes) || cluster.route(from, bytes)) {
          continue;
        }
      }
      this.engine.handleDatagram(now, from, bytes);
    }
    this.drain(now);
  };

  private upstreamBatchHandler(groupId: number) {
    return (batch: ReceiveBatch, count: number): void => {
      if (this.closed !== undefined) return;
      this.refusedGroups.delete(groupId);
      const now = this.clock();
      for (let i = 0; i < count; i++) {
        this.engine.handleUpstreamDatagram(now, groupId, batch.view(i));
      }
      if (this.cluster?.onSrtPeer !== undefined && count > 0)
        this.noteSrtPeer(groupId, batch, count);
      this.drain(now);
    };
  }

  /**
   * A cluster node learns the SRT caller's socket id of each group (the destination socket id of
   * the listener's packets), so a node adopting the group after this one died can address an SRT
   * shutdown to the caller. One look per batch: every packet after the handshake carries it.
   */
  private noteSrtPeer(groupId: number, batch: ReceiveBatch, count: number): void {
    const bytes = batch.view(count - 1);
    if (bytes.length < SRT_HEADER_LENGTH) return;
    const socketId = peekSrtDestinationSocketId(bytes);
    if (socketId === 0 || this.srtPeers.get(groupId) === socketId) return;
    this.srtPeers.set(groupId, socketId);
    this.cluster?.onSrtPeer?.(groupId, socketId);
  }

  private readonly onListenError = (error: BondError): void => {
    // The listening socket stays open; a failed reply is the sender's loss, not ours to act on.
    this.logger.debug('listening socket error', { code: error.code, error: error.message });
  };

  private upstreamErrorHandler(groupId: number) {
    return (error: BondError): void => {
      if (this.closed !== undefined) return;
      const errno = (error as { errno?: unknown }).errno;
      const listener = (this.upstreams.get(groupId)?.remote ?? this.upstreamTarget()).toString();
      publish(receiverChannels.upstreamError, () => ({
        receiver: this.listenName,
        groupId,
        address: listener,
        reason: error.message,
        ...(typeof errno === 'string' ? { errno } : {}),
      }));
      if (errno !== 'ECONNREFUSED') {
        this.logger.debug('upstream socket error', { groupId, error: error.message });
        return;
      }
      // The listener's state (one line per change) is the app's to say; the group stays, so
      // its stream resumes when the listener is back.
      if (!this.refusedGroups.has(groupId)) {
        this.refusedGroups.add(groupId);
        this.logger.debug('SRT listener refused the stream (ECONNREFUSED); keeping the group', {
          groupId,
          listener,
        });
      }
      const now = this.clock();
      this.engine.upstreamRefused(now, groupId);
      this.drain(now);
    };
  }

  private readonly onTimer = (): void => {
    if (this.closed !== undefined) return;
    const now = this.clock();
    this.engine.handleTimeout(now);
    this.drain(now);
  };

  // ---------------------------------------------------------------- outputs

  /** Events first (they open and close upstream sockets), then transmits, then the timer. */
  private drain(now: number): void {
    for (let event = this.engine.pollEvent(); event; event = this.engine.pollEvent()) {
      this.onEvent(now, event);
    }
    const socket = this.socket;
    const cluster = this.cluster;
    for (let t = this.engine.pollTransmit(); t; t = this.engine.pollTransmit()) {
      if (t.target === ReceiverTarget.Link) {
        if (t.address !== undefined && socket !== undefined) {
          this.sentToSenders++;
          if (cluster?.sendToLink?.(t.address, t.bytes) === true) continue;
          socket.send(t.bytes, t.address);
        }
      } else {
        const upstream = this.upstreams.get(t.groupId);
        if (upstream === undefined) this.closedTotals.notReady++;
        else upstream.send(t.bytes);
      }
    }
    this.armTimer();
  }

  private armTimer(): void {
    this.timer.arm(this.engine.pollTimeout());
  }

  private onEvent(now: number, event: ReceiverEvent): void {
    this.handleEvent(now, event);
    this.cluster?.onEvent?.(event);
  }

  private handleEvent(now: number, event: ReceiverEvent): void {
    const receiver = this.listenName;
    switch (event.type) {
      case 'group-created': {
        // No socket yet: the group opens one on its first SRT packet ('group-active').
        const address = event.address.toString();
        this.logger.info('group created', { groupId: event.groupId, from: address });
        publish(receiverChannels.groupCreated, () => ({
          receiver,
          groupId: event.groupId,
          address,
        }));
        return;
      }
      case 'group-stream': {
        const stream = streamLabel(event.streamId, this.labelMode);
        if (stream === null) return;
        const previous = this.streams.get(event.groupId);
        this.streams.set(event.groupId, stream);
        this.logger.info(previous === undefined ? 'stream identified' : 'stream renamed', {
          groupId: event.groupId,
          stream,
          ...(previous === undefined ? {} : { previous }),
        });
        publish(receiverChannels.groupStream, () => ({ receiver, groupId: event.groupId, stream }));
        return;
      }
      case 'link-named': {
        const address = event.address.toString();
        this.logger.info('uplink named by the sender', {
          groupId: event.groupId,
          ...this.streamField(event.groupId),
          address,
          name: event.name,
        });
        return;
      }
      case 'group-active': {
        this.openUpstream(event.groupId);
        this.logger.info('group active', {
          groupId: event.groupId,
          ...this.streamField(event.groupId),
        });
        publish(receiverChannels.groupActive, () => ({ receiver, groupId: event.groupId }));
        return;
      }
      case 'link-quality': {
        const address = event.address.toString();
        this.logger.info('link quality', {
          groupId: event.groupId,
          address,
          level: event.level,
          score: event.score,
          reason: event.reason,
        });
        publish(receiverChannels.linkQuality, () => ({
          receiver,
          groupId: event.groupId,
          address,
          level: event.level,
          score: event.score,
          reason: event.reason,
        }));
        return;
      }
      case 'group-removed': {
        this.groupsRemoved++;
        this.refusedGroups.delete(event.groupId);
        this.srtPeers.delete(event.groupId);
        const upstream = this.upstreams.get(event.groupId);
        if (upstream !== undefined) {
          this.upstreams.delete(event.groupId);
          this.retire(upstream);
        }
        this.logger.info('group removed', {
          groupId: event.groupId,
          ...this.streamField(event.groupId),
          reason: event.reason,
        });
        this.streams.delete(event.groupId);
        publish(receiverChannels.groupRemoved, () => ({
          receiver,
          groupId: event.groupId,
          reason: event.reason,
        }));
        return;
      }
      case 'link-from-new-network': {
        const address = event.address.toString();
        this.logger.warn(
          'a new uplink joined this stream from a network none of its other uplinks use: normal if you added a modem or changed carrier; if not, someone who knows the group id may be adding a link (an SRT passphrase keeps forged data out)',
          { groupId: event.groupId, ...this.streamField(event.groupId), address },
        );
        publish(receiverChannels.linkFromNewNetwork, () => ({
          receiver,
          groupId: event.groupId,
          address,
        }));
        return;
      }
      case 'link-added': {
        const address = event.address.toString();
        this.logger.info('link up', { groupId: event.groupId, address });
        publish(receiverChannels.linkUp, () => ({ receiver, groupId: event.groupId, address }));
        return;
      }
      case 'link-removed': {
        const address = event.address.toString();
        this.logger.info('link down', {
          groupId: event.groupId,
          ...this.streamField(event.groupId),
          address,
          ...(event.name === undefined ? {} : { name: event.name }),
          reason: event.reason,
        });
        publish(receiverChannels.linkDown, () => ({
          receiver,
          groupId: event.groupId,
          address,
          reason: event.reason,
        }));
        return;
      }
      case 'srt-rejected': {
        const rejection = describeSrtRejection(event.code);
        const words = rejection === undefined ? String(event.code) : rejection.words;
        this.logger.warn(`the SRT server rejected the stream: ${words} (${event.code})`, {
          groupId: event.groupId,
          reason: rejection?.name,
          hint: 'check the encoder against the SRT server: passphrase, stream id, encryption',
        });
        publish(receiverChannels.srtRejected, () => ({
          receiver,
          groupId: event.groupId,
          reason: rejection?.name ?? String(event.code),
          code: event.code,
        }));
        return;
      }
      case 'registration-refused': {
        const address = event.address.toString();
        this.logRefusal(now, address, event.reason);
        publish(receiverChannels.registrationRefused, () => ({
          receiver,
          address,
          reason: event.reason,
        }));
        return;
      }
    }
  }

  /** Opens the group's upstream socket, connected to the SRT listener (once per group). */
  private openUpstream(groupId: number): void {
    if (this.upstreams.has(groupId)) return;
    const upstream = new UpstreamSocket({
      io: this.io,
      remote: this.upstreamTarget(),
      batch: this.batch,
      onBatch: this.upstreamBatchHandler(groupId),
      onError: this.upstreamErrorHandler(groupId),
      queueLimit: this.options.upstreamQueueLimit ?? 1024,
      sendBufferSize: this.options.sendBufferSize,
    });
    this.upstreams.set(groupId, upstream);
    void upstream.opened.then(() => {
      this.onUpstreamOpened(groupId, upstream);
    });
  }

  /** `{ stream }` for a log line about a group whose stream is named, else `{}`. */
  private streamField(groupId: number): { stream?: string } {
    const stream = this.streams.get(groupId);
    return stream === undefined ? {} : { stream };
  }

  private onUpstreamOpened(groupId: number, upstream: UpstreamSocket): void {
    if (upstream.state !== 'failed' || this.closed !== undefined) return;
    if (this.upstreams.get(groupId) !== upstream) return;
    const reason = `cannot open its SRT socket: ${upstream.failure?.message ?? 'unknown error'}`;
    this.logger.warn('group upstream socket failed', { groupId, reason });
    const now = this.clock();
    this.engine.upstreamFailed(now, groupId, reason);
    this.drain(now);
  }

  /** Floods of refused registrations log a few lines, then how many more there were. */
  private logRefusal(now: number, address: string, reason: string): void {
    if (now - this.refusalWindowStart >= REFUSAL_LOG_WINDOW_MS) {
      if (this.refusalsSuppressed > 0) {
        this.logger.warn('more registrations refused (not logged one by one)', {
          count: this.refusalsSuppressed,
        });
      }
      this.refusalWindowStart = now;
      this.refusalsLogged = 0;
      this.refusalsSuppressed = 0;
    }
    if (this.refusalsLogged < REFUSAL_LOG_BURST) {
      this.refusalsLogged++;
      this.logger.warn('registration refused', { from: address, reason });
    } else {
      this.refusalsSuppressed++;
    }
  }

  /** Closes a removed group's socket, keeping its counts in the totals. */
  private retire(upstream: UpstreamSocket): void {
    const pending = upstream.close().then(
      () => {
        const stats = upstream.stats();
        this.closedTotals.forwarded += stats.datagramsSent;
        this.closedTotals.forwardedBytes += stats.bytesSent;
        this.closedTotals.fromListener += stats.datagramsReceived;
        this.closedTotals.sendErrors += stats.sendErrors;
        this.closedTotals.sendDropped += stats.sendDropped;
        this.closedTotals.notReady += stats.droppedNotReady;
      },
      (error: unknown) => {
        this.logger.warn('closing a group socket failed', { error: String(error) });
      },
    );
    this.closing.add(pending);
    void pending.finally(() => this.closing.delete(pending));
  }

  // ---------------------------------------------------------------- configuration

  configure(update: ReceiverReconfiguration): void {
    if (this.closed !== undefined) return;
    const reorder = update.reorder === undefined ? undefined : checkReorder(update.reorder);
    const changed = reorder !== undefined && formatReorder(reorder) !== formatReorder(this.reorder);
    this.engine.configure({
      ...defined('maxGroups', update.maxGroups),
      ...defined('maxLinksPerGroup', update.maxLinksPerGroup),
      ...defined('linkTimeoutMs', update.linkTimeoutMs),
      ...defined('groupTimeoutMs', update.groupTimeoutMs),
      ...defined('pendingGroupTimeoutMs', update.pendingGroupTimeoutMs),
      ...defined('maxPendingGroupsPerIp', update.maxPendingGroupsPerIp),
      ...(changed ? { forwardPath: forwardPathFor(reorder) } : {}),
    });
    if (!changed) return;
    this.reorder = reorder;
    // The groups' old forward paths released what they held: send it, and re-arm for the new ones.
    this.drain(this.clock());
  }

  // ---------------------------------------------------------------- stats and close

  /** The whole snapshot; with `visit`, its groups go to `visit` one at a time instead. */
  stats(visit?: (group: ReceiverGroupSnapshot) => void): ReceiverSnapshot {
    const now = this.clock();
    const core = this.engine.stats(now, false);
    const groups: ReceiverGroupSnapshot[] = [];
    this.engine.forEachGroupStats(now, (group) => {
      const snapshot = this.groupSnapshot(group);
      if (visit === undefined) groups.push(snapshot);
      else visit(snapshot);
    });
    const live = { ...this.closedTotals };
    for (const upstream of this.upstreams.values()) {
      const stats = upstream.stats();
      live.forwarded += stats.datagramsSent;
      live.forwardedBytes += stats.bytesSent;
      live.fromListener += stats.datagramsReceived;
      live.sendErrors += stats.sendErrors;
      live.sendDropped += stats.sendDropped;
      live.notReady += stats.droppedNotReady;
    }
    const raw = this.socket?.counters ?? new Float64Array(COUNTER_COUNT);
    const warmUp = this.warmUpCounters;
    const listenSocket = readCounters(
      warmUp === undefined ? raw : raw.map((value, i) => value - (warmUp[i] ?? 0)),
    );
    return {
      uptimeMs: now - this.startedAt,
      listen: this.listenName,
      backend: this.io.name,
      upstream: this.upstreamTarget().toString(),
      reorder: formatReorder(this.reorder),
      streamLabel: this.labelMode,
      limits: this.engine.limits,
      groups,
      registration: {
        reg1Received: core.reg1Received - this.warmUpReg1,
        reg2Received: core.reg2Received,
        regErrSent: core.regErrSent,
        regNgpSent: core.regNgpSent,
        groupsCreated: core.groupsCreated,
        groupsEvicted: core.groupsEvicted,
        groupsRemoved: this.groupsRemoved,
        reg2Expired: core.reg2Expired,
        reg2Unverified: core.reg2Unverified,
        pendingGroups: core.pendingGroups,
        pendingSourceIps: core.pendingSourceIps,
        newNetworkJoins: core.newNetworkJoins,
      },
      srtRejections: core.srtRejections.map(({ code, streams }) => ({
        ...(describeSrtRejection(code) ?? { code, name: 'other', words: 'other reasons' }),
        streams,
      })),
      dropped: {
        unregistered: core.droppedUnregistered,
        short: core.droppedShort,
        srtla: core.droppedSrtla,
        upstream: core.droppedUpstream,
        upstreamNotReady: live.notReady,
        upstreamSendErrors: live.sendErrors,
        sendQueueFull: live.sendDropped + listenSocket.sendDropped,
        truncated: listenSocket.truncated,
      },
      totals: {
        datagramsReceived: listenSocket.datagramsReceived,
        bytesReceived: listenSocket.bytesReceived,
        forwardedToListener: live.forwarded,
        forwardedBytesToListener: live.forwardedBytes,
        fromListener: live.fromListener,
        sentToSenders: this.sentToSenders - this.warmUpSentToSenders,
      },
      listenSocket,
    };
  }

  /**
   * A group's snapshot: its core statistics with the stream label and the upstream socket's. Every
   * field is named: the rest-and-spread copy it replaces allocated about 3 KB per group in a heap
   * profile (8.9 MB over three scrapes of 1,000 groups, its nested objects included).
   */
  private groupSnapshot(group: ReceiverGroupStats): ReceiverGroupSnapshot {
    return {
      id: group.id,
      tag: group.tag,
      state: group.state,
      newNetworkJoins: group.newNetworkJoins,
      stream: streamLabel(group.streamId, this.labelMode),
      malformedHandshakes: group.malformedHandshakes,
      ageMs: group.ageMs,
      lastActivityAgoMs: group.lastActivityAgoMs,
      lastAddress: group.lastAddress,
      packetsForwarded: group.packetsForwarded,
      bytesForwarded: group.bytesForwarded,
      packetsFromUpstream: group.packetsFromUpstream,
      packetsToSenders: group.packetsToSenders,
      forwardRateBytesPerSec: group.forwardRateBytesPerSec,
      lastDataAgoMs: group.lastDataAgoMs,
      senderShutdownAgoMs: group.senderShutdownAgoMs,
      listenerFeedback: group.listenerFeedback,
      srtAccepted: group.srtAccepted,
      srtRejection: group.srtRejection,
      srtRejections: group.srtRejections,
      highestSeq: group.highestSeq,
      forwardPath: group.forwardPath,
      links: group.links,
      upstream:
        this.upstreams.get(group.id)?.stats() ??
        closedUpstreamStats(group.state === 'pending' ? 'none' : 'closed'),
    };
  }

  listenerTraffic(): Map<number, number> {
    const traffic = new Map<number, number>();
    for (const [groupId, upstream] of this.upstreams) {
      traffic.set(groupId, upstream.datagramsReceived);
    }
    return traffic;
  }

  close(): Promise<void> {
    this.closed ??= this.closeOnce();
    return this.closed;
  }

  private async closeOnce(): Promise<void> {
    this.timer.clear();
    const sockets: Promise<void>[] = [];
    if (this.socket !== undefined) sockets.push(this.socket.close());
    for (const upstream of this.upstreams.values()) sockets.push(upstream.close());
    this.upstreams.clear();
    await Promise.all([...sockets, ...this.closing]);
    this.logger.info('receiver closed', { listen: this.listenName });
  }
}

function closedUpstreamStats(state: 'none' | 'closed'): UpstreamSocketStats {
  return {
    state,
    local: undefined,
    remote: '',
    datagramsSent: 0,
    bytesSent: 0,
    datagramsReceived: 0,
    bytesReceived: 0,
    sendErrors: 0,
    sendDropped: 0,
    droppedNotReady: 0,
  };
}
