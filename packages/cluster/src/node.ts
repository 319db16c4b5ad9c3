/**
 * One node of a bond-receiver cluster (issue 14): the routing in front of its receiver's engine,
 * its caches, the backplane to the other nodes, and the bookkeeping of the groups it owns.
 *
 * The owner of a group is the node that answered its REG1 (its index is in the group id), or the
 * node that adopted it when that one was gone. At a node X, a datagram from source S goes:
 *
 * 1. S is a link of X's engine: to the engine (the receiver checks this before asking the node).
 * 2. REG1: to X's engine (X becomes the owner of the group it issues).
 * 3. REG2 with an id that verifies under the cluster's keys, issued by node N:
 *    known to X's engine -> engine; a group X learned another node W adopted -> forward to W;
 *    N is X -> engine (unless the id is not fresh for X's engine: X restarted under the same
 *    index, and adopts it as below); N is live -> forward to N (and remember S -> N); N is gone -> claim the
 *    group's lease (asynchronously: the REG2 is held meanwhile, later copies dropped), and the
 *    winner adopts it: X adopts and hands the REG2 to its engine, or X forwards it to the winner.
 *    An id that does not verify goes to X's engine, which answers "no such group".
 * 4. Anything else from S with a cached route to a live owner: forward. Without one: the engine
 *    drops it; X asks the coordinator for S's route (at most once a second per source).
 *
 * The packet path never waits on the coordinator; cached routes expire when unused for
 * `routeIdleMs` and go at once when their owner goes down, so the sender's next REG2 adopts.
 *
 * At the owner, a forwarded datagram is handed to the engine as if it came from S; a reply to S
 * leaves from the owner's own listening socket when the node that heard S shares it (one host,
 * SO_REUSEPORT or one shared handle), else it goes back over the backplane to that node, which
 * sends it from its listening socket (where the sender expects it).
 */
import type { ReceiverEvent } from '@bond/core';
import type {
  ReceiverClusterHooks,
  ReceiverClusterOptions,
  ReceiverClusterPort,
} from '@bond/runtime';
import {
  Address,
  DatagramKind,
  SRTLA_ID_LENGTH,
  classifyDatagram,
  encodeSrtShutdown,
} from '@bond/wire';
import {
  REPLY_TO_LINK,
  TO_OWNER,
  type Backplane,
  type BackplaneCounters,
  type BackplaneMessage,
} from './backplane.js';
import { groupKeyOf, type ClusterCoordinator, type CoordinatorEvent } from './coordinator.js';
import { deriveBackplaneKey, deriveCookieKeys } from './keys.js';

/** A cached route left unused this long is forgotten, ms. */
export const DEFAULT_ROUTE_IDLE_MS = 60_000;
/** A source that is no link is looked up at most this often, ms. */
const LOOKUP_INTERVAL_MS = 1000;
/** Sources remembered for lookup throttling and links' ingress nodes, at most. */
const TABLE_LIMIT = 65_536;
/** How often idle routes are swept, ms. */
const SWEEP_INTERVAL_MS = 5000;
/**
 * A group whose issuer this node has never seen (not live in its view, and no `node-down` for it
 * since this node started or since that node was last up) is adopted only when REG2s for it keep
 * coming this long: the issuer may have joined a moment ago and this node's view not caught up
 * yet (the Redis coordinator polls the nodes every 500 ms). Adopting then would split the group
 * between two nodes. An issuer seen going down is adopted at once.
 */
export const UNKNOWN_ISSUER_GRACE_MS = 1500;
/** REG2s further apart than this do not add up to the grace. */
const UNKNOWN_ISSUER_WINDOW_MS = 60_000;
/**
 * After adopting a group, each of its links that comes back within this gets the SRT shutdown
 * for the old caller connection too (one copy per link: a lost one does not leave the caller
 * waiting for its own timeout), ms.
 */
export const SHUTDOWN_WINDOW_MS = 10_000;

/** What a node logs through (the runtime's logger fits). */
export interface ClusterNodeLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

export interface ClusterNodeOptions {
  readonly coordinator: ClusterCoordinator;
  /** The node's bound backplane socket (`Backplane.open`); the node starts and closes it. */
  readonly backplane: Backplane;
  readonly logger?: ClusterNodeLogger;
  /** Default {@link DEFAULT_ROUTE_IDLE_MS}. */
  readonly routeIdleMs?: number;
  /** Milliseconds, for route idleness and lookup throttling. Default `performance.now`. */
  readonly clock?: () => number;
}

