/**
 * One emulated uplink: a UDP relay. The listen socket stands in for the receiver (the sender's
 * link socket sends to it); each datagram goes through the uplink impairments and out of the
 * upstream socket to the real receiver. Replies reaching the upstream socket go through the
 * downlink impairments back to the sender's address, learned from its latest datagram.
 *
 * With a gateway the listen socket is the emulator's shared one: the emulator hands each datagram
 * to the link its source address belongs to (`fromSender`), and replies leave from the gateway.
 *
 * NAT rebinding: `rebind()` moves the upstream socket to a new ephemeral port, so the receiver sees
 * a new source port. Replies to an old port are dropped and counted (`stalePort`), as a carrier NAT
 * would silently drop them.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import { isIP } from 'node:net';
import { LinkemBindError, LinkemClosedError } from './errors.js';
import { ImpairedDirection, type DirectionStats } from './impaired-direction.js';
import type { Endpoint, ResolvedImpairment, ResolvedLink } from './options.js';
import type { RandomSource } from './seeded-random.js';

export type Direction = 'up' | 'down';

export interface LinkStats {
  readonly name: string;
  /** Where the sender's link socket sends to. */
  readonly listen: Endpoint;
  /** The sender's address as last seen, if any datagram came yet. */
  readonly sender: Endpoint | undefined;
  /** The upstream socket's current local port (what the receiver sees as source port). */
  readonly upstreamPort: number;
  /** How many times the upstream port changed. */
  readonly rebinds: number;
  /** Sender -> receiver. */
  readonly up: DirectionStats;
  /** Receiver -> sender. */
  readonly down: DirectionStats;
}

/** What a relay needs from its emulator. */
export interface RelayContext {
  /** The emulator's clock, ms from its start. */
  readonly now: () => number;
  /** Asks for a release no later than `due`. */
  readonly wake: (due: number) => void;
  readonly random: { readonly up: RandomSource; readonly down: RandomSource };
}

/** 4: old upstream sockets kept open to count replies to them; older ones are closed. */
const STALE_SOCKETS_KEPT = 4;
/** 4 MiB: asked-for kernel receive buffer, so bursts at tens of thousands of datagrams/s fit. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function socketType(address: string): SocketType {
  return isIP(address) === 6 ? 'udp6' : 'udp4';
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost';
}

function bindSocket(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      try {
        socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      } catch {
        // The kernel's limit (net.core.rmem_max) applies; the default buffer still works.
      }
      resolve();
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve(); // already closed
    }
  });
}

/**
 * Binds the emulator's shared listen socket and hands each datagram to `route` (gateway mode).
 *
 * @throws LinkemBindError when it cannot be bound.
 */
export async function openGateway(
  endpoint: Endpoint,
  route: (payload: Buffer, from: RemoteInfo) => void,
): Promise<Socket> {
  const socket = createSocket(socketType(endpoint.address));
  swallowErrors(socket);
  try {
    await bindSocket(socket, endpoint.address, endpoint.port);
  } catch (cause) {
    await closeSocket(socket);
    throw new LinkemBindError('gateway', 'listen', `${endpoint.address}:${endpoint.port}`, {
      cause,
    });
  }
  socket.on('message', route);
  return socket;
}

/** Closes a socket; resolves when it is closed (or was already). */
export { closeSocket };

export class LinkRelay {
  readonly name: string;
  readonly target: Endpoint;
  private readonly up: ImpairedDirection;
  private readonly down: ImpairedDirection;
  private readonly listenSocket: Socket;
  /** The listen socket is the emulator's gateway: not this relay's to close. */
  private readonly sharedListen: boolean;
  private upstream: Socket;
  private readonly staleSockets: Socket[] = [];
  private readonly upstreamAddress: string;
  private listenEndpoint: Endpoint;
  private sender: Endpoint | undefined;
  private rebindCount = 0;
  private closed = false;
  private finalStats: LinkStats | undefined;
  private currentUpstreamPort: number;

  private constructor(
    private readonly link: ResolvedLink,
    private readonly context: RelayContext,
    listenSocket: Socket,
    upstream: Socket,
    sharedListen: boolean,
  ) {
    this.name = link.name;
    this.target = link.target;
    this.listenSocket = listenSocket;
    this.sharedListen = sharedListen;
    this.upstream = upstream;
    this.upstreamAddress = upstream.address().address;
    this.currentUpstreamPort = upstream.address().port;
    const bound = listenSocket.address();
    this.listenEndpoint = { address: bound.address, port: bound.port };
    this.up = new ImpairedDirection(link.up, context.random.up, (payload) => {
      this.sendFrom(this.upstream, payload, this.target, this.up);
    });
    this.down = new ImpairedDirection(link.down, context.random.down, (payload) => {
      if (this.sender !== undefined)
        this.sendFrom(this.listenSocket, payload, this.sender, this.down);
    });
    if (!sharedListen) {
      listenSocket.on('message', (payload: Buffer, from: RemoteInfo) => {
        this.fromSender(payload, from);
      });
    }
    this.attachUpstream(upstream);
  }

