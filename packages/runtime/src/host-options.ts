/**
 * What `createReceiver` and `createSender` take alike: how they reach sockets, the clock,
 * randomness and the log. Each side's options extend {@link HostOptions}.
 */
import type { RandomSource } from '@bond/core';
import type { BackendChoice, IoBackend } from '@bond/io';
import type { Clock } from './clock.js';
import type { RuntimeLogger } from './logger.js';

export interface HostOptions {
  /** IO backend choice (`BOND_IO_BACKEND` overrides it). Default `auto`: native when it loads. */
  readonly backend?: BackendChoice;
  /** Open every socket on this backend instead (tests pass a memory network's backend). */
  readonly io?: IoBackend;
  /** Where state changes are logged. Default: silent. */
  readonly logger?: RuntimeLogger;
  /** Monotonic milliseconds. Default `performance.now`. */
  readonly clock?: Clock;
  /**
   * Randomness for group ids (receiver) and the sender id (sender). Default: the system CSPRNG
   * (`crypto.getRandomValues`).
   */
  readonly random?: RandomSource;
  /** Datagrams per receive batch. Default 64. */
  readonly maxBatch?: number;
  /**
   * `SO_RCVBUF` request for the socket the stream comes in on (the receiver's listening socket, the
   * sender's encoder socket), bytes. Default {@link DEFAULT_RECEIVE_BUFFER}.
   */
  readonly receiveBufferSize?: number;
  /** `SO_SNDBUF` request for every socket, bytes. Default: the system's. */
  readonly sendBufferSize?: number;
}

/**
 * 32 MiB: room for bursts from many links at once, and for the first fraction of a second after a
 * cold start while V8 compiles the hot path (at 100k packets/s of 1332 bytes, 4 MiB holds 30 ms; a
 * cold bond-receiver lost 0.5-2.6% of a sudden 60-100k pps load with 4 MiB and nothing with 32 MiB,
 * tooling/bench/receiver-bench.mjs). The kernel caps it at net.core.rmem_max unless the process may
 * use SO_RCVBUFFORCE; memory is taken only while datagrams wait.
 */
export const DEFAULT_RECEIVE_BUFFER = 32 * 1024 * 1024;
