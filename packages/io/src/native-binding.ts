/**
 * The bindings interface native backends implement (`@bond/io-linux`, `@bond/io-apple`), and the
 * one JavaScript socket built on it.
 *
 * A binding owns no memory the caller reads: JavaScript allocates the receive slab and metadata
 * table (the caller's {@link ReceiveBatch}), a send slab and table, and the counters, and hands them
 * to `open` once. The send slab is one {@link SendArena} shared by every socket of a backend whose
 * send queue fits in it: a datagram waits there only from `send` to the flush at the end of the
 * same turn, so a thousand idle sockets need not hold a thousand slabs (a receiver's upstream
 * sockets, one per group); each socket's rows point into its own part of the arena. The binding
 * watches the descriptor on Node's own event loop, fills the receive rows and calls
 * `onReceive(count)`; `send(handle, count)` sends the queued rows in as few system
 * calls as it can. Counters are written in place, so reading them costs no native call.
 *
 * Send rows use the receive layout (`META_*`); family 0 means "the connected peer".
 */
import type { Address, BondError } from '@bond/wire';
import { addCounter, Counter, COUNTER_COUNT } from './counters.js';
import { createEndpoint } from './endpoint.js';
import { errnoName, systemErrorParts } from './errno.js';
import {
  BindError,
  ReceiveError,
  SendError,
  SocketClosedError,
  SocketOptionError,
} from './errors.js';
import {
  attempt,
  checkSend,
  resolveOpenOptions,
  type ResolvedOpenOptions,
} from './open-options.js';
import {
  META_FAMILY,
  META_LENGTH,
  META_OFFSET,
  META_STRIDE,
  writeMetaRow,
} from './receive-batch.js';
import type { BackendName, BatchSocket, BufferSizes, IoBackend, OpenOptions } from './socket.js';

/** What a binding's `open` returns: opaque to JavaScript. */
export type NativeHandle = object;

/**
 * The functions a native addon exports. Errors thrown carry `errno` (a number) and `syscall`.
 */
export interface NativeBinding {
  /** Creates, sizes and binds a socket, and starts watching it. */
  open(
    family: 4 | 6,
    address: string,
    port: number,
    ipv6Only: boolean,
    receiveBufferSize: number,
    sendBufferSize: number,
    receiveSlab: Uint8Array,
    receiveMeta: Uint32Array,
    maxBatch: number,
    slotSize: number,
    sendSlab: Uint8Array,
    sendMeta: Uint32Array,
    counters: Float64Array,
    /** Called with `this` unbound (the function itself): pass an arrow function or a bound one. */
    onReceive: (count: number) => void,
    /** Sets SO_REUSEPORT before binding (addons built before it existed ignore it). */
    reusePort?: boolean,
  ): NativeHandle;
  /** Connects to `address` (in the socket's own family: IPv4 peers of IPv6 sockets mapped). */
  connect(handle: NativeHandle, address: string, port: number): void;
  /** `[address, port]` the socket is bound to. */
  localAddress(handle: NativeHandle): [string, number];
  /** `[SO_RCVBUF, SO_SNDBUF]` as the kernel reports them. */
  bufferSizes(handle: NativeHandle): [number, number];
  /** Starts or stops watching the descriptor for datagrams. */
  setWatching(handle: NativeHandle, on: boolean): void;
  /** Sends send rows `0..count-1`; returns how many datagrams the kernel took. */
  send(handle: NativeHandle, count: number): number;
  /** Stops watching and closes the descriptor now. Idempotent. */
  close(handle: NativeHandle): void;
}

/**
 * `binding` with `setup(handle)` run on every handle `open` returns, before anything else uses it:
 * for a per-socket switch of one addon (GSO off, plain calls) applied to every socket a backend
 * opens.
 */
