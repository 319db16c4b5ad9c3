/**
 * {@link ClusterCoordinator} across hosts, over a Redis {@link ClusterStore} (`bond-receiver
 * --cluster redis://...`, issue 14).
 *
 * What runs in the background, each bounded by the store's command timeout and never overlapping
 * itself:
 * - the store's heartbeat (every third of the node TTL, 2 s): a node that stops is gone within it;
 * - the lease renewal (every {@link DEFAULT_RENEW_EVERY_MS}): one pipeline claims again every group
 *   this node holds (a lease Redis lost in a restart is taken again; one another node took
 *   meanwhile is reported as `group-lost`), and every {@link DEFAULT_ROUTE_TTL_MS}/3 the routes of
 *   those groups are written again;
 * - the node poll (every {@link DEFAULT_POLL_EVERY_MS}): `liveNodes()` into the synchronous view
 *   behind `node()`/`nodes()`, and `node-up`/`node-down` events from its changes.
 *
 * While Redis does not answer, the state is `degraded` (one log line when it starts, one when it
 * ends), the views keep their last contents so the node keeps forwarding from its caches, and the
 * client reconnects with back-off. Nothing here rejects in the background: `claimGroup` and
 * `lookupRoute` reject (with {@link ClusterUnavailableError}) because their caller needs an answer;
 * `releaseGroup`, `publishRoute` and `publishStats` record what they were told and never reject
 * for an unreachable Redis (the lease expires by itself; routes are written again on recovery).
 */
import type {
  ClusterCoordinator,
  ClusterNodeView,
  CoordinatorEvent,
  CoordinatorState,
} from './coordinator.js';
import { ClusterOptionError, ClusterUnavailableError } from './errors.js';
import {
  ClusterStore,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_NODE_TTL_MS,
  type ClusterStoreState,
  type NodeRecord,
} from './store.js';

/** Group lease TTL: an owner's groups are free within this of its death. */
export const DEFAULT_LEASE_TTL_MS = 2_000;
/** How often held leases are renewed (well inside the lease TTL: two renewals may fail). */
export const DEFAULT_RENEW_EVERY_MS = 600;
/** How often the live-node view is refreshed. */
export const DEFAULT_POLL_EVERY_MS = 500;
/** Route expiry; routes of held groups are written again every third of it. */
export const DEFAULT_ROUTE_TTL_MS = 30_000;
/** Stats expiry: a node that stops publishing drops out of `clusterStats()`. */
export const DEFAULT_STATS_TTL_MS = 10_000;
/** Routes remembered for re-publishing, at most (oldest dropped first). */
export const MAX_REMEMBERED_ROUTES = 100_000;
/** The cluster name (Redis key prefix `bond:<cluster>:`) when none is given. */
export const DEFAULT_CLUSTER_NAME = 'bond';

