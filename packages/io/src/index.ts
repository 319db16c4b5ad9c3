/**
 * @bond/io: the batch UDP socket interface bond's runtime sends and receives through.
 *
 * The caller owns the receive memory ({@link ReceiveBatch}: one slab plus a metadata table of
 * offset, length, family, port and address per datagram); a backend fills up to `maxBatch` rows and
 * calls `onBatch` once per batch, never once per datagram. Sends are copied into a queue and leave
 * as one batch per socket when the current JavaScript job ends. Counters live in a `Float64Array`
 * updated in place. Backends: `dgram` (portable, here), `memory` (an in-memory network with
 * impairments and recording, for tests, here), `linux-mmsg` (`@bond/io-linux`) and `apple-msgx`
 * (`@bond/io-apple`), chosen by {@link openSocket} (`auto`, `native`, `dgram`; `BOND_IO_BACKEND`
 * overrides). The contract suite every backend passes is `@bond/io/testing`.
 *
 * ```ts
 * import { AddressTable, Counter, createReceiveBatch, openSocket } from '@bond/io';
 *
 * const batch = createReceiveBatch({ maxBatch: 64, slotSize: 2048 });
 * const sources = new AddressTable(); // one Address per sender, not one per datagram
 * const socket = await openSocket({
 *   address: '0.0.0.0',
 *   port: 5000,
 *   batch,
 *   onBatch: (batch, count) => {
 *     for (let i = 0; i < count; i++) {
 *       const bytes = batch.slab.subarray(batch.offset(i), batch.offset(i) + batch.length(i));
 *       socket.send(bytes, sources.fromRow(batch, i)); // echo; queued, sent as one batch later
 *     }
 *   },
 * });
 * console.log(socket.backend, socket.counters[Counter.datagramsReceived]);
 * await socket.close();
 * ```
 *
 * Never depends on `@bond/io-linux` or `@bond/io-apple`; they depend on it. Holds no native code.
 *
 * @packageDocumentation
 */

export type {
  BackendName,
  BatchHandler,
  BatchSocket,
  BufferSizes,
  IoBackend,
  OpenOptions,
} from './socket.js';

export {
  MAX_BATCH_LIMIT,
  MAX_SLOT_SIZE,
  META_ADDRESS,
  META_FAMILY,
  META_LENGTH,
  META_OFFSET,
  META_PORT,
  META_STRIDE,
  ReceiveBatch,
  createReceiveBatch,
  type ReceiveBatchOptions,
} from './receive-batch.js';

export { Address, type AddressFamily } from '@bond/wire';
export { createEndpoint } from './endpoint.js';
export { AddressTable, DEFAULT_ADDRESS_TABLE_LIMIT } from './address-table.js';

export { COUNTER_COUNT, Counter, readCounters, type CounterName } from './counters.js';

export {
  BindError,
  IoArgumentError,
  NativeBackendUnavailableError,
  ReceiveError,
  SendError,
  SocketClosedError,
  SocketOptionError,
  formatHostPort,
} from './errors.js';

export { dgramBackend } from './dgram-socket.js';

export {
  createMemoryNetwork,
  type Impairment,
  type MemoryNetwork,
  type MemoryNetworkOptions,
  type RecordedDatagram,
} from './memory-network.js';

export {
  createBindingBackend,
  withOpenSetup,
  type NativeBinding,
  type NativeHandle,
} from './native-binding.js';
export {
  addonUnavailable,
  describeAttempts,
  loadAddon,
  loadFirstAddon,
  type AddonAttempt,
  type AddonLoad,
  type AddonSource,
} from './load-addon.js';
export {
  addonCandidates,
  detectLibc,
  prebuildPath,
  sourceBuildPath,
  type AddonCandidate,
  type AddonCandidateOptions,
  type AddonKind,
  type LibcFamily,
} from './addon-candidates.js';

export {
  openSocket,
  selectBackend,
  type BackendChoice,
  type BackendSelection,
  type NativeBackendStatus,
  type SelectOptions,
} from './select-backend.js';