  /**
   * Binds the relay's sockets.
   *
   * @throws LinkemBindError when the listen or upstream socket cannot be bound.
   */
  static async open(
    link: ResolvedLink,
    context: RelayContext,
    gateway?: Socket,
  ): Promise<LinkRelay> {
    if (gateway !== undefined) {
      return new LinkRelay(link, context, gateway, await LinkRelay.openUpstream(link), true);
    }
    const listenSocket = createSocket(socketType(link.listen.address));
    swallowErrors(listenSocket);
    try {
      await bindSocket(listenSocket, link.listen.address, link.listen.port);
    } catch (cause) {
      await closeSocket(listenSocket);
      throw new LinkemBindError(link.name, 'listen', `${link.listen.address}:${link.listen.port}`, {
        cause,
      });
    }
    let upstream: Socket;
    try {
      upstream = await LinkRelay.openUpstream(link);
    } catch (cause) {
      await closeSocket(listenSocket);
      throw cause;
    }
    return new LinkRelay(link, context, listenSocket, upstream, false);
  }

  private static async openUpstream(link: ResolvedLink, address?: string): Promise<Socket> {
    const type = socketType(link.target.address);
    const bindAddress =
      address ??
      link.upstreamAddress ??
      (isLoopback(link.target.address)
        ? type === 'udp6'
          ? '::1'
          : '127.0.0.1'
        : type === 'udp6'
          ? '::'
          : '0.0.0.0');
    const socket = createSocket(type);
    swallowErrors(socket);
    try {
      await bindSocket(socket, bindAddress, 0);
    } catch (cause) {
      await closeSocket(socket);
      throw new LinkemBindError(link.name, 'upstream', `${bindAddress}:0`, { cause });
    }
    return socket;
  }

  /** Where the sender's link socket must send to. */
  get address(): Endpoint {
    return this.listenEndpoint;
  }

  /** The source port the receiver currently sees. */
  get upstreamPort(): number {
    return this.currentUpstreamPort;
  }

  settings(direction: Direction): ResolvedImpairment {
    return this.direction(direction).settings;
  }

  /** Replaces one direction's impairment (already resolved) now. */
  apply(direction: Direction, impairment: ResolvedImpairment): void {
    this.ensureOpen('update');
    const target = this.direction(direction);
    target.update(this.context.now(), impairment);
    this.context.wake(target.nextDueMs());
  }

  /**
   * Moves the upstream socket to a new ephemeral port (NAT rebinding) and returns the new port.
   * Datagrams still in flight leave from the new port.
   */
  async rebind(): Promise<number> {
    this.ensureOpen('rebind');
    const fresh = await LinkRelay.openUpstream(this.link, this.upstreamAddress);
    if (this.closed) {
      await closeSocket(fresh);
      throw new LinkemClosedError(`link "${this.name}" rebind`);
    }
    const old = this.upstream;
    old.removeAllListeners('message');
    old.on('message', (payload: Buffer) => {
      this.down.reject(payload, 'stalePort');
    });
    this.staleSockets.push(old);
    while (this.staleSockets.length > STALE_SOCKETS_KEPT) {
      const oldest = this.staleSockets.shift();
      if (oldest !== undefined) void closeSocket(oldest);
    }
    this.upstream = fresh;
    this.currentUpstreamPort = fresh.address().port;
    this.attachUpstream(fresh);
    this.rebindCount++;
    return this.upstreamPort;
  }

  /** Services both directions at `now`; returns the next due time. */
  service(now: number): number {
    this.up.service(now);
    this.down.service(now);
    return Math.min(this.up.nextDueMs(), this.down.nextDueMs());
  }

  /** Counters now; after `close()`, the counters as they were when it closed. */
  stats(): LinkStats {
    if (this.finalStats !== undefined) return this.finalStats;
    const now = this.context.now();
    return {
      name: this.name,
      listen: this.listenEndpoint,
      sender: this.sender,
      upstreamPort: this.upstreamPort,
      rebinds: this.rebindCount,
      up: this.up.stats(now),
      down: this.down.stats(now),
    };
  }

  /**
   * Closes every socket of this link. Datagrams still queued or in flight are discarded (the final
   * stats show how many: `queueBytes`, `inFlight`). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.finalStats = this.stats();
    this.closed = true;
    const sockets = [
      ...(this.sharedListen ? [] : [this.listenSocket]),
      this.upstream,
      ...this.staleSockets,
    ];
    this.staleSockets.length = 0;
    await Promise.all(sockets.map(closeSocket));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private direction(direction: Direction): ImpairedDirection {
    return direction === 'up' ? this.up : this.down;
  }

  private ensureOpen(operation: string): void {
    if (this.closed) throw new LinkemClosedError(`link "${this.name}" ${operation}`);
  }

  private attachUpstream(socket: Socket): void {
    socket.on('message', (payload: Buffer) => {
      if (this.sender === undefined) {
        this.down.reject(payload, 'noPeer');
        return;
      }
      this.down.offer(this.context.now(), payload);
      this.context.wake(this.down.nextDueMs());
    });
  }

  /** A datagram from the sender (its listen socket's, or the gateway's for this link). */
  fromSender(payload: Buffer, from: RemoteInfo): void {
    if (this.closed) return;
    if (this.sender?.port !== from.port || this.sender.address !== from.address) {
      this.sender = { address: from.address, port: from.port };
    }
    this.up.offer(this.context.now(), payload);
    this.context.wake(this.up.nextDueMs());
  }

  private sendFrom(
    socket: Socket,
    payload: Uint8Array,
    to: Endpoint,
    direction: ImpairedDirection,
  ): void {
    if (this.closed) return;
    try {
      socket.send(payload, to.port, to.address, (error) => {
        if (error) direction.countSendError();
      });
    } catch {
      direction.countSendError();
    }
  }
}

/** Socket errors are counted where they matter (send callbacks); an unhandled one must not crash. */
function swallowErrors(socket: Socket): void {
  socket.on('error', () => undefined);
}
