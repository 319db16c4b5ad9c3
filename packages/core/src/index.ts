/**
 * @bond/core: the SRTLA v2 sender and receiver as deterministic, sans-IO state machines.
 *
 * Every input carries the time; outputs are pulled; randomness is injected. Core does no IO and
 * reads no clock, so every behaviour can be driven in virtual time (see `test/sim`).
 *
 * ```ts
 * import { SenderEngine, createSeededRandom } from '@bond/core';
 *
 * const sender = new SenderEngine({ random: createSeededRandom(1) });
 * sender.addLink(now, { id: 1, name: 'wwan0', kind: 'cellular' });
 * sender.handleTimeout(now);                       // sends the REG2 probes
 * for (let t = sender.pollTransmit(); t; t = sender.pollTransmit()) {
 *   sockets.get(t.linkId)?.send(t.bytes);          // ENCODER (-1) means "back to the encoder"
 * }
 * armTimer(sender.pollTimeout());
 * ```
 *
 * After every input: drain `pollTransmit()` and `pollEvent()` until undefined, then arm one timer
 * at `pollTimeout()`. Datagram bytes are referenced, not copied, until drained.
 *
 * @packageDocumentation
 */

export { InvalidConfigError } from './errors.js';
export { silentLogger, type CoreLogger } from './logger.js';
export { createSeededRandom, type RandomSource } from './random.js';
export { RttEstimator } from './rtt-estimator.js';
export { DELAY_BASE_WINDOW_MS, DelayEstimator, DelayReference } from './delay-estimator.js';
export { SentPacketLog, type SentPacketLogOwner } from './sent-packet-log.js';
export type { PacketHint, Scheduler, SchedulerLink } from './scheduler.js';
export { CLASSIC_WINDOW, ClassicScheduler } from './classic-scheduler.js';
export { AdaptiveScheduler, type AdaptiveOptions } from './adaptive-scheduler.js';
export { SenderEngine } from './sender-engine.js';
export { LINK_HEALTH } from './sender-link.js';
export {
  ENCODER,
  type ReceiverKind,
  type SenderEvent,
  type SenderLinkConfig,
  type SenderLinkHealth,
  type SenderLinkState,
  type SenderLinkStats,
  type SenderOptions,
  type SenderPhase,
  type SenderStats,
  type SenderTransmit,
} from './sender-types.js';
export {
  createPassThroughForwardPath,
  type ForwardPath,
  type ForwardPathFactory,
  type ForwardPathGroup,
} from './forward-path.js';
export {
  MIN_HOLD_MS,
  REORDER_JUMP,
  ReorderEngine,
  createReorderForwardPath,
  type ReorderMode,
  type ReorderOptions,
  type ReorderStats,
  type SkewSource,
} from './reorder-engine.js';
export { SEQ_WINDOW, SeqObservation, SeqWindow } from './seq-window.js';
export { ReceiverEngine } from './receiver-engine.js';
export {
  COOKIE_KEYS_LENGTH,
  COOKIE_LIFETIME_MS,
  COOKIE_NODE_OFFSET,
  COOKIE_VERSION,
  MAX_COOKIE_NODE_INDEX,
} from './receiver-cookie.js';
export { FEEDBACK_OUTSTANDING_LIMIT, SrtFeedback, type SrtFeedbackStats } from './srt-feedback.js';
export {
  QUEUEING_BUDGET,
  queueingBudgetMs,
  readSrtTsbpdDelays,
  type SrtTsbpdDelays,
} from './srt-latency.js';
export {
  COMPAT_ACK_THROTTLE_INTERVAL_MS,
  EMPTY_OBSERVATION,
  Evaluator,
  LEVEL_HYSTERESIS,
  SCORE_TIME_CONSTANT_MS,
  type EvaluatorMode,
  type LinkObservation,
  type ObservationRecord,
  type LinkScore,
  type QualityLevel,
} from './evaluator.js';
export {
  ReceiverTarget,
  type ReceiverEvent,
  type ReceiverGroupStats,
  type ReceiverLimits,
  type ReceiverLinkStats,
  type ReceiverOptions,
  type ReceiverReconfiguration,
  type ReceiverStats,
  type ReceiverTransmit,
} from './receiver-types.js';