export function withOpenSetup(
  binding: NativeBinding,
  setup: (handle: NativeHandle) => void,
): NativeBinding {
  return {
    ...binding,
    open: (...args: Parameters<NativeBinding['open']>) => {
      const handle = binding.open(...args);
      setup(handle);
      return handle;
    },
  };
}

/**
 * Builds an {@link IoBackend} on a native binding. `batchLimit` is the most datagrams the binding
 * takes per call.
 */
export function createBindingBackend(
  name: BackendName,
  binding: NativeBinding,
  batchLimit: number,
): IoBackend {
  let shared: SendArena | undefined;
  return {
    name,
    open: (options: OpenOptions) =>
      attempt(() => {
        const resolved = resolveOpenOptions(options, batchLimit);
        // A queue larger than the shared arena gets an arena of its own (allocated on first use).
        const arena =
          resolved.sendQueueBytes <= SHARED_SEND_ARENA_BYTES
            ? (shared ??= new SendArena(SHARED_SEND_ARENA_BYTES))
            : new SendArena(resolved.sendQueueBytes);
        return NativeBatchSocket.open(name, binding, resolved, arena);
      }),
  };
}

/**
 * 1 MiB: the send arena the sockets of one backend share (four default 256 KiB queues, sixteen of
 * a receiver's 64 KiB upstream queues, queued in the same turn before a flush makes room).
 */
export const SHARED_SEND_ARENA_BYTES = 1024 * 1024;

/** A socket as the arena sees it: it can send what it queued, and remembers its place. */
export interface ArenaHolder {
  flush(): void;
  /** Where the holder is in its arena's list of holders; -1 while it holds nothing there. */
  arenaIndex: number;
}

/**
 * Send memory shared by sockets: each queued datagram takes the next bytes; when one does not fit,
 * every socket with queued datagrams flushes first, and the arena starts again from 0 once none
 * holds any (the native `send` reads the bytes synchronously). Holding and releasing allocate
 * nothing (a list the holders know their place in, not a Set, whose delete rehashes): it happens
 * once per socket per send turn.
 */
export class SendArena {
  readonly bytes: Uint8Array;
  private used = 0;
  /** Sockets with datagrams queued in the arena: the first `holderCount` entries. */
  private readonly holders: (ArenaHolder | undefined)[] = [];
  private holderCount = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /**
   * The offset of `length` fresh bytes (flushing every holder first when full). A socket that
   * had nothing queued before takes them calls {@link hold} after.
   */
  reserve(length: number): number {
    if (this.used + length > this.bytes.length) {
      // Each flush releases its holder (swapping the last one into its place): flush from the end.
      for (let i = this.holderCount - 1; i >= 0; i = Math.min(i - 1, this.holderCount - 1)) {
        this.holders[i]?.flush();
      }
      // A holder whose flush failed to release still must not keep its bytes from being reused:
      // its rows were sent or dropped by its flush.
      for (let i = 0; i < this.holderCount; i++) {
        const holder = this.holders[i];
        if (holder !== undefined) holder.arenaIndex = -1;
        this.holders[i] = undefined;
      }
      this.holderCount = 0;
      this.used = 0;
    }
    const offset = this.used;
    this.used += length;
    return offset;
  }

  /** `holder` has its first datagram queued in the arena (once per queue, not per datagram). */
  hold(holder: ArenaHolder): void {
    if (holder.arenaIndex >= 0) return;
    holder.arenaIndex = this.holderCount;
    this.holders[this.holderCount++] = holder;
  }

  /** `holder` has no datagrams queued any more. */
  release(holder: ArenaHolder): void {
    const index = holder.arenaIndex;
    if (index < 0 || this.holders[index] !== holder) return;
    holder.arenaIndex = -1;
    const last = this.holders[--this.holderCount];
    this.holders[this.holderCount] = undefined;
    if (last !== undefined && last !== holder) {
      this.holders[index] = last;
      last.arenaIndex = index;
    }
    if (this.holderCount === 0) this.used = 0;
  }
}

