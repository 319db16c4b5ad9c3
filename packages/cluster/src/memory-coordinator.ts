/**
 * An in-process cluster (issue 14): node liveness, group leases, routes and stats in memory. Tests
 * run several nodes in one process on it; `bond-receiver --workers N`'s primary process runs it as
 * the coordinator of its workers (they reach it over IPC). Nothing expires by time while a node is
 * up: a node that leaves (`close()`, or {@link MemoryCluster.remove} when its process died) loses
 * its index and leases at once, and every other node is told `node-down`.
 */
import { randomBytes } from 'node:crypto';
import {
  type ClusterCoordinator,
  type ClusterNodeView,
  type CoordinatorEvent,
  type CoordinatorState,
} from './coordinator.js';
import { ClusterOptionError, ClusterStoreClosedError, NodeIndexTakenError } from './errors.js';
import { CLUSTER_KEY_LENGTH, checkClusterKey } from './keys.js';
import { MAX_NODE_INDEX } from './store.js';

/**
 * Default expiry of a published route and of a group's SRT peer once their group's lease is gone
 * with its owner, ms. While the lease is held they do not expire; when it is released they go.
 */
export const DEFAULT_MEMORY_ROUTE_TTL_MS = 120_000;

export interface MemoryClusterOptions {
  /** The cluster key (32 bytes). Default: drawn at random. */
  readonly clusterKey?: Uint8Array;
  /** How long a published route is kept, ms. Default {@link DEFAULT_MEMORY_ROUTE_TTL_MS}. */
  readonly routeTtlMs?: number;
  /** Clock for route expiry, ms. Default `Date.now`. */
  readonly clock?: () => number;
}

export interface MemoryJoinOptions {
  /** The backplane address other nodes send to, `host:port`. */
  readonly backplane: string;
  /** A name for logs and stats. Default `node-<index>`. */
  readonly nodeId?: string;
  /** Exactly this index (fails if taken). Default: the lowest free one. */
  readonly index?: number;
  /**
   * The listening socket this node shares with others (their address and port, on one host with
   * SO_REUSEPORT or one shared handle): nodes with the same value answer each other's links
   * directly. Default: none (shares with nobody).
   */
  readonly listener?: string;
}

interface Member {
  readonly index: number;
  readonly nodeId: string;
  readonly backplane: string;
  readonly listener: string | undefined;
  readonly coordinator: MemoryCoordinator;
}

/** The shared state of an in-process cluster. */
export class MemoryCluster {
  readonly clusterKey: Uint8Array;
  private readonly routeTtlMs: number;
  private readonly clock: () => number;
  private readonly members = new Map<number, Member>();
  private readonly leases = new Map<string, number>();
  /** Source -> group; `expiresAt` counts only once the group's lease is gone with its owner. */
  private readonly routes = new Map<string, { groupKey: string; expiresAt: number }>();
  /** Group -> the sources routed to it (so a release removes them). */
  private readonly routesByGroup = new Map<string, Set<string>>();
  /** Group -> its SRT caller's socket id, as the routes. */
  private readonly srtPeers = new Map<string, { socketId: number; expiresAt: number }>();
  private readonly stats = new Map<number, unknown>();
  private readonly routeListeners = new Set<
    (sourceKey: string, owner: number | undefined) => void
  >();

  constructor(options: MemoryClusterOptions = {}) {
    const key = options.clusterKey ?? new Uint8Array(randomBytes(CLUSTER_KEY_LENGTH));
    checkClusterKey(key);
    this.clusterKey = key;
    const ttl = options.routeTtlMs ?? DEFAULT_MEMORY_ROUTE_TTL_MS;
    if (!(Number.isInteger(ttl) && ttl > 0)) {
      throw new ClusterOptionError(`routeTtlMs must be a positive whole number, got ${ttl}`);
    }
    this.routeTtlMs = ttl;
    this.clock = options.clock ?? Date.now;
  }

  /** Adds a node; every other node is told `node-up`. */
  join(options: MemoryJoinOptions): MemoryCoordinator {
    const index = options.index ?? this.freeIndex();
    if (!(Number.isInteger(index) && index >= 1 && index <= MAX_NODE_INDEX)) {
      throw new ClusterOptionError(`node index must be 1..${MAX_NODE_INDEX}, got ${index}`);
    }
    if (this.members.has(index)) {
      throw new NodeIndexTakenError(`node index ${index} is taken by a live node`);
    }
    const coordinator = new MemoryCoordinator(this, index);
    const member: Member = {
      index,
      nodeId: options.nodeId ?? `node-${index}`,
      backplane: options.backplane,
      listener: options.listener,
      coordinator,
    };
    this.members.set(index, member);
    for (const other of this.members.values()) {
      if (other !== member)
        other.coordinator.emit({ type: 'node-up', node: this.viewFor(other, member) });
    }
    return coordinator;
  }