/** Counters of a node's routing, for stats and metrics. */
export interface ClusterNodeStats {
  readonly nodeIndex: number;
  /** Datagrams from links forwarded to their group's owner. */
  readonly forwarded: number;
  /** Datagrams other nodes forwarded to this one (its engine handled them). */
  readonly forwardedIn: number;
  /** Replies sent back over the backplane to the node that heard the link. */
  readonly repliesOut: number;
  /** Replies other nodes sent through this node's listening socket. */
  readonly repliesIn: number;
  /** Groups this node adopted (their issuer was gone). */
  readonly groupsAdopted: number;
  /**
   * SRT shutdowns sent to the caller of an adopted group, addressed to its connection through the
   * gone owner (so it reconnects at once), one per link.
   */
  readonly callerShutdowns: number;
  /** Claims for a gone node's group that another node won. */
  readonly adoptionsLost: number;
  /** Route lookups made for sources that were no link. */
  readonly routeLookups: number;
  /** Cached source routes. */
  readonly routes: number;
  /** Groups this node owns. */
  readonly ownedGroups: number;
  readonly backplane: BackplaneCounters;
}

interface Route {
  readonly address: Address;
  owner: number;
  lastUsed: number;
}

interface Ingress {
  readonly address: Address;
  node: number;
}

/** One cluster node. Pass {@link receiverCluster} to `createReceiver`'s `cluster` option. */
export class ClusterNode {
  readonly nodeIndex: number;
  private readonly coordinator: ClusterCoordinator;
  private readonly backplane: Backplane;
  private readonly logger: ClusterNodeLogger | undefined;
  private readonly routeIdleMs: number;
  private readonly clock: () => number;
  private readonly cookieKeys: Uint8Array;
  private port: ReceiverClusterPort | undefined;
  /** Source -> owner, learned from REG2 and lookups. */
  private readonly routes = new Map<number, Route>();
  /** Group key -> the node that adopted it (learned from a lost claim). */
  private readonly adopted = new Map<string, number>();
  /** Group keys whose claim is in flight. */
  private readonly claiming = new Set<string>();
  /** Nodes this node saw going down (and not up again since). */
  private readonly seenDown = new Set<number>();
  /** Group key -> when a REG2 first named it while its issuer was unknown here. */
  private readonly unknownIssuerSince = new Map<string, number>();
  /** When each unknown source was last looked up. */
  private readonly lookedUp = new Map<number, number>();
  /** Per link of an owned group: the node it was last heard through. */
  private readonly ingress = new Map<number, Ingress>();
  /** Engine group handle -> group key, for the groups this node owns. */
  private readonly owned = new Map<number, string>();
  /** Group key -> its SRT caller's socket id, for the groups this node owns. */
  private readonly srtPeers = new Map<string, number>();
  /** Adopted groups whose old caller connection is being shut down: links told so far. */
  private readonly shutdowns = new Map<
    string,
    { readonly bytes: Uint8Array; readonly until: number; readonly told: Set<number> }
  >();
  /** Backplane addresses by node index. */
  private readonly peers = new Map<number, Address>();
  private tick = 0;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;
  private closed = false;
  private readonly counts = {
    forwarded: 0,
    forwardedIn: 0,
    repliesOut: 0,
    repliesIn: 0,
    groupsAdopted: 0,
    callerShutdowns: 0,
    adoptionsLost: 0,
    routeLookups: 0,
  };

