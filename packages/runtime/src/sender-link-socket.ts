/**
 * One uplink's socket: a UDP socket bound to the uplink's own address (port 0) and `connect()`-ed
 * to the SRTLA receiver, so the kernel routes it out of that uplink and only the receiver is heard.
 * It can fail (the address is not local, the interface went away) and be opened again; counts of
 * closed sockets are kept, so the link's totals survive reopening.
 */
import {
  COUNTER_COUNT,
  Counter,
  type BatchHandler,
  type BatchSocket,
  type Address,
  type IoBackend,
  type ReceiveBatch,
} from '@bond/io';
import type { BondError } from '@bond/wire';
import type { SenderLinkConfig } from './sender-options.js';

export type LinkSocketState = 'opening' | 'open' | 'failed' | 'closed';

/** One link's socket, as stats show it. */
export interface SenderLinkSocketStats {
  readonly state: LinkSocketState;
  /** The address the socket binds. */
  readonly bindAddress: string;
  /** The socket's own address, while open. */
  readonly local: string | undefined;
  /** Why the socket last failed, while failed. */
  readonly failure: string | undefined;
  /** Failures since the link was added. */
  readonly failures: number;
  /** When failed: milliseconds until the next attempt to open it. */
  readonly retryInMs: number | undefined;
  readonly datagramsSent: number;
  readonly bytesSent: number;
  readonly datagramsReceived: number;
  readonly bytesReceived: number;
  readonly sendErrors: number;
  /** Dropped by the kernel (send queue full). */
  readonly sendDropped: number;
}

export interface SenderLinkSocketOptions {
  readonly io: IoBackend;
  readonly receiver: Address;
  readonly batch: ReceiveBatch;
  readonly onBatch: BatchHandler;
  readonly onError: (error: BondError) => void;
  readonly sendBufferSize: number | undefined;
}

export class SenderLinkSocket {
  state: LinkSocketState = 'failed';
  /** Whether the engine holds this link (exactly while the socket is open). */
  inEngine = false;
  failure: Error | undefined;
  failures = 0;
  /** When failed: the time (clock ms) of the next attempt to open. */
  retryAt: number | undefined;
  /** The next back-off after a failure. */
  backoffMs: number;
  private socket: BatchSocket | undefined;
  private opening: Promise<BatchSocket | undefined> | undefined;
  /** Bumped by every open and release: a stale open closes what it opened. */
  private generation = 0;
  private readonly retired = new Float64Array(COUNTER_COUNT);

  constructor(
    public config: SenderLinkConfig,
    private readonly options: SenderLinkSocketOptions,
    firstBackoffMs: number,
  ) {
    this.backoffMs = firstBackoffMs;
  }

  /** Opens the socket; resolves with it, or undefined when opening failed (see `failure`). */
  open(): Promise<BatchSocket | undefined> {
    const generation = ++this.generation;
    this.state = 'opening';
    this.retryAt = undefined;
    const opening = this.openOnce(generation);
    this.opening = opening;
    return opening;
  }

  private async openOnce(generation: number): Promise<BatchSocket | undefined> {
    const { io, receiver, batch, onBatch, onError, sendBufferSize } = this.options;
    try {
      const socket = await io.open({
        address: this.config.bindAddress,
        port: 0,
        connect: receiver,
        batch,
        onBatch,
        onError,
        ...(sendBufferSize === undefined ? {} : { sendBufferSize }),
      });
      if (generation !== this.generation) {
        await socket.close();
        return undefined;
      }
      this.socket = socket;
      this.state = 'open';
      this.failure = undefined;
      return socket;
    } catch (error) {
      if (generation === this.generation) {
        this.state = 'failed';
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.failures++;
      }
      return undefined;
    }
  }

  /** Sends one datagram to the receiver (copied); false when the socket is not open. */
  send(bytes: Uint8Array): boolean {
    if (this.socket === undefined) return false;
    this.socket.send(bytes);
    return true;
  }

  /** Sends what this link's socket has queued now (nothing when it is not open). */
  flush(): void {
    this.socket?.flush();
  }

  /**
   * Closes the socket (waiting for an open in progress), keeping its counts. `failed` records
   * `failure` as why; `closed` is final.
   */
  async release(state: 'failed' | 'closed', failure?: Error): Promise<void> {
    this.generation++;
    this.state = state;
    if (state === 'failed') {
      this.failures++;
      this.failure = failure;
    }
    const opening = this.opening;
    this.opening = undefined;
    if (opening !== undefined) await opening;
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    await socket.close();
    for (let i = 0; i < COUNTER_COUNT; i++)
      this.retired[i] = (this.retired[i] ?? 0) + (socket.counters[i] ?? 0);
  }

  stats(now: number): SenderLinkSocketStats {
    const counters = this.socket?.counters;
    const read = (index: number) => (this.retired[index] ?? 0) + (counters?.[index] ?? 0);
    const local = this.socket?.local;
    return {
      state: this.state,
      bindAddress: this.config.bindAddress,
      local: local === undefined ? undefined : local.toString(),
      failure: this.state === 'failed' ? this.failure?.message : undefined,
      failures: this.failures,
      retryInMs:
        this.state === 'failed' && this.retryAt !== undefined
          ? Math.max(0, this.retryAt - now)
          : undefined,
      datagramsSent: read(Counter.datagramsSent),
      bytesSent: read(Counter.bytesSent),
      datagramsReceived: read(Counter.datagramsReceived),
      bytesReceived: read(Counter.bytesReceived),
      sendErrors: read(Counter.sendErrors),
      sendDropped: read(Counter.sendDropped),
    };
  }
}
