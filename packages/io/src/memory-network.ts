/**
 * An in-memory UDP network for tests: sockets of the `memory` backend bind addresses on it and
 * exchange datagrams without the kernel. Impairments (loss, delay, duplication, outage) apply per
 * destination address; every datagram can be recorded.
 *
 * It behaves like the kernel where the contract needs it to: bind conflicts, ephemeral ports,
 * dual-stack `::`, a bounded receive queue per socket (datagrams beyond it are dropped), one batch
 * per socket per event-loop turn, and `ECONNREFUSED` for a connected socket whose peer is gone.
 * Randomness comes from a seeded generator, so a test replays exactly.
 */
import { addCounter, Counter, COUNTER_COUNT } from './counters.js';
import type { Address, AddressFamily } from '@bond/wire';
import { createEndpoint } from './endpoint.js';
import { BindError, SendError, SocketClosedError } from './errors.js';
import {
  attempt,
  checkSend,
  resolveOpenOptions,
  type ResolvedOpenOptions,
} from './open-options.js';
import { writeMetaRow } from './receive-batch.js';
import type { BatchSocket, BufferSizes, IoBackend, OpenOptions } from './socket.js';

/** How the network treats datagrams to one address (or all). */
export interface Impairment {
  /** Probability 0..1 that a datagram is lost. */
  loss?: number;
  /** Delivery delay in milliseconds (0: next event-loop turn). */
  delayMs?: number;
  /** Probability 0..1 that a datagram is delivered twice. */
  duplicate?: number;
  /** Drop everything (an outage). */
  down?: boolean;
}

/** One datagram as it crossed the network. */
export interface RecordedDatagram {
  from: Address;
  to: Address;
  bytes: Uint8Array;
  /** Why it was not delivered, if it was not. */
  dropped: 'loss' | 'down' | 'no-socket' | 'queue-full' | undefined;
}

export interface MemoryNetworkOptions {
  /** Seed of the loss and duplication draws. Default 1. */
  seed?: number;
  /** Receive queue per socket in bytes when a socket asks for none. Default 212992 (Linux's). */
  defaultReceiveBuffer?: number;
}

export interface MemoryNetwork {
  /** The backend whose sockets live on this network. */
  readonly backend: IoBackend;
  /** Applies `impairment` to datagrams sent to `address` (every address when omitted). */
  impair(impairment: Impairment, address?: string): void;
  /** Removes every impairment. */
  clearImpairments(): void;
  /** Starts (or stops) recording datagrams into `recorded`. */
  record(on: boolean): void;
  /** Datagrams recorded since `record(true)`. */
  readonly recorded: RecordedDatagram[];
  /** Number of sockets bound now (tests check that every socket was closed). */
  readonly openSockets: number;
}

/** 212992: Linux's default net.core.rmem_default. */
const DEFAULT_RECEIVE_BUFFER = 212992;
/** 49152: the first IANA ephemeral port. */
const FIRST_EPHEMERAL_PORT = 49152;

/** Creates an empty network. */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  return new Network(options);
}

class Network implements MemoryNetwork {
  readonly recorded: RecordedDatagram[] = [];
  readonly backend: IoBackend;
  readonly defaultReceiveBuffer: number;
  private readonly sockets = new Map<string, MemorySocket>();
  private readonly impairments = new Map<string, Impairment>();
  private recording = false;
  private nextPort = FIRST_EPHEMERAL_PORT;
  private state: number;

  constructor(options: MemoryNetworkOptions) {
    this.state = (options.seed ?? 1) >>> 0 || 1;
    this.defaultReceiveBuffer = options.defaultReceiveBuffer ?? DEFAULT_RECEIVE_BUFFER;
    this.backend = {
      name: 'memory',
      open: (openOptions: OpenOptions) => attempt(() => this.open(resolveOpenOptions(openOptions))),
    };
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  impair(impairment: Impairment, address = '*'): void {
    this.impairments.set(address, { ...impairment });
  }

  clearImpairments(): void {
    this.impairments.clear();
  }

  record(on: boolean): void {
    this.recording = on;
  }

  /** xorshift32: small, seeded, good enough for loss draws. */
  random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x100000000;
  }

