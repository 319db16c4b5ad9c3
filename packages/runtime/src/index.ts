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
 * `createSender(options)` runs core's SRTLA sender: one socket the encoder (an SRT caller) sends to,
 * one socket per uplink bound to its address and `connect()`-ed to the receiver, links added and
 * removed at run time, a failed link socket retried with back-off while the others carry the
 * stream:
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { createSender, senderChannels } from '@bond/runtime';
 *
 * subscribe(senderChannels.linkUp, (message) => console.log('link up', message));
 * const sender = await createSender({
 *   listen: { port: 6000 },                        // the encoder sends SRT to 127.0.0.1:6000
 *   receiver: { host: 'srtla.example', port: 5000 },
 *   links: [
 *     { bindAddress: '192.168.8.100', name: 'lte-1', kind: 'cellular' },
 *     { bindAddress: '10.0.0.5', name: 'wifi', kind: 'wifi', priority: 50 },
 *   ],
 *   scheduler: 'adaptive',                         // or 'classic'
 * });
 * const id = await sender.addLink({ bindAddress: '192.168.9.100', name: 'lte-2' });
 * console.log(sender.stats().linksUp, sender.stats().receiverKind);
 * await sender.removeLink(id);
 * await sender.close();
 * ```
 *
 * `probeSrtListener(endpoint)` sends one SRT induction handshake and says whether a listener
 * answered; `createSrtProber()` does the same again and again over one kept socket.
 *
 * Holds no CLI parsing and no HTTP.
 *
 * @packageDocumentation
 */

export { monotonicClock, cryptoRandom, type Clock } from './clock.js';
export {
  receiverChannels,
  senderChannels,
  type ReceiverChannelName,
  type ReceiverDiagnostic,
  type SenderChannelName,
  type SenderDiagnostic,
} from './diagnostics.js';
export {
  NativePackageMissingError,
  ReceiverResolveError,
  RuntimeOptionError,
  SenderClosedError,
  UnknownLinkError,
  UpstreamResolveError,
} from './errors.js';
export {
  describeAttempts,
  formatHostPort,
  type AddonAttempt,
  type AddonSource,
  type BackendSelection,
} from '@bond/io';
export {
  loadPlatformNative,
  selectIoBackend,
  warnOnDgramFallback,
  type NativePackageName,
  type PlatformNativeOptions,
} from './io-selection.js';
export { silentRuntimeLogger, type RuntimeLogger } from './logger.js';
export {
  createLogger,
  type AppLogger,
  type LogFormat,
  type LogLevel,
  type LogOutput,
} from './line-logger.js';
export {
  createReceiver,
  type Receiver,
  type ReceiverGroupSnapshot,
  type ReceiverReconfiguration,
  type ReceiverSnapshot,
  type SrtRejectionCount,
} from './receiver.js';
export { DEFAULT_RECEIVE_BUFFER, type HostOptions } from './host-options.js';
export {
  checkReceiveBuffer,
  receiveBufferAdvice,
  type ReceiveBufferCheck,
} from './receive-buffer.js';
export {
  DEFAULT_REORDER,
  MAX_REORDER_HOLD_MS,
  checkReorder,
  formatReorder,
  type CreateReceiverOptions,
  type ReorderSetting,
} from './receiver-options.js';
// When a sender link shows as stalled or down: the app's alarms use the same thresholds.
export { LINK_HEALTH, type SenderLinkHealth } from '@bond/core';
export {
  createSender,
  type Sender,
  type SenderLinkSnapshot,
  type SenderSnapshot,
} from './sender.js';
export type { LinkSocketState, SenderLinkSocketStats } from './sender-link-socket.js';
export {
  resolveReceiver,
  type CreateSenderOptions,
  type SchedulerName,
  type SenderLinkOptions,
} from './sender-options.js';
export {
  DEFAULT_STREAM_LABEL,
  STREAM_LABEL_MODES,
  checkStreamLabelMode,
  streamLabel,
  type StreamLabelMode,
} from './stream-label.js';
export type {
  ReceiverClusterHooks,
  ReceiverClusterOptions,
  ReceiverClusterPort,
} from './receiver-cluster.js';
export {
  createSrtProber,
  probeSrtListener,
  type SrtProber,
  type SrtProbeOptions,
  type SrtProbeResult,
} from './srt-probe.js';
export { resolveUpstream } from './upstream-address.js';
export type { UpstreamSocketStats, UpstreamState } from './upstream-socket.js';