/**
 * Sockets with queued datagrams, in the order they queued their first one, and the send turn they
 * wait for. A turn is one receive callback (everything a batch of received datagrams makes the
 * caller send, on any socket, goes out when the callback returns: one system call per socket per
 * wake-up, none of Node's microtask machinery per datagram), or, for sends made outside a receive
 * callback (timers, the caller's own code), the current JavaScript job (one microtask).
 */
const queuedSockets: (NativeBatchSocket | undefined)[] = [];
/** How many entries of `queuedSockets` are in use (the array is reused, never shortened). */
let queuedCount = 0;
/** Receive callbacks running (nested only if a callback's code ran another socket's). */
let receiving = 0;
/** Whether a microtask to send the queued sockets is pending. */
let flushTaskQueued = false;

function flushQueuedSockets(): void {
  // A flush can report an error whose handler queues more: those are sent in this same loop.
  for (let i = 0; i < queuedCount; i++) {
    const socket = queuedSockets[i];
    queuedSockets[i] = undefined;
    socket?.flushTurn();
  }
  queuedCount = 0;
}

const flushTask = (): void => {
  flushTaskQueued = false;
  if (receiving === 0) flushQueuedSockets();
};

class NativeBatchSocket implements BatchSocket, ArenaHolder {
  readonly backend: BackendName;
  arenaIndex = -1;
  readonly maxBatch: number;
  readonly counters = new Float64Array(COUNTER_COUNT);
  readonly remote: Address | undefined;
  local: Address;

  private readonly binding: NativeBinding;
  private handle: NativeHandle | undefined;
  private readonly options: ResolvedOpenOptions;
  private readonly dualStack: boolean;
  private readonly arena: SendArena;
  private readonly sendMeta: Uint32Array;
  private sendCount = 0;
  private sendBytes = 0;
  /** Whether this socket is in `queuedSockets`. */
  private queued = false;
  private paused = false;

  private constructor(
    name: BackendName,
    binding: NativeBinding,
    options: ResolvedOpenOptions,
    arena: SendArena,
  ) {
    this.backend = name;
    this.binding = binding;
    this.options = options;
    this.maxBatch = options.batch.maxBatch;
    this.remote = options.connect;
    // `sendQueueBytes` (256 KiB by default: a full batch of MTU-sized datagrams and several
    // 64 KiB GSO runs) bounds what this socket queues; a full queue is sent before the next
    // datagram is queued. The bytes live in the (usually shared) arena.
    this.arena = arena;
    this.sendMeta = new Uint32Array(this.maxBatch * META_STRIDE);
    this.local = createEndpoint(options.family === 4 ? '0.0.0.0' : '::', 0);
    this.dualStack = options.family === 6 && !options.ipv6Only && options.address === '::';
  }

  static open(
    name: BackendName,
    binding: NativeBinding,
    options: ResolvedOpenOptions,
    arena: SendArena,
  ): BatchSocket {
    const socket = new NativeBatchSocket(name, binding, options, arena);
    const batch = options.batch;
    let handle: NativeHandle;
    try {
      handle = binding.open(
        options.family,
        options.address,
        options.port,
        options.ipv6Only,
        options.receiveBufferSize ?? 0,
        options.sendBufferSize ?? 0,
        batch.slab,
        batch.meta,
        batch.maxBatch,
        batch.slotSize,
        arena.bytes,
        socket.sendMeta,
        socket.counters,
        socket.onReceive,
        options.reusePort,
      );
    } catch (error) {
      const { errno, syscall } = systemErrorParts(error, 'bind');
      if (syscall === 'setsockopt')
        throw new SocketOptionError(
          errno,
          options.reusePort ? 'socket buffer size or SO_REUSEPORT' : 'socket buffer size',
          { cause: error },
        );
      throw new BindError(errno, syscall, options.address, options.port, { cause: error });
    }
    socket.handle = handle;
    const remote = options.connect;
    try {
      if (remote !== undefined) {
        const address =
          remote.family === 4 && options.family === 6 ? `::ffff:${remote.ip}` : remote.ip;
        binding.connect(handle, address, remote.port);
      }
      const [address, port] = binding.localAddress(handle);
      socket.local = createEndpoint(address, port);
    } catch (error) {
      binding.close(handle);
      const { errno, syscall } = systemErrorParts(error, 'connect');
      throw new BindError(
        errno,
        syscall,
        remote?.ip ?? options.address,
        remote?.port ?? options.port,
        { cause: error },
      );
    }
    return socket;
  }

