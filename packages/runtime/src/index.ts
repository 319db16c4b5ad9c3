/**
 * @bond/runtime: bond's engines driven by real sockets, one timer and the clock.
 *
 * `createReceiver(options)` runs core's SRTLA receiver: one listening socket (dual-stack `::` by
 * default) for every sender, one `connect()`-ed upstream socket per group to the SRT listener,
 * batched IO through `@bond/io` (the native backend when it loads, else `dgram`), one timer armed
 * at the engine's next deadline, stats snapshots and `diagnostics_channel` events. Embeddable:
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { createReceiver, receiverChannels } from '@bond/runtime';
 *
 * subscribe(receiverChannels.linkUp, (message) => console.log('link up', message));
 * const receiver = await createReceiver({
 *   port: 5000,                                   // senders register here
 *   upstream: { host: '127.0.0.1', port: 4001 },  // the SRT listener
 *   reorder: 'off',
 * });
 * console.log(receiver.backend, receiver.stats().groups.length);
 * await receiver.close();                         // releases every socket and the timer
 * ```
 *
 * `probeSrtListener(endpoint)` sends one SRT induction handshake and says whether a listener
 * answered. `createSender` arrives with the sender issue.
 *
 * Holds no CLI parsing and no HTTP.
 *
 * @packageDocumentation
 */

export { monotonicClock, cryptoRandom, type Clock } from './clock.js';
export {
  receiverChannels,
  type ReceiverChannelName,
  type ReceiverDiagnostic,
} from './diagnostics.js';
export { RuntimeOptionError, UpstreamResolveError } from './errors.js';
export { formatEndpoint, formatHostPort } from './format-endpoint.js';
export { loadPlatformNative, selectIoBackend } from './io-selection.js';
export { silentRuntimeLogger, type RuntimeLogger } from './logger.js';
export {
  createReceiver,
  type Receiver,
  type ReceiverGroupSnapshot,
  type ReceiverSnapshot,
} from './receiver.js';
export {
  DEFAULT_RECEIVE_BUFFER,
  MAX_REORDER_HOLD_MS,
  checkReorder,
  formatReorder,
  type CreateReceiverOptions,
  type ReorderSetting,
} from './receiver-options.js';
export { probeSrtListener, type SrtProbeOptions, type SrtProbeResult } from './srt-probe.js';
export { resolveUpstream } from './upstream-address.js';
export type { UpstreamSocketStats, UpstreamState } from './upstream-socket.js';
