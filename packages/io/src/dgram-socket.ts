/**
 * The portable backend: `node:dgram` under the batch interface.
 *
 * Node delivers one `message` event (and one Buffer) per datagram and makes one system call per
 * send; this backend copies each datagram into the caller's slab and hands over the batch once per
 * event-loop turn (or at once when the slab is full), and sends its queue once per JavaScript job.
 * It runs everywhere Node runs and is the fallback of the native backends.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { Address, type BondError } from '@bond/wire';
import { claimBatch, releaseBatch } from './batch-claim.js';
import { addCounter, Counter, COUNTER_COUNT } from './counters.js';
import { createEndpoint } from './endpoint.js';
import { systemErrorParts } from './errno.js';
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
  META_STRIDE,
  META_OFFSET,
  META_LENGTH,
  META_FAMILY,
  META_PORT,
  META_ADDRESS,
  type ReceiveBatch,
} from './receive-batch.js';
import type { BatchSocket, BufferSizes, IoBackend, OpenOptions } from './socket.js';

/** The `node:dgram` backend. */
export const dgramBackend: IoBackend = {
  name: 'dgram',
  open: (options: OpenOptions) => attempt(() => DgramBatchSocket.open(resolveOpenOptions(options))),
};

/** Node's UDP handle methods this backend uses to pause reading; present in every supported Node. */
interface UdpHandle {
  recvStart?: () => number;
  recvStop?: () => number;
}

class DgramBatchSocket implements BatchSocket {
  readonly backend = 'dgram' as const;
  readonly maxBatch: number;
  readonly counters = new Float64Array(COUNTER_COUNT);
  readonly remote: Address | undefined;
  local: Address;

  private readonly socket: Socket;
  private readonly batch: ReceiveBatch;
  private readonly options: ResolvedOpenOptions;
  private readonly dualStack: boolean;
  private pending = 0;
  private deliveryScheduled = false;
  private readonly deliverNow = () => {
    this.deliver();
  };
  private readonly queue: Buffer[] = [];
  private readonly queuePorts: number[] = [];
  private readonly queueAddresses: string[] = [];
  private flushScheduled = false;
  private closed = false;
  private paused = false;
  /** Sends handed to dgram whose callback has not run; close() waits for them. */
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  // One-entry cache: consecutive datagrams usually come from the same peer.
  private lastAddress = '';
  private lastWords: [number, number, number, number, number] = [4, 0, 0, 0, 0];

  private constructor(socket: Socket, options: ResolvedOpenOptions, local: Address) {
    this.socket = socket;
    this.options = options;
    this.batch = options.batch;
    this.maxBatch = options.batch.maxBatch;
    this.remote = options.connect;
    this.local = local;
    this.dualStack = options.family === 6 && !options.ipv6Only && local.ip === '::';
    socket.on('message', (message, rinfo) => {
      this.onMessage(message, rinfo);
    });
    socket.on('error', (error) => {
      this.onSocketError(error);
    });
  }