  private open(options: ResolvedOpenOptions): MemorySocket {
    let port = options.port;
    if (port === 0) {
      for (let tries = 0; tries < 16384; tries++) {
        const candidate = this.nextPort;
        this.nextPort = candidate >= 65535 ? FIRST_EPHEMERAL_PORT : candidate + 1;
        if (!this.conflicts(options, candidate)) {
          port = candidate;
          break;
        }
      }
    }
    if (port === 0 || this.conflicts(options, port)) {
      throw new BindError('EADDRINUSE', 'bind', options.address, options.port);
    }
    const local = createEndpoint(options.address, port);
    const socket = new MemorySocket(this, options, local);
    this.sockets.set(key(local.family, local.ip, port), socket);
    return socket;
  }

  /** Kernel rules without SO_REUSEADDR: same port conflicts if either side is a wildcard. */
  private conflicts(options: ResolvedOpenOptions, port: number): boolean {
    const local = createEndpoint(options.address, port);
    for (const socket of this.sockets.values()) {
      const other = socket.local;
      if (other.port !== port) continue;
      if (other.ip === local.ip) return true;
      const overlaps =
        other.family === local.family ||
        (socket.dualStack && local.family === 4) ||
        (isDualWildcard(options) && other.family === 4);
      if (overlaps && (isWildcard(other) || isWildcard(local))) return true;
    }
    return false;
  }

  unbind(socket: MemorySocket): void {
    this.sockets.delete(key(socket.local.family, socket.local.ip, socket.local.port));
  }

  /** Finds the socket that receives datagrams sent to `to`. */
  lookup(to: Address): MemorySocket | undefined {
    return (
      this.sockets.get(key(to.family, to.ip, to.port)) ??
      this.sockets.get(key(to.family, to.family === 4 ? '0.0.0.0' : '::', to.port)) ??
      (to.family === 4 ? this.dualStackListener(to.port) : undefined)
    );
  }

  private dualStackListener(port: number): MemorySocket | undefined {
    const socket = this.sockets.get(key(6, '::', port));
    return socket?.dualStack === true ? socket : undefined;
  }

  /** Carries one datagram; returns false when the destination has no socket. */
  transmit(from: Address, to: Address, bytes: Uint8Array): boolean {
    const impairment = this.impairments.get(to.ip) ?? this.impairments.get('*');
    const target = this.lookup(to);
    let dropped: RecordedDatagram['dropped'];
    if (impairment?.down === true) dropped = 'down';
    else if (impairment?.loss !== undefined && this.random() < impairment.loss) dropped = 'loss';
    else if (target === undefined) dropped = 'no-socket';
    const copies =
      dropped === undefined &&
      impairment?.duplicate !== undefined &&
      this.random() < impairment.duplicate
        ? 2
        : 1;
    if (dropped === undefined && target !== undefined) {
      for (let n = 0; n < copies; n++) {
        const delay = impairment?.delayMs ?? 0;
        if (delay > 0) {
          const copy = bytes.slice();
          setTimeout(() => target.arrive(from, copy), delay);
        } else if (!target.arrive(from, bytes.slice())) {
          dropped = 'queue-full';
        }
      }
    }
    if (this.recording) this.recorded.push({ from, to, bytes: bytes.slice(), dropped });
    return target !== undefined;
  }
}

function key(family: AddressFamily, address: string, port: number): string {
  return `${family}/${address}/${port}`;
}

function isWildcard(endpoint: Address): boolean {
  return endpoint.ip === '0.0.0.0' || endpoint.ip === '::';
}

function isDualWildcard(options: ResolvedOpenOptions): boolean {
  return options.family === 6 && !options.ipv6Only && options.address === '::';
}

class MemorySocket implements BatchSocket {
  readonly backend = 'memory' as const;
  readonly maxBatch: number;
  readonly counters = new Float64Array(COUNTER_COUNT);
  readonly local: Address;
  readonly remote: Address | undefined;
  readonly dualStack: boolean;

  private readonly network: Network;
  private readonly options: ResolvedOpenOptions;
  private readonly source: Address;
  private readonly sourceMapped: Address;
  private readonly inbox: { from: Address; bytes: Uint8Array }[] = [];
  private inboxBytes = 0;
  private readonly receiveBuffer: number;
  private readonly sendBuffer: number;
  private readonly outbox: { to: Address | undefined; bytes: Uint8Array }[] = [];
  private flushScheduled = false;
  private drainScheduled = false;
  private paused = false;
  private closed = false;
  private refusedPending = false;