  private readonly onReceive = (count: number): void => {
    if (this.handle === undefined) return;
    if (count < 0) {
      addCounter(this.counters, Counter.receiveErrors);
      this.options.onError(new ReceiveError(errnoName(-count)));
      return;
    }
    receiving++;
    try {
      this.options.onBatch(this.options.batch, count);
    } finally {
      if (--receiving === 0) flushQueuedSockets();
    }
  };

  send(data: Uint8Array, to?: Address): void {
    if (this.handle === undefined) throw new SocketClosedError('send');
    const target = checkSend(
      data,
      to,
      this.options.family,
      this.dualStack,
      this.remote !== undefined,
    );
    const length = data.length;
    if (this.sendCount >= this.maxBatch || this.sendBytes + length > this.options.sendQueueBytes)
      this.flush();
    const offset = this.arena.reserve(length);
    // After reserve: a full arena has just flushed this socket too.
    if (this.sendCount === 0) this.arena.hold(this);
    this.arena.bytes.set(data, offset);
    if (target === undefined) {
      const meta = this.sendMeta;
      const row = this.sendCount * META_STRIDE;
      meta[row + META_OFFSET] = offset;
      meta[row + META_LENGTH] = length;
      meta[row + META_FAMILY] = 0;
    } else {
      writeMetaRow(this.sendMeta, this.sendCount, offset, length, target);
    }
    this.sendCount++;
    this.sendBytes += length;
    if (this.sendCount >= this.maxBatch) {
      this.flush();
    } else if (!this.queued) {
      this.queued = true;
      queuedSockets[queuedCount++] = this;
      if (receiving === 0 && !flushTaskQueued) {
        flushTaskQueued = true;
        queueMicrotask(flushTask);
      }
    }
  }

  /** Sends what is queued at the end of a send turn (see `queuedSockets`). */
  flushTurn(): void {
    this.queued = false;
    this.flush();
  }

  flush(): void {
    const count = this.sendCount;
    if (count === 0) return;
    this.sendCount = 0;
    this.sendBytes = 0;
    const handle = this.handle;
    if (handle === undefined) {
      this.arena.release(this);
      return;
    }
    const errorsBefore = this.counters[Counter.sendErrors] ?? 0;
    try {
      this.binding.send(handle, count);
    } finally {
      this.arena.release(this);
    }
    if ((this.counters[Counter.sendErrors] ?? 0) > errorsBefore) {
      const error: BondError = new SendError(errnoName(this.counters[Counter.lastSendErrno] ?? 0));
      this.options.onError(error);
    }
  }

  pause(): void {
    if (this.handle === undefined || this.paused) return;
    this.paused = true;
    this.binding.setWatching(this.handle, false);
  }

  resume(): void {
    if (this.handle === undefined || !this.paused) return;
    this.paused = false;
    this.binding.setWatching(this.handle, true);
  }

  bufferSizes(): BufferSizes {
    if (this.handle === undefined) throw new SocketClosedError('read buffer sizes');
    const [receive, send] = this.binding.bufferSizes(this.handle);
    return { receive, send };
  }

  close(): Promise<void> {
    const handle = this.handle;
    if (handle !== undefined) {
      this.flush();
      this.handle = undefined;
      this.binding.close(handle);
    }
    return Promise.resolve();
  }
}
