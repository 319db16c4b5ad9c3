/**
 * One group's upstream socket: a UDP socket `connect()`-ed to the SRT listener, so the listener
 * sees one stable peer per group (protocol.md 1, 6.4 step 8). Sends are queued by `@bond/io` and
 * leave in batches. While the socket is still opening, datagrams wait in a bounded queue (copied:
 * the bytes belong to the receive slab); past the bound they are dropped and counted.
 */
import {
  Counter,
  type BatchHandler,
  type BatchSocket,
  type Address,
  type IoBackend,
  type ReceiveBatch,
} from '@bond/io';
import type { BondError } from '@bond/wire';

/** 64 KiB: an upstream socket's send queue (`OpenOptions.sendQueueBytes`), the smallest allowed. */
const UPSTREAM_SEND_QUEUE_BYTES = 65536;

/**
 * `none`: the group has no socket yet (it carried no SRT: a group opens its socket on its first
 * SRT packet); `closed`: the group's socket was closed (the group is gone).
 */
export type UpstreamState = 'none' | 'opening' | 'open' | 'failed' | 'closed';

/** One group's upstream socket, as stats show it. */
export interface UpstreamSocketStats {
  readonly state: UpstreamState;
  /** The socket's own address, once bound. */
  readonly local: string | undefined;
  /** The SRT listener it is connected to. */
  readonly remote: string;
  readonly datagramsSent: number;
  readonly bytesSent: number;
  readonly datagramsReceived: number;
  readonly bytesReceived: number;
  readonly sendErrors: number;
  /** Dropped by the kernel (send queue full). */
  readonly sendDropped: number;
  /** Dropped because the socket was not open yet and the queue was full, or it failed. */
  readonly droppedNotReady: number;
}

export interface UpstreamSocketOptions {
  readonly io: IoBackend;
  readonly remote: Address;
  readonly batch: ReceiveBatch;
  readonly onBatch: BatchHandler;
  readonly onError: (error: BondError) => void;
  readonly queueLimit: number;
  readonly sendBufferSize: number | undefined;
}

export class UpstreamSocket {
  state: UpstreamState = 'opening';
  private socket: BatchSocket | undefined;
  private readonly queued: Uint8Array[] = [];
  private droppedNotReady = 0;
  readonly opened: Promise<void>;

  constructor(private readonly options: UpstreamSocketOptions) {
    this.opened = this.open();
  }

  /** Why opening failed, when it did. */
  failure: Error | undefined;

  /** The SRT listener this socket is connected to. */
  get remote(): Address {
    return this.options.remote;
  }

  private async open(): Promise<void> {
    const { remote } = this.options;
    try {
      const socket = await this.options.io.open({
        address: remote.family === 6 ? '::' : '0.0.0.0',
        connect: remote,
        batch: this.options.batch,
        // One socket per group: 64 KiB of send memory (one GSO run, ~49 SRT datagrams per call)
        // keeps an idle group small; the listening socket keeps the default.
        sendQueueBytes: UPSTREAM_SEND_QUEUE_BYTES,
        onBatch: this.options.onBatch,
        onError: this.options.onError,
        ...(this.options.sendBufferSize === undefined
          ? {}
          : { sendBufferSize: this.options.sendBufferSize }),
      });
      if (this.state !== 'opening') {
        await socket.close();
        return;
      }
      this.socket = socket;
      this.state = 'open';
      for (const bytes of this.queued) socket.send(bytes);
      this.queued.length = 0;
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      if (this.state === 'opening') this.state = 'failed';
      this.droppedNotReady += this.queued.length;
      this.queued.length = 0;
    }
  }

  /** Sends one datagram to the SRT listener (copied). */
  send(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket !== undefined && this.state === 'open') {
      socket.send(bytes);
    } else if (this.state === 'opening' && this.queued.length < this.options.queueLimit) {
      this.queued.push(bytes.slice());
    } else {
      this.droppedNotReady++;
    }
  }

  /** Releases the socket; safe while it is still opening. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queued.length = 0;
    await this.opened;
    await this.socket?.close();
  }

  /** Datagrams received from the SRT listener so far (a cheap read: no snapshot object). */
  get datagramsReceived(): number {
    return this.socket?.counters[Counter.datagramsReceived] ?? 0;
  }

  stats(): UpstreamSocketStats {
    const counters = this.socket?.counters;
    const read = (index: number) => counters?.[index] ?? 0;
    const local = this.socket?.local;
    return {
      state: this.state,
      local: local === undefined ? undefined : local.toString(),
      remote: this.options.remote.toString(),
      datagramsSent: read(Counter.datagramsSent),
      bytesSent: read(Counter.bytesSent),
      datagramsReceived: read(Counter.datagramsReceived),
      bytesReceived: read(Counter.bytesReceived),
      sendErrors: read(Counter.sendErrors),
      sendDropped: read(Counter.sendDropped),
      droppedNotReady: this.droppedNotReady,
    };
  }
}