  constructor(options: ClusterNodeOptions) {
    this.coordinator = options.coordinator;
    this.nodeIndex = options.coordinator.nodeIndex;
    this.backplane = options.backplane;
    this.logger = options.logger;
    this.routeIdleMs = options.routeIdleMs ?? DEFAULT_ROUTE_IDLE_MS;
    this.clock = options.clock ?? (() => performance.now());
    this.cookieKeys = deriveCookieKeys(options.coordinator.clusterKey);
    this.tick = this.clock();
    this.backplane.start({
      key: deriveBackplaneKey(options.coordinator.clusterKey),
      nodeIndex: this.nodeIndex,
      isKnown: (index) => index !== this.nodeIndex && this.coordinator.node(index) !== undefined,
      onMessage: this.onBackplane,
      onBatchEnd: () => this.port?.flush(),
    });
    this.unsubscribe = this.coordinator.onEvent(this.onCoordinatorEvent);
    this.sweepTimer = setInterval(this.sweep, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** `createReceiver`'s `cluster` option for this node. */
  receiverCluster(): ReceiverClusterOptions {
    return {
      cookieKeys: this.cookieKeys,
      nodeIndex: this.nodeIndex,
      attach: (port) => {
        this.port = port;
        return this.hooks;
      },
    };
  }

  /** The backplane's bound address. */
  get backplaneAddress(): Address {
    return this.backplane.local;
  }

  stats(): ClusterNodeStats {
    return {
      nodeIndex: this.nodeIndex,
      ...this.counts,
      routes: this.routes.size,
      ownedGroups: this.owned.size,
      backplane: {
        sent: this.backplane.counters.sent,
        received: this.backplane.counters.received,
        rejected: { ...this.backplane.counters.rejected },
      },
    };
  }

  /** The group keys this node owns (for `/api/v1/cluster`). */
  ownedGroups(): string[] {
    return [...this.owned.values()];
  }

  /** Stops routing and closes the backplane (the coordinator is the caller's to close). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.unsubscribe();
    await this.backplane.close();
  }

  // ---------------------------------------------------------------- the packet path

  private readonly hooks: ReceiverClusterHooks = {
    route: (from, bytes) => this.route(from, bytes),
    sendToLink: (to, bytes) => this.sendToLink(to, bytes),
    onEvent: (event) => {
      this.onEngineEvent(event);
    },
    onSrtPeer: (groupId, socketId) => {
      const groupKey = this.owned.get(groupId);
      if (groupKey === undefined) return;
      this.srtPeers.set(groupKey, socketId);
      this.publishSrtPeer(groupKey, socketId);
    },
  };

  private route(from: Address, bytes: Uint8Array): boolean {
    if (this.closed) return false;
    const kind = classifyDatagram(bytes);
    if (kind === DatagramKind.SrtlaReg1) return false;
    if (kind === DatagramKind.SrtlaReg2) return this.routeReg2(from, bytes);
    const route = this.routes.get(from.key);
    if (route?.address.equals(from) === true) {
      const to = this.peerAddress(route.owner);
      if (to !== undefined) {
        route.lastUsed = this.tick;
        this.forward(to, from, bytes);
        return true;
      }
      this.routes.delete(from.key);
    }
    this.lookUp(from);
    return false;
  }

  private routeReg2(from: Address, bytes: Uint8Array): boolean {
    const port = this.port;
    if (port === undefined || bytes.length < 2 + SRTLA_ID_LENGTH) return false;
    const id = bytes.subarray(2, 2 + SRTLA_ID_LENGTH);
    const issuer = port.nodeOf(id);
    // Not one of the cluster's ids: the engine answers "no such group".
    if (issuer === undefined || port.hasGroup(id)) return false;
    const groupKey = groupKeyOf(id);
    const adopter = this.adopted.get(groupKey);
    if (adopter !== undefined) {
      if (adopter === this.nodeIndex) return false;
      const to = this.peerAddress(adopter);
      if (to !== undefined) {
        this.remember(from, adopter);
        this.forward(to, from, bytes);
        return true;
      }
      this.adopted.delete(groupKey);
    }
    if (issuer === 0) return false;
    if (issuer === this.nodeIndex) {
      // Issued by this index in an earlier life (the process restarted): adopt, as for a gone node.
      if (port.isFreshId(id)) return false;
      if (!this.claiming.has(groupKey)) this.claim(groupKey, from, bytes.slice());
      return true;
    }
    const to = this.peerAddress(issuer);
    if (to !== undefined) {
      this.remember(from, issuer);
      this.forward(to, from, bytes);
      return true;
    }
    // The issuer is gone: whoever wins the group's lease adopts it. An issuer never seen here may
    // be a node that joined a moment ago: wait for the view to catch up (the sender repeats REG2).
    if (!this.seenDown.has(issuer) && !this.unknownLongEnough(groupKey)) return true;
    if (!this.claiming.has(groupKey)) this.claim(groupKey, from, bytes.slice());
    return true;
  }

  /** Whether REG2s for `groupKey`, whose issuer this node does not know, came for the grace. */
  private unknownLongEnough(groupKey: string): boolean {
    const now = this.clock();
    const since = this.unknownIssuerSince.get(groupKey);
    if (since === undefined) {
      if (this.unknownIssuerSince.size >= TABLE_LIMIT) this.unknownIssuerSince.clear();
      this.unknownIssuerSince.set(groupKey, now);
      return false;
    }
    if (now - since > UNKNOWN_ISSUER_WINDOW_MS) {
      // Last heard of long ago: count from now.
      this.unknownIssuerSince.set(groupKey, now);
      return false;
    }
    if (now - since < UNKNOWN_ISSUER_GRACE_MS) return false;
    this.unknownIssuerSince.delete(groupKey);
    return true;
  }

  private claim(groupKey: string, from: Address, reg2: Uint8Array): void {
    this.claiming.add(groupKey);
    this.coordinator.claimGroup(groupKey).then(
      (winner) => {
        this.claiming.delete(groupKey);
        if (this.closed) return;
        const port = this.port;
        if (port === undefined) return;
        const id = reg2.subarray(2, 2 + SRTLA_ID_LENGTH);
        if (winner === this.nodeIndex) {
          if (port.adoptGroup(id, from) === undefined) {
            this.logger?.warn('could not adopt a group whose node is gone', { groupKey });
            port.flush();
            this.coordinator.releaseGroup(groupKey).catch(() => undefined);
            return;
          }
          this.counts.groupsAdopted++;
          this.adopted.set(groupKey, this.nodeIndex);
          this.logger?.info('adopted a group whose node is gone', {
            group: groupKey.slice(32, 40),
            issuer: port.nodeOf(id),
            from: from.toString(),
          });
          port.inject(from, reg2);
          port.flush();
          this.endOldCallerConnection(groupKey, from);
          return;
        }
        this.counts.adoptionsLost++;
        this.adopted.set(groupKey, winner);
        const to = this.peerAddress(winner);
        if (to !== undefined) {
          this.remember(from, winner);
          this.forward(to, from, reg2);
        }
      },
      (error: unknown) => {
        this.claiming.delete(groupKey);
        this.logger?.warn('cannot claim a group whose node is gone; the sender retries', {
          groupKey,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  }

  /**
   * The group's owner died with the upstream socket its SRT caller was connected through: the
   * listener will never answer that connection again, but the caller only notices after its
   * 5 s peer-idle timeout. Tell it now, with an SRT shutdown addressed to its socket (the id the
   * old owner published), sent down the group's links: the sender hands it to the caller, which
   * reconnects through this node.
   */
  private endOldCallerConnection(groupKey: string, from: Address): void {
    const lookup = this.coordinator.srtPeerOf?.(groupKey);
    if (lookup === undefined) return;
    lookup.then(
      (socketId) => {
        if (socketId === undefined || this.closed || !this.ownsGroup(groupKey)) return;
        const bytes = encodeSrtShutdown({ timestamp: 0, destinationSocketId: socketId });
        const entry = { bytes, until: this.clock() + SHUTDOWN_WINDOW_MS, told: new Set<number>() };
        this.shutdowns.set(groupKey, entry);
        this.logger?.info(
          'told the SRT caller of an adopted stream that its old connection ended; it reconnects through this node',
          { group: groupKey.slice(32, 40), socketId },
        );
        this.tellCaller(entry, from);
        this.port?.flush();
      },
      () => undefined, // degraded: the caller finds out by its own timeout
    );
  }

  private tellCaller(
    entry: { readonly bytes: Uint8Array; readonly told: Set<number> },
    link: Address,
  ): void {
    if (entry.told.has(link.key)) return;
    entry.told.add(link.key);
    this.counts.callerShutdowns++;
    if (!this.sendToLink(link, entry.bytes)) this.port?.sendFromListener(link, entry.bytes);
  }

  private ownsGroup(groupKey: string): boolean {
    for (const key of this.owned.values()) if (key === groupKey) return true;
    return false;
  }

  private publishSrtPeer(groupKey: string, socketId: number): void {
    this.coordinator.publishSrtPeer?.(groupKey, socketId).catch(() => undefined);
  }

  private lookUp(from: Address): void {
    const now = this.clock();
    this.tick = now;
    const last = this.lookedUp.get(from.key);
    if (last !== undefined && now - last < LOOKUP_INTERVAL_MS) return;
    if (this.lookedUp.size >= TABLE_LIMIT) this.lookedUp.clear();
    this.lookedUp.set(from.key, now);
    this.counts.routeLookups++;
    this.coordinator.lookupRoute(from.toString()).then(
      (owner) => {
        if (owner === undefined || owner === this.nodeIndex || this.closed) return;
        if (this.coordinator.node(owner) !== undefined) this.remember(from, owner);
      },
      () => undefined, // degraded: the next datagram from it asks again after the interval
    );
  }

  private remember(from: Address, owner: number): void {
    const route = this.routes.get(from.key);
    if (route?.address.equals(from) === true) {
      route.owner = owner;
      route.lastUsed = this.tick;
      return;
    }
    if (this.routes.size >= TABLE_LIMIT * 4) this.sweep();
    this.routes.set(from.key, { address: from, owner, lastUsed: this.tick });
  }

  private forward(to: Address, from: Address, bytes: Uint8Array): void {
    this.counts.forwarded++;
    this.backplane.send(to, TO_OWNER, from, bytes);
  }

  /** A reply to link `to`: back through the node that heard it, when that one is elsewhere. */
  private sendToLink(to: Address, bytes: Uint8Array): boolean {
    const entry = this.ingress.get(to.key);
    if (entry === undefined || !entry.address.equals(to) || entry.node === this.nodeIndex) {
      return false;
    }
    const view = this.coordinator.node(entry.node);
    if (view === undefined || view.sharesListener) return false;
    const peer = this.peerAddress(entry.node);
    if (peer === undefined) return false;
    this.counts.repliesOut++;
    this.backplane.send(peer, REPLY_TO_LINK, to, bytes);
    return true;
  }

  private readonly onBackplane = (message: BackplaneMessage): void => {
    const port = this.port;
    if (port === undefined || this.closed) return;
    if (message.type === TO_OWNER) {
      this.counts.forwardedIn++;
      const link = message.link;
      const entry = this.ingress.get(link.key);
      if (entry?.address.equals(link) === true) {
        entry.node = message.node;
      } else {
        if (this.ingress.size >= TABLE_LIMIT) this.ingress.clear();
        this.ingress.set(link.key, { address: link, node: message.node });
      }
      if (this.adoptsForwarded(port, link, message.payload)) return;
      port.inject(link, message.payload);
    } else {
      this.counts.repliesIn++;
      port.sendFromListener(message.link, message.payload);
    }
  };

  /**
   * A REG2 another node forwarded here because this index issued its id, for a group this process
   * does not hold and did not issue (its predecessor under the same index did): adopt it. True
   * when taken.
   */
  private adoptsForwarded(port: ReceiverClusterPort, link: Address, payload: Uint8Array): boolean {
    if (
      classifyDatagram(payload) !== DatagramKind.SrtlaReg2 ||
      payload.length < 2 + SRTLA_ID_LENGTH
    ) {
      return false;
    }
    const id = payload.subarray(2, 2 + SRTLA_ID_LENGTH);
    if (port.nodeOf(id) !== this.nodeIndex || port.hasGroup(id) || port.isFreshId(id)) return false;
    const groupKey = groupKeyOf(id);
    if (!this.claiming.has(groupKey)) this.claim(groupKey, link, payload.slice());
    return true;
  }

  // ---------------------------------------------------------------- bookkeeping

  private onEngineEvent(event: ReceiverEvent): void {
    switch (event.type) {
      case 'group-created': {
        const groupKey = groupKeyOf(event.id);
        this.owned.set(event.groupId, groupKey);
        this.adopted.delete(groupKey);
        this.coordinator.claimGroup(groupKey).then(
          (owner) => {
            const socketId = this.srtPeers.get(groupKey);
            if (owner === this.nodeIndex && socketId !== undefined) {
              this.publishSrtPeer(groupKey, socketId); // learned before the lease was granted
            }
            if (owner !== this.nodeIndex && !this.closed) {
              this.logger?.warn('another node holds the lease of a group this node created', {
                groupKey,
                owner,
              });
            }
          },
          (error: unknown) => {
            this.logger?.warn('cannot record a group with the coordinator', {
              error: error instanceof Error ? error.message : String(error),
            });
          },
        );
        return;
      }
      case 'group-removed': {
        const groupKey = this.owned.get(event.groupId);
        if (groupKey === undefined) return;
        this.owned.delete(event.groupId);
        this.srtPeers.delete(groupKey);
        this.shutdowns.delete(groupKey);
        this.coordinator.releaseGroup(groupKey).catch(() => undefined);
        return;
      }
      case 'link-added': {
        const groupKey = this.owned.get(event.groupId);
        if (groupKey !== undefined) {
          this.coordinator.publishRoute(event.address.toString(), groupKey).catch(() => undefined);
          const shutdown = this.shutdowns.get(groupKey);
          if (shutdown !== undefined) {
            if (this.clock() < shutdown.until) this.tellCaller(shutdown, event.address);
            else this.shutdowns.delete(groupKey);
          }
        }
        return;
      }
      case 'link-removed': {
        const entry = this.ingress.get(event.address.key);
        if (entry?.address.equals(event.address) === true) this.ingress.delete(event.address.key);
        return;
      }
      default:
    }
  }

  private readonly onCoordinatorEvent = (event: CoordinatorEvent): void => {
    if (event.type === 'node-down') {
      this.peers.delete(event.index);
      this.seenDown.add(event.index);
      for (const [key, route] of this.routes)
        if (route.owner === event.index) this.routes.delete(key);
      for (const [key, owner] of this.adopted) if (owner === event.index) this.adopted.delete(key);
      this.logger?.info('cluster node down', { node: event.index });
    } else if (event.type === 'node-up') {
      this.peers.delete(event.node.index);
      this.seenDown.delete(event.node.index);
      this.logger?.info('cluster node up', { node: event.node.index, nodeId: event.node.nodeId });
    } else if (event.type === 'group-lost') {
      // Another node holds the lease now (this one could not renew it in time): that node serves
      // the stream. Drop this engine's copy at once (its links, its upstream socket: two sockets
      // feeding the SRT listener one stream would garble it), and send later REG2s there.
      this.adopted.set(event.groupKey, event.owner);
      let dropped = false;
      for (const [groupId, groupKey] of this.owned) {
        if (groupKey !== event.groupKey) continue;
        dropped =
          this.port?.dropGroup(groupId, `handed over to cluster node ${event.owner}`) ?? false;
      }
      if (dropped) this.port?.flush();
      this.logger?.warn('cluster: another node took over a stream this node served', {
        group: event.groupKey.slice(0, 16),
        node: event.owner,
        dropped,
      });
    } else if (event.state !== 'ready') {
      this.logger?.warn(`cluster coordination ${event.state}`, {
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      });
    }
  };

  /** The backplane address of live node `index` (not this one), or undefined. */
  private peerAddress(index: number): Address | undefined {
    if (index === this.nodeIndex) return undefined;
    const view = this.coordinator.node(index);
    if (view === undefined) return undefined;
    const known = this.peers.get(index);
    if (known !== undefined) return known;
    const parsed = parseHostPort(view.backplane);
    if (parsed === undefined) {
      this.logger?.warn('a cluster node published a backplane address that is no ip:port', {
        node: index,
        backplane: view.backplane,
      });
      return undefined;
    }
    this.peers.set(index, parsed);
    return parsed;
  }

  private readonly sweep = (): void => {
    const now = this.clock();
    this.tick = now;
    for (const [key, route] of this.routes) {
      if (now - route.lastUsed >= this.routeIdleMs) this.routes.delete(key);
    }
    for (const [key, since] of this.unknownIssuerSince) {
      if (now - since > UNKNOWN_ISSUER_WINDOW_MS) this.unknownIssuerSince.delete(key);
    }
    for (const [key, at] of this.lookedUp) {
      if (now - at >= LOOKUP_INTERVAL_MS) this.lookedUp.delete(key);
    }
    for (const [key, entry] of this.shutdowns) if (now >= entry.until) this.shutdowns.delete(key);
  };
}

/** `1.2.3.4:5`, `[::1]:5` -> an Address; undefined for anything else (no host names). */
export function parseHostPort(text: string): Address | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return Address.parse(match[1] ?? match[2] ?? '', port);
}