  static async open(options: ResolvedOpenOptions): Promise<BatchSocket> {
    const socket = createSocket({
      type: options.family === 6 ? 'udp6' : 'udp4',
      ipv6Only: options.ipv6Only,
      reuseAddr: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // Non-exclusive: node:cluster workers share the primary's socket (dgram's reusePort).
        const exclusive = !options.reusePort;
        socket.bind({ address: options.address, port: options.port, exclusive }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      const { errno, syscall } = systemErrorParts(error, 'bind');
      throw new BindError(errno, syscall, options.address, options.port, { cause: error });
    }
    try {
      if (options.receiveBufferSize !== undefined)
        socket.setRecvBufferSize(options.receiveBufferSize);
      if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
    } catch (error) {
      socket.close();
      throw new SocketOptionError(
        systemErrorParts(error, 'setsockopt').errno,
        'socket buffer size',
        { cause: error },
      );
    }
    const remote = options.connect;
    if (remote !== undefined) {
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(remote.port, dgramAddress(remote, options.family), () => {
            socket.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        socket.close();
        const { errno } = systemErrorParts(error, 'connect');
        throw new BindError(errno, 'connect', remote.ip, remote.port, { cause: error });
      }
    }
    const bound = socket.address();
    return new DgramBatchSocket(socket, options, createEndpoint(bound.address, bound.port));
  }

  send(data: Uint8Array, to?: Address): void {
    if (this.closing !== undefined) throw new SocketClosedError('send');
    const target = checkSend(
      data,
      to,
      this.options.family,
      this.dualStack,
      this.remote !== undefined,
    );
    const copy = Buffer.allocUnsafe(data.length);
    copy.set(data);
    this.queue.push(copy);
    this.queuePorts.push(target?.port ?? 0);
    this.queueAddresses.push(target === undefined ? '' : dgramAddress(target, this.options.family));
    if (this.queue.length >= this.maxBatch) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushLater);
    }
  }

  private readonly flushLater = () => {
    this.flushScheduled = false;
    this.flush();
  };

  private readonly onSent = (error: Error | null, bytes: number) => {
    this.inFlight--;
    if (this.inFlight === 0 && this.drained !== undefined) this.drained();
    if (error) {
      addCounter(this.counters, Counter.sendErrors);
      if (!this.closed)
        this.options.onError(
          new SendError(systemErrorParts(error, 'send').errno, { cause: error }),
        );
      return;
    }
    addCounter(this.counters, Counter.datagramsSent);
    addCounter(this.counters, Counter.bytesSent, bytes);
  };

  flush(): void {
    const count = this.queue.length;
    if (count === 0 || this.closed) return;
    const connected = this.remote !== undefined;
    for (let i = 0; i < count; i++) {
      const buffer = this.queue[i];
      if (buffer === undefined) continue;
      this.inFlight++;
      if (connected) this.socket.send(buffer, this.onSent);
      else this.socket.send(buffer, this.queuePorts[i], this.queueAddresses[i], this.onSent);
    }
    addCounter(this.counters, Counter.sendBatches);
    addCounter(this.counters, Counter.sendCalls, count);
    this.queue.length = 0;
    this.queuePorts.length = 0;
    this.queueAddresses.length = 0;
  }

  private onMessage(message: Buffer, rinfo: RemoteInfo): void {
    if (this.closing !== undefined) return;
    const batch = this.batch;
    if (message.length > batch.slotSize) {
      addCounter(this.counters, Counter.truncated);
      return;
    }
    if (this.pending === 0) claimBatch(batch, this, this.deliverNow);
    const i = this.pending;
    const offset = i * batch.slotSize;
    batch.slab.set(message, offset);
    if (rinfo.address !== this.lastAddress) {
      const parsed = Address.parse(rinfo.address, 0);
      this.lastAddress = rinfo.address;
      this.lastWords = parsed ? [parsed.family, ...parsed.words] : [4, 0, 0, 0, 0];
    }
    const row = i * META_STRIDE;
    const meta = batch.meta;
    const words = this.lastWords;
    meta[row + META_OFFSET] = offset;
    meta[row + META_LENGTH] = message.length;
    meta[row + META_FAMILY] = words[0];
    meta[row + META_PORT] = rinfo.port;
    meta[row + META_ADDRESS] = words[1];
    meta[row + META_ADDRESS + 1] = words[2];
    meta[row + META_ADDRESS + 2] = words[3];
    meta[row + META_ADDRESS + 3] = words[4];
    this.pending = i + 1;
    addCounter(this.counters, Counter.receiveCalls);
    if (this.pending >= this.maxBatch) {
      this.deliver();
    } else if (!this.deliveryScheduled) {
      this.deliveryScheduled = true;
      setImmediate(this.deliverScheduled);
    }
  }

  private readonly deliverScheduled = () => {
    this.deliveryScheduled = false;
    this.deliver();
  };

  private deliver(): void {
    const count = this.pending;
    if (count === 0) return;
    this.pending = 0;
    releaseBatch(this.batch, this);
    if (this.closing !== undefined) return;
    const batch = this.batch;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += batch.meta[i * META_STRIDE + META_LENGTH] ?? 0;
    addCounter(this.counters, Counter.datagramsReceived, count);
    addCounter(this.counters, Counter.bytesReceived, bytes);
    addCounter(this.counters, Counter.receiveBatches);
    this.options.onBatch(batch, count);
  }

  private onSocketError(error: Error): void {
    if (this.closed) return;
    const { errno, syscall } = systemErrorParts(error, 'recv');
    let reported: BondError;
    if (syscall.startsWith('send')) {
      addCounter(this.counters, Counter.sendErrors);
      reported = new SendError(errno, { cause: error });
    } else {
      addCounter(this.counters, Counter.receiveErrors);
      reported = new ReceiveError(errno, { cause: error });
    }
    this.options.onError(reported);
  }

  pause(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    this.udpHandle()?.recvStop?.();
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.udpHandle()?.recvStart?.();
  }

  private udpHandle(): UdpHandle | undefined {
    return (this.socket as unknown as { _handle?: UdpHandle })._handle;
  }

  bufferSizes(): BufferSizes {
    if (this.closed) throw new SocketClosedError('read buffer sizes');
    return { receive: this.socket.getRecvBufferSize(), send: this.socket.getSendBufferSize() };
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.flush();
    // dgram resolves the destination before sending; closing earlier would discard the queue.
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
      this.drained = undefined;
    }
    // Rows gathered but not yet handed over are discarded: no callback after close().
    this.pending = 0;
    releaseBatch(this.batch, this);
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.socket.close(() => {
        resolve();
      });
    });
  }
}

/** The address text dgram needs: IPv4 destinations of an IPv6 socket go through the mapping. */
function dgramAddress(endpoint: Address, socketFamily: 4 | 6): string {
  return endpoint.family === 4 && socketFamily === 6 ? `::ffff:${endpoint.ip}` : endpoint.ip;
}
