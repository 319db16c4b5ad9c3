/**
 * @bond/io-linux: the Linux backend for `@bond/io` (`linux-mmsg`).
 *
 * An N-API addon (C, built by node-gyp as the `build:native` turbo task) that receives with
 * `recvmmsg` straight into the caller's slab, with the socket watched on Node's own event loop (one
 * call per readiness; a full slab leaves the rest in the kernel queue, never a busy loop), sends
 * each flushed queue with one `sendmmsg`, turns runs of equal-size datagrams to one destination into
 * UDP GSO messages (`UDP_SEGMENT`, probed per socket, dropped on EINVAL/EIO, off with
 * `BOND_IO_GSO=off`), and sizes
 * `SO_RCVBUF`/`SO_SNDBUF`. If the addon cannot load (no compiler at install, another OS), the
 * backend reports why and `@bond/io`'s `openSocket` falls back to `dgram`, keeping the error.
 *
 * ```ts
 * import { createReceiveBatch, openSocket } from '@bond/io';
 * import { loadNativeBackend } from '@bond/io-linux';
 *
 * const socket = await openSocket({
 *   address: '0.0.0.0',
 *   batch: createReceiveBatch({ maxBatch: 64 }),
 *   onBatch: (batch, count) => handle(batch, count),
 *   loadNative: async () => loadNativeBackend(), // pnpm: tell @bond/io where the addon lives
 * });
 * socket.backend; // 'linux-mmsg', or 'dgram' with the reason in selectBackend().loadError
 * ```
 *
 * Holds no protocol logic.
 *
 * @packageDocumentation
 */

export {
  defaultAddonPath,
  linuxAddonCandidates,
  loadLinuxBackend,
  loadNativeBackend,
  prebuildAddonPath,
  type LinuxBackendStatus,
  type LinuxBinding,
  type LoadLinuxOptions,
} from './load-backend.js';
