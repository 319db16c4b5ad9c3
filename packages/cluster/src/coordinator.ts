/**
 * What a clustered bond-receiver node needs from its coordination (issue 14), whatever carries it:
 * the primary process for `--workers N` on one host, or Redis (`--cluster redis://...`) across
 * hosts. The node's packet path never waits on it: every answer it needs per packet comes from the
 * synchronous views (`node`, `nodes`), refreshed in the background; the asynchronous calls are made
 * on registration (REG2 of an unknown source, adoption) and on a cache miss only.
 *
 * Keys: a group is named by {@link groupKeyOf} of its full 256-byte SRTLA id; a source address by
 * `Address.toString()` (`ip:port`, `[v6]:port`).
 */

/** One node of the cluster as the others see it. */
export interface ClusterNodeView {
  /** 1..65535: the index the node writes into the group ids it issues. */
  readonly index: number;
  /** Human-readable name (`--node-id`), for logs and stats. */
  readonly nodeId: string;
  /** Where other nodes send backplane datagrams, `host:port`. */
  readonly backplane: string;
  /**
   * True when the node's listening socket shares this node's address and port (SO_REUSEPORT on one
   * host): a reply it sends leaves from the address the sender targets, so it answers a link
   * directly instead of through the node that received the link.
   */
  readonly sharesListener: boolean;
}

/** `ready`: coordination answers. `degraded`: it does not; the node runs on its caches. */
export type CoordinatorState = 'ready' | 'degraded' | 'closed';

/** What a node is told about the cluster, as it happens. */
export type CoordinatorEvent =
  | { readonly type: 'state'; readonly state: CoordinatorState; readonly reason?: string }
  | { readonly type: 'node-up'; readonly node: ClusterNodeView }
  | { readonly type: 'node-down'; readonly index: number }
  /**
   * This node held `groupKey` but another node holds its lease now (this one could not renew it
   * in time, e.g. Redis was away past the lease TTL and the other adopted the group). Added for
   * the Redis coordinator; a node hands the group over (stops serving it) when told.
   */
  | { readonly type: 'group-lost'; readonly groupKey: string; readonly owner: number };

export interface ClusterCoordinator {
  /** This node's index (written into the group ids it issues). */
  readonly nodeIndex: number;
  /**
   * The cluster's 32-byte secret: the registration cookie keys and the backplane's tag key are
   * derived from it, so every node verifies every node's ids and nothing else talks on the
   * backplane.
   */
  readonly clusterKey: Uint8Array;
  state(): CoordinatorState;
  /** The live node with `index`, from the last refresh; undefined when it is not (known to be) up. */
  node(index: number): ClusterNodeView | undefined;
  /** Every live node, this one included. */
  nodes(): readonly ClusterNodeView[];
  /**
   * Claims group `groupKey` for this node (a lease that this node renews while it owns the
   * group), or learns who holds it. Resolves the owner's index: this node's when it won.
   * Two nodes racing: exactly one wins.
   */
  claimGroup(groupKey: string): Promise<number>;
  /**
   * Gives up a lease this node holds (the group ended); the routes and SRT peer this node
   * published for the group go with it.
   */
  releaseGroup(groupKey: string): Promise<void>;
  /** Publishes that `sourceKey` is a link of `groupKey` (owned by this node), with an expiry. */
  publishRoute(sourceKey: string, groupKey: string): Promise<void>;
  /** The owner of the group `sourceKey` is a link of, for a node that missed in its cache. */
  lookupRoute(sourceKey: string): Promise<number | undefined>;
  /**
   * Records the SRT caller's socket id of group `groupKey`, which this node owns (the destination
   * socket id of the SRT listener's packets to it). Kept while the group's lease is held and for a
   * while after its owner died, never past the group's release. A node adopting the group reads
   * it ({@link srtPeerOf}) to tell the caller at once that its connection ended (an SRT shutdown
   * addressed to it): the caller reconnects through the new owner instead of after its own 5 s
   * peer-idle timeout. Added for issue 14's failover; optional for older implementations.
   */
  publishSrtPeer?(groupKey: string, socketId: number): Promise<void>;
  /** The SRT caller's socket id its last owner published for `groupKey`, if any. */
  srtPeerOf?(groupKey: string): Promise<number | undefined>;
  /** Publishes this node's stats (for `/api/v1/cluster` on any node). */
  publishStats(stats: unknown): Promise<void>;
  /** Every live node's last published stats, by index. */
  clusterStats(): Promise<ReadonlyMap<number, unknown>>;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: CoordinatorEvent) => void): () => void;
  /** Leaves the cluster (releases this node's index and leases) and stops refreshing. */
  close(): Promise<void>;
}

/**
 * A group's key for leases and routes: the hex of the receiver's half of its id, which holds the
 * issuing node, the time and a 128-bit MAC, so it is unique per group.
 */
export function groupKeyOf(id: Uint8Array): string {
  if (id.length !== 256) throw new RangeError(`a group id is 256 bytes, got ${id.length}`);
  return Buffer.from(id.subarray(128, 160)).toString('hex');
}