  /**
   * Takes node `index` out (its process died): its leases and stats go at once, the others are
   * told `node-down`, and its coordinator is closed.
   */
  remove(index: number): void {
    const member = this.members.get(index);
    if (member === undefined) return;
    this.members.delete(index);
    // Its routes and SRT peers outlive it by the TTL (the node adopting a group reads its peer).
    const expiresAt = this.clock() + this.routeTtlMs;
    for (const [groupKey, owner] of this.leases) {
      if (owner !== index) continue;
      this.leases.delete(groupKey);
      for (const source of this.routesByGroup.get(groupKey) ?? []) {
        const route = this.routes.get(source);
        if (route !== undefined) route.expiresAt = expiresAt;
      }
      const peer = this.srtPeers.get(groupKey);
      if (peer !== undefined) peer.expiresAt = expiresAt;
    }
    this.stats.delete(index);
    member.coordinator.markClosed();
    for (const other of this.members.values()) {
      other.coordinator.emit({ type: 'node-down', index });
    }
  }

  /** The live node indexes. */
  indexes(): number[] {
    return [...this.members.keys()].sort((a, b) => a - b);
  }

  /** Group keys held, by owner (for `/api/v1/cluster` and tests). */
  leasesOf(index: number): string[] {
    return [...this.leases].filter(([, owner]) => owner === index).map(([key]) => key);
  }

  // ------------------------------------------------ what coordinators call

  /** @internal */
  view(viewer: number, index: number): ClusterNodeView | undefined {
    const member = this.members.get(index);
    const self = this.members.get(viewer);
    return member === undefined || self === undefined ? undefined : this.viewFor(self, member);
  }

  /** @internal */
  views(viewer: number): ClusterNodeView[] {
    const self = this.members.get(viewer);
    if (self === undefined) return [];
    return [...this.members.values()].map((member) => this.viewFor(self, member));
  }

  /** @internal */
  claim(index: number, groupKey: string): number {
    const owner = this.leases.get(groupKey);
    if (owner !== undefined && this.members.has(owner)) return owner;
    this.leases.set(groupKey, index);
    return index;
  }

  /** @internal */
  release(index: number, groupKey: string): void {
    if (this.leases.get(groupKey) !== index) return;
    this.leases.delete(groupKey);
    for (const source of this.routesByGroup.get(groupKey) ?? []) {
      if (this.routes.get(source)?.groupKey !== groupKey) continue;
      this.routes.delete(source);
      for (const listener of this.routeListeners) listener(source, undefined);
    }
    this.routesByGroup.delete(groupKey);
    this.srtPeers.delete(groupKey);
  }

  /** @internal */
  publishSrtPeer(index: number, groupKey: string, socketId: number): void {
    if (this.leases.get(groupKey) !== index) return;
    this.srtPeers.set(groupKey, { socketId, expiresAt: Number.POSITIVE_INFINITY });
  }

  /** @internal */
  srtPeerOf(groupKey: string): number | undefined {
    const peer = this.srtPeers.get(groupKey);
    if (peer === undefined) return undefined;
    if (!this.held(groupKey) && peer.expiresAt <= this.clock()) {
      this.srtPeers.delete(groupKey);
      return undefined;
    }
    return peer.socketId;
  }

  /** Routes published (for tests: a released group's are gone). */
  routeCount(): number {
    return this.routes.size;
  }

  private held(groupKey: string): boolean {
    const owner = this.leases.get(groupKey);
    return owner !== undefined && this.members.has(owner);
  }

  /** @internal */
  publishRoute(index: number, sourceKey: string, groupKey: string): void {
    const now = this.clock();
    if (this.routes.size >= 1_000_000) this.sweepRoutes(now);
    const previous = this.routes.get(sourceKey);
    if (previous !== undefined && previous.groupKey !== groupKey) {
      this.routesByGroup.get(previous.groupKey)?.delete(sourceKey);
    }
    this.routes.set(sourceKey, { groupKey, expiresAt: now + this.routeTtlMs });
    let sources = this.routesByGroup.get(groupKey);
    if (sources === undefined) {
      sources = new Set();
      this.routesByGroup.set(groupKey, sources);
    }
    sources.add(sourceKey);
    for (const listener of this.routeListeners) listener(sourceKey, index);
  }

  /**
   * Tells `listener` every route published, with the publishing node (the group's owner), and
   * every route removed because its group ended (owner undefined): the primary of `--workers`
   * pushes them to every worker, so a worker that receives a link's datagrams without having seen
   * its registration (one socket shared by all) finds the owner without a round trip. Returns the
   * unsubscribe function.
   */
  onRoute(listener: (sourceKey: string, owner: number | undefined) => void): () => void {
    this.routeListeners.add(listener);
    return () => this.routeListeners.delete(listener);
  }

