/**
 * The batch socket interface every backend implements, and the options it is opened with.
 */
import type { Address, BondError } from '@bond/wire';
import type { ReceiveBatch } from './receive-batch.js';

/** Which implementation moves the datagrams. */
export type BackendName = 'linux-mmsg' | 'apple-msgx' | 'dgram' | 'memory';

/** Called once per received batch; rows `0..count-1` of `batch` are valid during the call. */
export type BatchHandler = (batch: ReceiveBatch, count: number) => void;

export interface OpenOptions {
  /**
   * Local address to bind: `0.0.0.0` (default), `::` (dual-stack unless `ipv6Only`), or one
   * uplink's own address (one socket per uplink).
   */
  address?: string;
  /** Local port; 0 (default) lets the system choose. */
  port?: number;
  /** For IPv6 addresses: accept IPv6 only. Default false (dual-stack on `::`). */
  ipv6Only?: boolean;
  /** Connect to this remote endpoint: `send` then takes no destination, and only it is heard. */
  connect?: Address;
  /** Caller-owned receive memory; may be shared by sockets on one thread. */
  batch: ReceiveBatch;
  /** Receives every batch. */
  onBatch: BatchHandler;
  /** Errors after open (send and receive failures); the socket stays open. Default: ignored. */
  onError?: (error: BondError) => void;
  /** `SO_RCVBUF` request in bytes (the kernel may round or cap it; see `bufferSizes()`). */
  receiveBufferSize?: number;
  /** `SO_SNDBUF` request in bytes. */
  sendBufferSize?: number;
  /**
   * Native backends: bytes of queued datagrams one send call takes (the socket's send memory).
   * Default 262144 (256 KiB: a full batch of MTU-sized datagrams and several 64 KiB GSO runs); at
   * least 65536 (one datagram of the largest size). A socket that sends little (one of many) can
   * take less memory; a fuller queue goes out in more calls. Ignored by `dgram`.
   */
  sendQueueBytes?: number;
  /**
   * Share the address and port with other sockets that ask for it too (several processes serving
   * one port, `bond-receiver --workers N`). Native backends set `SO_REUSEPORT` before binding:
   * the kernel spreads datagrams over the sockets by their source (Linux; on macOS the newest
   * socket receives). `dgram` (Node 20 has no `reusePort`) binds non-exclusively instead: in a
   * `node:cluster` worker, every worker then shares the primary's one socket; outside a cluster
   * worker a second bind of the same port still fails. Default false.
   */
  reusePort?: boolean;
}

/** The sizes the kernel actually applied, in bytes. */
export interface BufferSizes {
  receive: number;
  send: number;
}

/** A UDP socket that receives and sends in batches. */
export interface BatchSocket {
  /** The implementation in use. */
  readonly backend: BackendName;
  /** Most datagrams per receive callback and per send system call. */
  readonly maxBatch: number;
  /** Counters indexed by `Counter`, updated in place by the backend. */
  readonly counters: Float64Array;
  /** The bound local endpoint (with the port the system chose). */
  readonly local: Address;
  /** The connected remote endpoint, if any. */
  readonly remote: Address | undefined;
  /**
   * Queues one datagram (copied: the caller may reuse `data` at once). Queued datagrams go out as
   * one batch when the current JavaScript job ends, or at once when `maxBatch` are queued.
   * `to` is required on an unconnected socket and must be omitted on a connected one.
   * Throws `IoArgumentError` for bad arguments and `SocketClosedError` after `close()`.
   */
  send(data: Uint8Array, to?: Address): void;
  /** Sends everything queued now. */
  flush(): void;
  /** Stops reading: datagrams wait in the kernel queue (and are dropped when it is full). */
  pause(): void;
  /** Resumes reading after `pause()`. */
  resume(): void;
  /** What the kernel applied for `SO_RCVBUF` and `SO_SNDBUF`. */
  bufferSizes(): BufferSizes;
  /**
   * Sends what is queued, stops receiving and releases the socket. No `onBatch` or `onError` call
   * happens after `close()` returns. Idempotent.
   */
  close(): Promise<void>;
}

/** Opens batch sockets of one kind. */
export interface IoBackend {
  readonly name: BackendName;
  open(options: OpenOptions): Promise<BatchSocket>;
}