  constructor(network: Network, options: ResolvedOpenOptions, local: Address) {
    this.network = network;
    this.options = options;
    this.local = local;
    this.remote = options.connect;
    this.maxBatch = options.batch.maxBatch;
    this.dualStack = isDualWildcard(options);
    this.receiveBuffer = options.receiveBufferSize ?? network.defaultReceiveBuffer;
    this.sendBuffer = options.sendBufferSize ?? network.defaultReceiveBuffer;
    // A wildcard-bound socket sends from the loopback address of the destination's family.
    this.source = isWildcard(local)
      ? createEndpoint(local.family === 4 ? '127.0.0.1' : '::1', local.port)
      : local;
    this.sourceMapped = isWildcard(local) ? createEndpoint('127.0.0.1', local.port) : local;
  }

  send(data: Uint8Array, to?: Address): void {
    if (this.closed) throw new SocketClosedError('send');
    const target = checkSend(
      data,
      to,
      this.options.family,
      this.dualStack,
      this.remote !== undefined,
    );
    this.outbox.push({ to: target, bytes: data.slice() });
    if (this.outbox.length >= this.maxBatch) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.closed || this.outbox.length === 0) return;
    const items = this.outbox.splice(0);
    addCounter(this.counters, Counter.sendBatches);
    addCounter(this.counters, Counter.sendCalls);
    for (const item of items) {
      const to = item.to ?? this.remote;
      if (to === undefined) continue;
      if (this.refusedPending) {
        // Like the kernel: the refusal of an earlier datagram fails the next send on a connected socket.
        this.refusedPending = false;
        addCounter(this.counters, Counter.sendErrors);
        this.options.onError(new SendError('ECONNREFUSED'));
        continue;
      }
      const from = to.family === 4 ? this.sourceMapped : this.source;
      const delivered = this.network.transmit(from, to, item.bytes);
      addCounter(this.counters, Counter.datagramsSent);
      addCounter(this.counters, Counter.bytesSent, item.bytes.length);
      if (!delivered && this.remote !== undefined) this.refusedPending = true;
    }
  }

  /** A datagram reaches this socket's receive queue; false when the queue is full. */
  arrive(from: Address, bytes: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.remote !== undefined && !from.equals(this.remote)) {
      return true; // a connected socket hears only its peer
    }
    if (this.inboxBytes + bytes.length > this.receiveBuffer) return false;
    this.inbox.push({ from, bytes });
    this.inboxBytes += bytes.length;
    this.scheduleDrain();
    return true;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.paused || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Hands over at most one batch, then yields to the event loop. */
  private drain(): void {
    if (this.closed || this.paused || this.inbox.length === 0) return;
    const batch = this.options.batch;
    let count = 0;
    let bytes = 0;
    while (count < this.maxBatch && this.inbox.length > 0) {
      const item = this.inbox.shift();
      if (item === undefined) break;
      this.inboxBytes -= item.bytes.length;
      addCounter(this.counters, Counter.receiveCalls);
      if (item.bytes.length > batch.slotSize) {
        addCounter(this.counters, Counter.truncated);
        continue;
      }
      const offset = count * batch.slotSize;
      batch.slab.set(item.bytes, offset);
      writeMetaRow(batch.meta, count, offset, item.bytes.length, item.from);
      bytes += item.bytes.length;
      count++;
    }
    if (this.inbox.length > 0) this.scheduleDrain();
    if (count === 0) return;
    addCounter(this.counters, Counter.datagramsReceived, count);
    addCounter(this.counters, Counter.bytesReceived, bytes);
    addCounter(this.counters, Counter.receiveBatches);
    this.options.onBatch(batch, count);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.inbox.length > 0) this.scheduleDrain();
  }

  bufferSizes(): BufferSizes {
    if (this.closed) throw new SocketClosedError('read buffer sizes');
    return { receive: this.receiveBuffer, send: this.sendBuffer };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.inbox.length = 0;
      this.network.unbind(this);
    }
    return Promise.resolve();
  }
}
