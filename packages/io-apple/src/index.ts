/**
 * @bond/io-apple: the Apple backend for `@bond/io` (`apple-msgx`).
 *
 * An N-API addon (C, built by node-gyp as the `build:native` turbo task) with the same contract as
 * `@bond/io-linux`: the caller's slab is filled in place, the socket is watched on Node's own event
 * loop, counters are shared memory. It batches with `recvmsg_x` / `sendmsg_x`, resolved at run time
 * with `dlsym` and used only on macOS 15.6 and later (older versions can wedge the socket); else
 * plain `recvmsg` / `sendmsg` bounded by `maxBatch`. `sendmsg_x` serves connected sockets (the
 * fast path: connect upstream sockets); unconnected sockets send one `sendmsg` per datagram.
 * `recvmsg_x` does not report truncation, so a datagram that fills its slot is dropped and counted
 * as truncated: size slots above the largest datagram you accept.
 *
 * On Linux the same C builds against a shim of the Apple calls over `recvmmsg`/`sendmmsg`, so the
 * contract suite runs this code path there (`loadAppleBackend({ allowShim: true })`); on any
 * platform but Apple's, `loadNativeBackend()` reports the package unavailable.
 *
 * ```ts
 * import { createReceiveBatch, openSocket } from '@bond/io';
 * import { loadNativeBackend } from '@bond/io-apple';
 *
 * const upstream = await openSocket({
 *   address: '0.0.0.0',
 *   connect: srtListener, // an Address: connected sockets send with sendmsg_x
 *   batch: createReceiveBatch({ maxBatch: 64, slotSize: 2048 }),
 *   onBatch: (batch, count) => handle(batch, count),
 *   loadNative: async () => loadNativeBackend(),
 * });
 * ```
 *
 * Holds no protocol logic.
 *
 * @packageDocumentation
 */

export {
  appleAddonCandidates,
  defaultAddonPath,
  loadAppleBackend,
  loadNativeBackend,
  prebuildAddonPath,
  type AppleBackendStatus,
  type AppleBinding,
  type LoadAppleOptions,
} from './load-backend.js';
