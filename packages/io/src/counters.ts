/**
 * Per-socket counters, kept in a `Float64Array` the backend updates in place (native backends write
 * it from C), so reading them never crosses into native code. Doubles count exactly to 2^53.
 */

/** Index of each counter in `BatchSocket.counters`. */
export const Counter = {
  /** Datagrams handed to `onBatch`. */
  datagramsReceived: 0,
  /** Payload bytes handed to `onBatch`. */
  bytesReceived: 1,
  /** `onBatch` calls. */
  receiveBatches: 2,
  /** Receive system calls (0 for backends without them). */
  receiveCalls: 3,
  /** Datagrams dropped because they did not fit a slot. */
  truncated: 4,
  /** Receive errors reported through `onError`. */
  receiveErrors: 5,
  /** Datagrams accepted by the kernel (or the in-memory network). */
  datagramsSent: 6,
  /** Payload bytes accepted. */
  bytesSent: 7,
  /** Flushes that sent at least one datagram. */
  sendBatches: 8,
  /** Send system calls. */
  sendCalls: 9,
  /** Datagrams that failed with an error reported through `onError`. */
  sendErrors: 10,
  /** Datagrams dropped because the kernel send queue was full (EAGAIN/ENOBUFS). */
  sendDropped: 11,
  /** Datagrams sent inside UDP GSO super-datagrams. */
  gsoDatagrams: 12,
  /** Native only: errno of the last send error (0 when none). */
  lastSendErrno: 13,
} as const;

export type CounterName = keyof typeof Counter;

/** Length of every counters array. */
export const COUNTER_COUNT = 14;

/** A snapshot of the counters as a plain object (allocates; for stats, not the hot path). */
export function readCounters(counters: Float64Array): Record<CounterName, number> {
  const out = {} as Record<CounterName, number>;
  for (const [name, index] of Object.entries(Counter) as [CounterName, number][]) {
    out[name] = counters[index] ?? 0;
  }
  return out;
}

/** Adds `amount` to counter `index` (typed-array reads are `number | undefined` under strict indexing). */
export function addCounter(counters: Float64Array, index: number, amount = 1): void {
  counters[index] = (counters[index] ?? 0) + amount;
}
