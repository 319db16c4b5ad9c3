/**
 * Validation shared by every backend, so each rejects bad arguments the same way.
 */
import { Address, type AddressFamily, type BondError } from '@bond/wire';
import { IoArgumentError } from './errors.js';
import { MAX_BATCH_LIMIT, ReceiveBatch } from './receive-batch.js';
import type { BatchHandler, OpenOptions } from './socket.js';

/** Open options after validation and defaults. */
export interface ResolvedOpenOptions {
  family: AddressFamily;
  address: string;
  port: number;
  ipv6Only: boolean;
  connect: Address | undefined;
  batch: ReceiveBatch;
  onBatch: BatchHandler;
  onError: (error: BondError) => void;
  receiveBufferSize: number | undefined;
  sendBufferSize: number | undefined;
  sendQueueBytes: number;
  reusePort: boolean;
}

/** 256 KiB: the default native send queue (see `OpenOptions.sendQueueBytes`). */
export const DEFAULT_SEND_QUEUE_BYTES = 256 * 1024;
/** 64 KiB: the smallest send queue, one datagram of the largest size. */
export const MIN_SEND_QUEUE_BYTES = 65536;

/** 65507: the largest IPv4 UDP payload (65535 - 20 IP - 8 UDP); IPv6 allows 65527. */
export const MAX_DATAGRAM_IPV4 = 65507;
export const MAX_DATAGRAM_IPV6 = 65527;

/** Validates `options`; throws `IoArgumentError` naming the first bad field. */
export function resolveOpenOptions(
  options: OpenOptions,
  batchLimit = MAX_BATCH_LIMIT,
): ResolvedOpenOptions {
  if (typeof options !== 'object') throw new IoArgumentError('open options must be an object');
  const address = options.address ?? '0.0.0.0';
  const parsed = typeof address === 'string' ? Address.parse(address, 0) : undefined;
  if (parsed === undefined) {
    throw new IoArgumentError(`address must be an IPv4 or IPv6 literal, got "${address}"`);
  }
  // A literal IPv4-mapped address still binds an IPv6 socket.
  const family: AddressFamily = address.includes(':') ? 6 : 4;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IoArgumentError(`port must be an integer 0..65535, got ${String(port)}`);
  }
  if (!(options.batch instanceof ReceiveBatch)) {
    throw new IoArgumentError('batch must be a ReceiveBatch from createReceiveBatch()');
  }
  if (options.batch.maxBatch > batchLimit) {
    throw new IoArgumentError(`batch.maxBatch must be at most ${batchLimit} for this backend`);
  }
  if (typeof options.onBatch !== 'function')
    throw new IoArgumentError('onBatch must be a function');
  const connect = options.connect;
  if (connect !== undefined) {
    checkAddress(connect, 'connect');
    if (connect.family === 6 && family === 4) {
      throw new IoArgumentError(`cannot connect an IPv4 socket to IPv6 ${connect.ip}`);
    }
    if (connect.port === 0) throw new IoArgumentError('connect endpoint needs a port other than 0');
  }
  for (const [name, value] of [
    ['receiveBufferSize', options.receiveBufferSize],
    ['sendBufferSize', options.sendBufferSize],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1)) {
      throw new IoArgumentError(`${name} must be a positive integer, got ${String(value)}`);
    }
  }
  const sendQueueBytes = options.sendQueueBytes ?? DEFAULT_SEND_QUEUE_BYTES;
  if (
    !Number.isInteger(sendQueueBytes) ||
    sendQueueBytes < MIN_SEND_QUEUE_BYTES ||
    sendQueueBytes > 64 * 1024 * 1024
  ) {
    throw new IoArgumentError(
      `sendQueueBytes must be an integer from ${MIN_SEND_QUEUE_BYTES} (one largest datagram) to 64 MiB, got ${String(sendQueueBytes)}`,
    );
  }
  return {
    family,
    address,
    port,
    ipv6Only: options.ipv6Only ?? false,
    connect,
    batch: options.batch,
    onBatch: options.onBatch,
    onError: options.onError ?? ignoreError,
    receiveBufferSize: options.receiveBufferSize,
    sendBufferSize: options.sendBufferSize,
    sendQueueBytes,
    reusePort: options.reusePort === true,
  };
}

function ignoreError(): void {
  // Errors are counted; a caller that wants them passes onError.
}

function checkAddress(endpoint: Address, what: string): void {
  // Callers outside TypeScript can pass anything: check the shape at run time.
  const shape = endpoint as unknown as { family?: unknown; words?: unknown } | null;
  if (
    typeof shape !== 'object' ||
    shape === null ||
    (shape.family !== 4 && shape.family !== 6) ||
    !Array.isArray(shape.words)
  ) {
    throw new IoArgumentError(
      `${what} must be an Address (from createEndpoint() or Address.parse())`,
    );
  }
}

/**
 * Checks one `send` call and returns the destination (`undefined` on a connected socket).
 * `family` is the socket's; `dualStack` whether an IPv6 socket also reaches IPv4.
 */
export function checkSend(
  data: Uint8Array,
  to: Address | undefined,
  family: AddressFamily,
  dualStack: boolean,
  connected: boolean,
): Address | undefined {
  if (!(data instanceof Uint8Array)) throw new IoArgumentError('send data must be a Uint8Array');
  if (connected) {
    if (to !== undefined)
      throw new IoArgumentError('a connected socket sends without a destination');
  } else {
    if (to === undefined)
      throw new IoArgumentError('send needs a destination on an unconnected socket');
    checkAddress(to, 'send destination');
    if (to.port === 0) throw new IoArgumentError('cannot send to port 0');
    if (to.family === 6 && family === 4) {
      throw new IoArgumentError(`an IPv4 socket cannot send to IPv6 ${to.ip}`);
    }
    if (to.family === 4 && family === 6 && !dualStack) {
      throw new IoArgumentError(`an IPv6-only socket cannot send to IPv4 ${to.ip}`);
    }
  }
  const limit = family === 6 && to?.family !== 4 ? MAX_DATAGRAM_IPV6 : MAX_DATAGRAM_IPV4;
  if (data.length > limit) {
    throw new IoArgumentError(`datagram of ${data.length} bytes exceeds the UDP limit of ${limit}`);
  }
  return to;
}

/** Runs `open`, turning a synchronous throw into a rejected promise. */
export function attempt<T>(open: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(open());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