/** Where the coordinator says what happens (a `RuntimeLogger` fits). */
export interface CoordinatorLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface RedisCoordinatorOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`. */
  readonly url: string;
  /** The cluster's 32-byte secret (`--cluster-key-file`). */
  readonly clusterKey: Uint8Array;
  /** Where other nodes send backplane datagrams, `host:port`. */
  readonly backplane: string;
  /** Human-readable node name for logs and stats. Default: the backplane address. */
  readonly nodeId?: string;
  /** Ask for this node index (fails if a live node holds it); default: any free one. */
  readonly index?: number;
  /** Key prefix `bond:<cluster>:`; default {@link DEFAULT_CLUSTER_NAME}. */
  readonly cluster?: string;
  readonly nodeTtlMs?: number;
  readonly leaseTtlMs?: number;
  readonly renewEveryMs?: number;
  readonly pollEveryMs?: number;
  readonly routeTtlMs?: number;
  readonly statsTtlMs?: number;
  readonly commandTimeoutMs?: number;
  readonly logger?: CoordinatorLogger;
}

const silent: CoordinatorLogger = {
  info() {
    /* no logger given */
  },
  warn() {
    /* no logger given */
  },
};

function checkMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 86_400_000) {
    throw new ClusterOptionError(`${name} must be an integer 1..86400000 ms, got ${value}`);
  }
  return value;
}

export class RedisCoordinator implements ClusterCoordinator {
  readonly nodeIndex: number;
  readonly clusterKey: Uint8Array;
  private readonly store: ClusterStore;
  private readonly logger: CoordinatorLogger;
  private readonly leaseTtlMs: number;
  private readonly routeTtlMs: number;
  private readonly statsTtlMs: number;
  private readonly nodeTtlMs: number;
  private readonly listeners = new Set<(event: CoordinatorEvent) => void>();
  /** The live nodes as last polled, by index (this one always included). */
  private readonly live = new Map<number, ClusterNodeView>();
  /** Groups this node holds a lease on. */
  private readonly held = new Set<string>();
  /** Routes this node published, source -> group, re-written while it holds the group. */
  private readonly routes = new Map<string, string>();
  /** SRT caller socket ids of held groups, re-written with the routes while held. */
  private readonly srtPeers = new Map<string, number>();
  private stateValue: CoordinatorState = 'ready';
  /** When the state last became `ready` (node-down waits a node TTL after it: keys come back). */
  private readySince: number;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private renewing = false;
  private polling = false;
  private lastRoutesWrite = 0;
  private routesDirty = false;

  private constructor(
    options: RedisCoordinatorOptions,
    store: ClusterStore,
    self: NodeRecord,
    logger: CoordinatorLogger,
  ) {
    this.store = store;
    this.logger = logger;
    this.nodeIndex = self.index;
    this.clusterKey = Uint8Array.from(options.clusterKey);
    this.nodeTtlMs = store.nodeTtlMs;
    this.leaseTtlMs = checkMs('leaseTtlMs', options.leaseTtlMs, DEFAULT_LEASE_TTL_MS);
    this.routeTtlMs = checkMs('routeTtlMs', options.routeTtlMs, DEFAULT_ROUTE_TTL_MS);
    this.statsTtlMs = checkMs('statsTtlMs', options.statsTtlMs, DEFAULT_STATS_TTL_MS);
    this.live.set(self.index, { ...self, sharesListener: true });
    this.readySince = 0; // no grace at start: the view holds this node alone
  }

  /**
   * Connects, joins the cluster (takes a node index) and starts the background work. Rejects with
   * {@link ClusterOptionError} for bad options and {@link ClusterUnavailableError} when Redis does
   * not answer (nothing is left running then).
   */
  static async start(options: RedisCoordinatorOptions): Promise<RedisCoordinator> {
    if (!(options.clusterKey instanceof Uint8Array) || options.clusterKey.length !== 32) {
      throw new ClusterOptionError(
        `the cluster key must be 32 bytes, got ${options.clusterKey instanceof Uint8Array ? options.clusterKey.length : typeof options.clusterKey}`,
      );
    }
    const renewEveryMs = checkMs('renewEveryMs', options.renewEveryMs, DEFAULT_RENEW_EVERY_MS);
    const pollEveryMs = checkMs('pollEveryMs', options.pollEveryMs, DEFAULT_POLL_EVERY_MS);
    const leaseTtlMs = checkMs('leaseTtlMs', options.leaseTtlMs, DEFAULT_LEASE_TTL_MS);
    if (renewEveryMs * 2 >= leaseTtlMs) {
      throw new ClusterOptionError(
        `renewEveryMs (${renewEveryMs}) must be under half the lease TTL (${leaseTtlMs})`,
      );
    }
    const logger = options.logger ?? silent;
    let coordinator: RedisCoordinator | undefined;
    const store = await ClusterStore.open({
      url: options.url,
      cluster: options.cluster ?? DEFAULT_CLUSTER_NAME,
      nodeTtlMs: options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS,
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      onStateChange: (state, error) => coordinator?.storeState(state, error),
    });
    try {
      const self = await store.join({
        backplane: options.backplane,
        ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
        ...(options.index === undefined ? {} : { index: options.index }),
      });
      coordinator = new RedisCoordinator(options, store, self, logger);
    } catch (error) {
      await store.close();
      throw error;
    }
    logger.info(
      `cluster: joined ${store.redis} as node ${coordinator.nodeIndex} (${options.nodeId ?? options.backplane}), backplane ${options.backplane}`,
      { node: coordinator.nodeIndex, redis: store.redis },
    );
    const started = coordinator;
    await started.poll();
    started.timers.push(setInterval(() => void started.renew(), renewEveryMs));
    started.timers.push(setInterval(() => void started.poll(), pollEveryMs));
    for (const timer of started.timers) timer.unref();
    return started;
  }

  state(): CoordinatorState {
    return this.stateValue;
  }

  node(index: number): ClusterNodeView | undefined {
    return this.live.get(index);
  }

  nodes(): readonly ClusterNodeView[] {
    return [...this.live.values()];
  }

  /** The groups this node holds a lease on (for stats and tests). */
  heldGroups(): readonly string[] {
    return [...this.held];
  }

  async claimGroup(groupKey: string): Promise<number> {
    const owner = await this.store.claimGroup(groupKey, this.nodeIndex, this.leaseTtlMs);
    if (owner === this.nodeIndex && this.stateValue !== 'closed') this.held.add(groupKey);
    return owner;
  }

  async releaseGroup(groupKey: string): Promise<void> {
    if (!this.held.delete(groupKey)) return;
    const sources: string[] = [];
    for (const [source, group] of this.routes) {
      if (group !== groupKey) continue;
      this.routes.delete(source);
      sources.push(source);
    }
    this.srtPeers.delete(groupKey);
    try {
      await this.store.releaseGroup(groupKey, this.nodeIndex);
      // The group ended: its routes and SRT peer go now rather than at their expiry.
      await this.store.deleteGroupRecords(groupKey, sources);
    } catch (error) {
      // Redis is away (or this closed): the lease expires by itself within its TTL.
      if (!(error instanceof ClusterUnavailableError) || this.stateValue === 'closed') return;
    }
  }

  async publishRoute(sourceKey: string, groupKey: string): Promise<void> {
    this.routes.delete(sourceKey);
    this.routes.set(sourceKey, groupKey);
    if (this.routes.size > MAX_REMEMBERED_ROUTES) {
      const oldest = this.routes.keys().next().value;
      if (oldest !== undefined) this.routes.delete(oldest);
    }
    if (this.stateValue !== 'ready') {
      this.routesDirty = true; // written when Redis is back
      return;
    }
    try {
      await this.store.setRoute(sourceKey, groupKey, this.routeTtlMs);
    } catch (error) {
      if (error instanceof ClusterUnavailableError) this.routesDirty = true;
      else if (this.state() !== 'closed') throw error;
    }
  }

  async publishSrtPeer(groupKey: string, socketId: number): Promise<void> {
    if (!this.held.has(groupKey)) return;
    this.srtPeers.set(groupKey, socketId);
    if (this.stateValue !== 'ready') {
      this.routesDirty = true; // written with the routes when Redis is back
      return;
    }
    try {
      await this.store.setSrtPeers([[groupKey, socketId]], this.routeTtlMs);
    } catch (error) {
      if (error instanceof ClusterUnavailableError) this.routesDirty = true;
      else if (this.state() !== 'closed') throw error;
    }
  }

  srtPeerOf(groupKey: string): Promise<number | undefined> {
    return this.store.srtPeer(groupKey);
  }

  async lookupRoute(sourceKey: string): Promise<number | undefined> {
    const groupKey = await this.store.lookupRoute(sourceKey);
    if (groupKey === undefined) return undefined;
    return this.store.groupOwner(groupKey);
  }

  async publishStats(stats: unknown): Promise<void> {
    const json = JSON.stringify(stats ?? null);
    try {
      await this.store.setStats(this.nodeIndex, json, this.statsTtlMs);
    } catch (error) {
      // Stats are published again on the next round; an unreachable Redis is not the caller's.
      if (!(error instanceof ClusterUnavailableError) && this.stateValue !== 'closed') throw error;
    }
  }

  async clusterStats(): Promise<ReadonlyMap<number, unknown>> {
    const texts = await this.store.readStats([...this.live.keys()]);
    const stats = new Map<number, unknown>();
    for (const [index, text] of texts) {
      try {
        stats.set(index, JSON.parse(text) as unknown);
      } catch {
        // Not JSON (written by something else): left out.
      }
    }
    return stats;
  }

  onEvent(listener: (event: CoordinatorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Leaves the cluster: releases this node's leases and index (best effort), stops everything. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stopTimers();
    const held = [...this.held];
    this.held.clear();
    this.routes.clear();
    this.srtPeers.clear();
    if (this.stateValue === 'ready') {
      await Promise.allSettled(
        held.map((groupKey) => this.store.releaseGroup(groupKey, this.nodeIndex)),
      );
    }
    await this.store.close(); // reports 'closed' through storeState
    this.setState('closed');
  }

  /**
   * Stops at once without leaving, as a crash would: timers stop and the connection drops; the
   * other nodes see this one go when its keys expire. For a process that must exit now, and tests.
   */
  abandon(): void {
    if (this.stateValue === 'closed') return;
    this.stopTimers();
    this.held.clear();
    this.routes.clear();
    this.srtPeers.clear();
    this.store.abandon();
    this.setState('closed');
  }

  private stopTimers(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  private storeState(state: ClusterStoreState, error?: Error): void {
    if (state === 'closed') return; // close()/abandon() say it themselves
    if (state === 'ready') {
      this.setState('ready');
      return;
    }
    if (state === 'index-lost') {
      this.setState(
        'degraded',
        error?.message ?? `node index ${this.nodeIndex} was taken by another node`,
      );
      return;
    }
    // The client's own reason (ECONNREFUSED, a timeout, ...), not the wrapper's advice.
    const cause = error instanceof ClusterUnavailableError ? error.cause : error;
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    this.setState('degraded', `Redis at ${this.store.redis} does not answer${detail}`);
  }

  private setState(state: CoordinatorState, reason?: string): void {
    if (this.stateValue === state || this.stateValue === 'closed') return;
    const was = this.stateValue;
    this.stateValue = state;
    if (state === 'degraded') {
      this.logger.warn(
        `cluster: degraded, ${reason ?? 'Redis does not answer'}; streams keep flowing from the node caches, reconnecting`,
        { node: this.nodeIndex, redis: this.store.redis },
      );
    } else if (state === 'ready') {
      this.readySince = Date.now();
      this.routesDirty = true;
      this.logger.info(`cluster: ready again, ${this.store.redis} answers (was ${was})`, {
        node: this.nodeIndex,
        redis: this.store.redis,
      });
      // Re-assert at once what Redis may have lost (it runs without persistence).
      void this.renew();
    } else {
      this.logger.info(`cluster: node ${this.nodeIndex} left`, { node: this.nodeIndex });
    }
    this.emit(reason === undefined ? { type: 'state', state } : { type: 'state', state, reason });
  }

  private emit(event: CoordinatorEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(
          `cluster: an event listener threw on ${event.type}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** One pipeline renewing every held lease; routes written again when due. Never rejects. */
  private async renew(): Promise<void> {
    if (this.renewing || this.stateValue === 'closed') return;
    this.renewing = true;
    try {
      const groups = [...this.held];
      if (groups.length > 0) {
        const owners = await this.store.renewGroups(groups, this.nodeIndex, this.leaseTtlMs);
        for (const [groupKey, owner] of owners) {
          if (owner === this.nodeIndex || !this.held.delete(groupKey)) continue;
          for (const [source, group] of this.routes) {
            if (group === groupKey) this.routes.delete(source);
          }
          this.srtPeers.delete(groupKey);
          this.logger.warn(
            `cluster: group ${groupKey.slice(0, 16)}… is held by node ${owner} now (this node could not renew its lease in time)`,
            { node: this.nodeIndex, owner },
          );
          this.emit({ type: 'group-lost', groupKey, owner });
        }
      }
      const now = Date.now();
      if (this.routesDirty || now - this.lastRoutesWrite >= this.routeTtlMs / 3) {
        this.routesDirty = false;
        this.lastRoutesWrite = now;
        await this.store.setRoutes([...this.routes], this.routeTtlMs);
        await this.store.setSrtPeers([...this.srtPeers], this.routeTtlMs);
      }
    } catch {
      // Redis is away: the store reported `degraded`; the next round (or recovery) tries again.
      this.routesDirty = true;
    } finally {
      this.renewing = false;
    }
  }

  /** Refreshes the live-node view and reports the changes. Never rejects. */
  private async poll(): Promise<void> {
    if (this.polling || this.stateValue === 'closed') return;
    this.polling = true;
    try {
      const records = await this.store.liveNodes();
      if (this.state() === 'closed') return;
      const seen = new Set<number>();
      for (const record of records) {
        seen.add(record.index);
        const known = this.live.get(record.index);
        if (record.index === this.nodeIndex) continue;
        if (known?.backplane === record.backplane && known.nodeId === record.nodeId) {
          continue;
        }
        if (known) this.down(record.index); // the index came back as another process
        const view: ClusterNodeView = { ...record, sharesListener: false };
        this.live.set(record.index, view);
        this.emit({ type: 'node-up', node: view });
      }
      // Right after Redis came back (empty) live nodes re-create their keys within a heartbeat:
      // wait a node TTL of being ready before calling anyone down.
      if (this.stateValue === 'ready' && Date.now() - this.readySince >= this.nodeTtlMs) {
        for (const index of [...this.live.keys()]) {
          if (index !== this.nodeIndex && !seen.has(index)) this.down(index);
        }
      }
    } catch {
      // Redis is away: keep the last view (the node forwards from its caches).
    } finally {
      this.polling = false;
    }
  }

  private down(index: number): void {
    if (!this.live.delete(index)) return;
    this.emit({ type: 'node-down', index });
  }
}
