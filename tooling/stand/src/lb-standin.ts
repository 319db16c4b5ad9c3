/**
 * A load-balancer stand-in for cluster tests (issue 14; not shipped): one public UDP address on
 * loopback in front of N bond-receiver nodes, doing what a full-NAT UDP balancer (IPVS in FULLNAT
 * mode, Katran with source NAT, a cloud network load balancer) does:
 *
 * - each sender source `addr:port` is hashed to one live node (rendezvous hashing, as Maglev aims
 *   at: a source stays on its node while the node set is unchanged, and when a node goes, only
 *   its sources move); flows already placed stay on their node while it is up (connection
 *   tracking), new ones hash over the live set;
 * - one proxy socket per source towards its node: the node sees the proxy socket as the source
 *   (full NAT), and what the node sends back to it leaves the public address towards the source;
 * - a node whose port refuses (ICMP port unreachable on the proxy socket, which is connected to
 *   it), or that is marked down, is taken out and its sources are rehashed onto the live nodes
 *   (each through a new proxy socket); optionally a node that sent
 *   nothing back for `silentAfterMs` while being sent to is taken out too;
 * - bounded tables: at most `maxSources` sources (new ones beyond are dropped and counted), a
 *   source idle for `idleTimeoutMs` is forgotten and its proxy socket closed; datagrams waiting
 *   for a new proxy socket to bind are bounded too.
 *
 * Everything is counted ({@link LbStandin.counters}). IPv4 and IPv6 (per address family of the
 * public address and of each node).
 */
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

/** A UDP endpoint. */
export interface LbEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface LbStandinOptions {
  /** The public address senders send to (port 0: a free one). Default 127.0.0.1:0. */
  readonly listen?: LbEndpoint;
  /** The nodes behind it, in order (a node is named by its index here or its `addr:port`). */
  readonly nodes: readonly LbEndpoint[];
  /** A source silent this long is forgotten (its proxy socket closed). Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Sources tracked at once; datagrams from new sources beyond are dropped. Default 10 000. */
  readonly maxSources?: number;
  /**
   * Take a node out when it sent nothing back for this long while datagrams were sent to it.
   * Default: off (only refusals and {@link LbStandin.markDown} take nodes out).
   */
  readonly silentAfterMs?: number;
  /** Told when a node goes down or comes back, and how many sources moved. */
  readonly onEvent?: (event: LbEvent) => void;
}

export type LbEvent =
  | {
      readonly type: 'node-down';
      readonly node: string;
      readonly reason: 'marked' | 'refused' | 'silent';
      readonly moved: number;
    }
  | { readonly type: 'node-up'; readonly node: string };

export interface LbNodeCounters {
  readonly node: string;
  readonly up: boolean;
  /** Sources currently placed on it. */
  readonly sources: number;
  readonly datagramsToNode: number;
  readonly bytesToNode: number;
  readonly datagramsFromNode: number;
  readonly bytesFromNode: number;
}