  /** @internal */
  lookupRoute(sourceKey: string): number | undefined {
    const route = this.routes.get(sourceKey);
    if (route === undefined) return undefined;
    const owner = this.leases.get(route.groupKey);
    // A route lives as long as its group's lease; one left by a dead owner, for the TTL.
    if (owner !== undefined && this.members.has(owner)) return owner;
    if (route.expiresAt <= this.clock()) this.dropRoute(sourceKey, route.groupKey);
    return undefined;
  }

  /** @internal */
  publishStats(index: number, stats: unknown): void {
    if (this.members.has(index)) this.stats.set(index, stats);
  }

  /** Every live node's last published stats, by index. */
  clusterStats(): ReadonlyMap<number, unknown> {
    return new Map(this.stats);
  }

  private viewFor(viewer: Member, member: Member): ClusterNodeView {
    return {
      index: member.index,
      nodeId: member.nodeId,
      backplane: member.backplane,
      sharesListener:
        member === viewer || (member.listener !== undefined && member.listener === viewer.listener),
    };
  }

  private freeIndex(): number {
    for (let index = 1; index <= MAX_NODE_INDEX; index++) {
      if (!this.members.has(index)) return index;
    }
    throw new NodeIndexTakenError(`every node index 1..${MAX_NODE_INDEX} is taken`);
  }

  private sweepRoutes(now: number): void {
    for (const [key, route] of this.routes) {
      if (route.expiresAt <= now && !this.held(route.groupKey)) this.dropRoute(key, route.groupKey);
    }
  }

  private dropRoute(sourceKey: string, groupKey: string): void {
    this.routes.delete(sourceKey);
    const sources = this.routesByGroup.get(groupKey);
    sources?.delete(sourceKey);
    if (sources?.size === 0) this.routesByGroup.delete(groupKey);
  }
}

/** One node's view of a {@link MemoryCluster}. */
export class MemoryCoordinator implements ClusterCoordinator {
  readonly clusterKey: Uint8Array;
  private readonly listeners = new Set<(event: CoordinatorEvent) => void>();
  private closed = false;

  /** @internal Made by {@link MemoryCluster.join}. */
  constructor(
    private readonly cluster: MemoryCluster,
    readonly nodeIndex: number,
  ) {
    this.clusterKey = cluster.clusterKey;
  }

  state(): CoordinatorState {
    return this.closed ? 'closed' : 'ready';
  }

  node(index: number): ClusterNodeView | undefined {
    return this.closed ? undefined : this.cluster.view(this.nodeIndex, index);
  }

  nodes(): readonly ClusterNodeView[] {
    return this.closed ? [] : this.cluster.views(this.nodeIndex);
  }

  claimGroup(groupKey: string): Promise<number> {
    return this.call('claim a group', () => this.cluster.claim(this.nodeIndex, groupKey));
  }

  releaseGroup(groupKey: string): Promise<void> {
    return this.call('release a group', () => {
      this.cluster.release(this.nodeIndex, groupKey);
    });
  }

  publishRoute(sourceKey: string, groupKey: string): Promise<void> {
    return this.call('publish a route', () => {
      this.cluster.publishRoute(this.nodeIndex, sourceKey, groupKey);
    });
  }

  lookupRoute(sourceKey: string): Promise<number | undefined> {
    return this.call('look up a route', () => this.cluster.lookupRoute(sourceKey));
  }

  publishSrtPeer(groupKey: string, socketId: number): Promise<void> {
    return this.call('publish an SRT peer', () => {
      this.cluster.publishSrtPeer(this.nodeIndex, groupKey, socketId);
    });
  }

  srtPeerOf(groupKey: string): Promise<number | undefined> {
    return this.call("read a group's SRT peer", () => this.cluster.srtPeerOf(groupKey));
  }

  publishStats(stats: unknown): Promise<void> {
    return this.call('publish stats', () => {
      this.cluster.publishStats(this.nodeIndex, stats);
    });
  }

  clusterStats(): Promise<ReadonlyMap<number, unknown>> {
    return this.call('read the cluster stats', () => this.cluster.clusterStats());
  }

  onEvent(listener: (event: CoordinatorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (!this.closed) this.cluster.remove(this.nodeIndex);
    return Promise.resolve();
  }

  /** @internal */
  emit(event: CoordinatorEvent): void {
    // Delivered after the current job, as a remote coordinator would: never inside the caller.
    queueMicrotask(() => {
      if (this.closed && event.type !== 'state') return;
      for (const listener of this.listeners) listener(event);
    });
  }

  /** @internal */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.listeners) listener({ type: 'state', state: 'closed' });
  }

  private call<T>(operation: string, run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new ClusterStoreClosedError(operation));
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