export interface LbCounters {
  /** Datagrams the public address received. */
  readonly received: number;
  /** Datagrams sent back to sources from the public address. */
  readonly replied: number;
  /** Sources placed (first datagram) and re-placed after their node went down. */
  readonly sourcesPlaced: number;
  readonly sourcesMoved: number;
  readonly sourcesExpired: number;
  /** Dropped: no node up / the source table full / the pending queue of a new source full. */
  readonly droppedNoNode: number;
  readonly droppedTableFull: number;
  readonly droppedPending: number;
  readonly sendErrors: number;
  readonly nodes: readonly LbNodeCounters[];
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_SOURCES = 10_000;
/** Datagrams held per source while its proxy socket binds. */
const MAX_PENDING = 64;

interface NodeState {
  readonly endpoint: LbEndpoint;
  readonly key: string;
  up: boolean;
  sources: number;
  datagramsToNode: number;
  bytesToNode: number;
  datagramsFromNode: number;
  bytesFromNode: number;
  /** When it was first sent to since its last reply (for `silentAfterMs`); 0: not waiting. */
  waitingSince: number;
}

interface SourceState {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  node: NodeState;
  socket: Socket | undefined;
  connected: boolean;
  pending: Buffer[];
  lastSeen: number;
  closed: boolean;
}

/** `addr:port` (`[v6]:port`). */
export function endpointKey(endpoint: LbEndpoint): string {
  return isIP(endpoint.address) === 6
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

/** Parses `addr:port` or `[v6]:port`; throws a message naming the value. */
export function parseEndpoint(raw: string): LbEndpoint {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  const address = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || address === undefined || isIP(address) === 0 || port > 65535) {
    throw new Error(`"${raw}" is not ADDR:PORT or [IPV6]:PORT with an IP address`);
  }
  return { address, port };
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/** Rendezvous score of `source` on `node`: the highest live score wins. */
function score(source: string, node: string): bigint {
  return createHash('sha256').update(`${source}|${node}`).digest().readBigUInt64BE(0);
}

export class LbStandin {
  private readonly publicSocket: Socket;
  private readonly nodeStates: NodeState[];
  private readonly sourceTable = new Map<string, SourceState>();
  private readonly idleTimeoutMs: number;
  private readonly maxSources: number;
  private readonly silentAfterMs: number | undefined;
  private readonly onEvent: ((event: LbEvent) => void) | undefined;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private closed = false;
  private counts = {
    received: 0,
    replied: 0,
    sourcesPlaced: 0,
    sourcesMoved: 0,
    sourcesExpired: 0,
    droppedNoNode: 0,
    droppedTableFull: 0,
    droppedPending: 0,
    sendErrors: 0,
  };

  private constructor(socket: Socket, options: LbStandinOptions) {
    this.publicSocket = socket;
    this.nodeStates = options.nodes.map((endpoint) => ({
      endpoint,
      key: endpointKey(endpoint),
      up: true,
      sources: 0,
      datagramsToNode: 0,
      bytesToNode: 0,
      datagramsFromNode: 0,
      bytesFromNode: 0,
      waitingSince: 0,
    }));
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.maxSources = options.maxSources ?? DEFAULT_MAX_SOURCES;
    this.silentAfterMs = options.silentAfterMs;
    this.onEvent = options.onEvent;
    socket.on('message', (message, from) => {
      this.fromSource(message, from);
    });
    const sweepEvery = Math.max(
      20,
      Math.min(this.idleTimeoutMs, this.silentAfterMs ?? Infinity, 4000) / 4,
    );
    this.sweepTimer = setInterval(() => {
      this.sweep();
    }, sweepEvery);
    this.sweepTimer.unref();
  }

  /** Binds the public address. Rejects on a bad option or a bind error. */
  static async open(options: LbStandinOptions): Promise<LbStandin> {
    if (options.nodes.length === 0) throw new Error('lb-standin needs at least one node');
    const seen = new Set<string>();
    for (const node of options.nodes) {
      if (isIP(node.address) === 0) throw new Error(`node address "${node.address}" is not an IP`);
      if (!Number.isInteger(node.port) || node.port < 1 || node.port > 65535) {
        throw new Error(`node port must be 1..65535, got ${node.port}`);
      }
      const key = endpointKey(node);
      if (seen.has(key)) throw new Error(`node ${key} is listed twice`);
      seen.add(key);
    }
    for (const [name, value] of [
      ['idleTimeoutMs', options.idleTimeoutMs],
      ['maxSources', options.maxSources],
      ['silentAfterMs', options.silentAfterMs],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new Error(`${name} must be a positive integer, got ${value}`);
      }
    }
    const listen = options.listen ?? { address: '127.0.0.1', port: 0 };
    const socket = createSocket(isIP(listen.address) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(listen.port, listen.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined); // send errors are counted where they happen
    return new LbStandin(socket, options);
  }

  /** The public address senders send to. */
  get address(): LbEndpoint {
    const { address, port } = this.publicSocket.address();
    return { address, port };
  }

  /** The node a source is placed on now (`addr:port` of each), or undefined. */
  nodeOf(source: LbEndpoint): string | undefined {
    return this.sourceTable.get(endpointKey(source))?.node.key;
  }

  /** Where each tracked source is placed: source `addr:port` -> node `addr:port`. */
  placements(): Map<string, string> {
    return new Map([...this.sourceTable].map(([key, source]) => [key, source.node.key]));
  }

  /** The node a new source would be placed on now (rendezvous over the live nodes). */
  pick(source: LbEndpoint): string | undefined {
    return this.choose(endpointKey(source))?.key;
  }

  /**
   * Takes a node out (by index in the options' list or `addr:port`): new sources skip it, and its
   * sources are moved to live nodes. Answers how many moved.
   */
  markDown(node: number | string, reason: 'marked' | 'refused' | 'silent' = 'marked'): number {
    const state = this.findNode(node);
    if (!state.up) return 0;
    state.up = false;
    state.waitingSince = 0;
    let moved = 0;
    for (const source of this.sourceTable.values()) {
      if (source.node !== state) continue;
      const next = this.choose(source.key);
      if (!next) {
        this.forget(source); // nowhere to go
        continue;
      }
      this.place(source, next);
      moved++;
    }
    this.counts.sourcesMoved += moved;
    this.onEvent?.({ type: 'node-down', node: state.key, reason, moved });
    return moved;
  }

  /** Puts a node back: new sources may land on it (placed ones stay where they are). */
  markUp(node: number | string): void {
    const state = this.findNode(node);
    if (state.up) return;
    state.up = true;
    state.waitingSince = 0;
    this.onEvent?.({ type: 'node-up', node: state.key });
  }

  counters(): LbCounters {
    return {
      ...this.counts,
      nodes: this.nodeStates.map((n) => ({
        node: n.key,
        up: n.up,
        sources: n.sources,
        datagramsToNode: n.datagramsToNode,
        bytesToNode: n.bytesToNode,
        datagramsFromNode: n.datagramsFromNode,
        bytesFromNode: n.bytesFromNode,
      })),
    };
  }

  /** Closes every socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const source of [...this.sourceTable.values()]) this.forget(source);
    await new Promise<void>((resolve) => {
      this.publicSocket.close(() => {
        resolve();
      });
    });
  }

  private findNode(node: number | string): NodeState {
    const state =
      typeof node === 'number'
        ? this.nodeStates[node]
        : this.nodeStates.find((n) => n.key === node || n.key === endpointKey(parseEndpoint(node)));
    if (!state) throw new Error(`no node ${String(node)} behind this balancer`);
    return state;
  }

  private choose(sourceKey: string): NodeState | undefined {
    let best: NodeState | undefined;
    let bestScore = -1n;
    for (const node of this.nodeStates) {
      if (!node.up) continue;
      const s = score(sourceKey, node.key);
      if (s > bestScore) {
        best = node;
        bestScore = s;
      }
    }
    return best;
  }

  private fromSource(message: Buffer, from: RemoteInfo): void {
    if (this.closed) return;
    this.counts.received++;
    const key = endpointKey({ address: from.address, port: from.port });
    let source = this.sourceTable.get(key);
    if (!source) {
      if (this.sourceTable.size >= this.maxSources) {
        this.counts.droppedTableFull++;
        return;
      }
      const node = this.choose(key);
      if (!node) {
        this.counts.droppedNoNode++;
        return;
      }
      source = {
        key,
        address: from.address,
        port: from.port,
        node,
        socket: undefined,
        connected: false,
        pending: [],
        lastSeen: 0,
        closed: false,
      };
      this.sourceTable.set(key, source);
      node.sources++;
      this.counts.sourcesPlaced++;
      this.place(source, node);
    }
    source.lastSeen = Date.now();
    if (!source.connected) {
      if (source.pending.length >= MAX_PENDING) this.counts.droppedPending++;
      else source.pending.push(message);
      return;
    }
    this.toNode(source, message);
  }

  /**
   * Points `source` at `node` through a new proxy socket connected to it (so ICMP refusals are
   * reported on it). A moved source gets a new socket: refusals and replies of the old node stay
   * with the old one (a balancer's new conntrack entry may well take a new NAT port too).
   */
  private place(source: SourceState, node: NodeState): void {
    if (source.socket) this.closeSocket(source);
    if (source.node !== node) {
      source.node.sources--;
      node.sources++;
    }
    source.node = node;
    const socket = createSocket(isIP(node.endpoint.address) === 6 ? 'udp6' : 'udp4');
    source.socket = socket;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (source.socket !== socket || source.closed) return;
      if (error.code === 'ECONNREFUSED') {
        if (node.up) this.markDown(node.key, 'refused');
        return;
      }
      this.counts.sendErrors++;
    });
    socket.on('message', (message) => {
      if (source.socket !== socket || source.closed) return;
      node.datagramsFromNode++;
      node.bytesFromNode += message.length;
      node.waitingSince = 0;
      this.publicSocket.send(message, source.port, source.address, (error) => {
        if (error) this.counts.sendErrors++;
        else this.counts.replied++;
      });
    });
    // On loopback the proxy side stays on loopback too.
    const local = isLoopback(node.endpoint.address)
      ? isIP(node.endpoint.address) === 6
        ? '::1'
        : '127.0.0.1'
      : undefined;
    socket.bind(0, local, () => {
      if (source.socket !== socket || source.closed) return;
      socket.connect(node.endpoint.port, node.endpoint.address, () => {
        if (source.socket !== socket || source.closed) return;
        source.connected = true;
        const waiting = source.pending;
        source.pending = [];
        for (const message of waiting) this.toNode(source, message);
      });
    });
  }

  private toNode(source: SourceState, message: Buffer): void {
    const node = source.node;
    const socket = source.socket;
    if (!socket) return;
    node.datagramsToNode++;
    node.bytesToNode += message.length;
    if (node.waitingSince === 0) node.waitingSince = Date.now();
    socket.send(message, (error) => {
      if (!error) return;
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        if (node.up && source.node === node) this.markDown(node.key, 'refused');
        return;
      }
      this.counts.sendErrors++;
    });
  }

  private closeSocket(source: SourceState): void {
    const socket = source.socket;
    source.socket = undefined;
    source.connected = false;
    if (!socket) return;
    try {
      socket.close();
    } catch {
      // already closed
    }
  }

  private forget(source: SourceState): void {
    if (source.closed) return;
    source.closed = true;
    source.node.sources--;
    source.pending = [];
    this.closeSocket(source);
    this.sourceTable.delete(source.key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const source of [...this.sourceTable.values()]) {
      if (now - source.lastSeen >= this.idleTimeoutMs) {
        this.forget(source);
        this.counts.sourcesExpired++;
      }
    }
    if (this.silentAfterMs !== undefined) {
      for (const node of this.nodeStates) {
        if (node.up && node.waitingSince !== 0 && now - node.waitingSince >= this.silentAfterMs) {
          this.markDown(node.key, 'silent');
        }
      }
    }
  }
}
