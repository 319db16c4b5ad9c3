/**
 * `@bond/stand`: bond end to end on loopback for the demo, the end-to-end tests and the
 * benchmarks. See {@link createStand}.
 */
export {
  appBin,
  createStand,
  freeTcpPort,
  type LinkSample,
  type ReceiverStatsLike,
  type SenderSnapshotLike,
  type Stand,
  type StandLink,
  type StandOptions,
  type StandReport,
  type StandSample,
} from './stand.js';
export {
  freeUdpPort,
  hasSrtLiveTransmit,
  lastSrtStats,
  openStreamEnds,
  SRT_LIVE_TRANSMIT,
  type EndsKind,
  type EndsOptions,
  type SrtSideStats,
  type SrtStats,
  type StreamEnds,
} from './stream-ends.js';
export {
  BuiltinSink,
  BuiltinSource,
  type BuiltinSinkStats,
  type BuiltinSourceStats,
} from './builtin-srt.js';
export {
  StreamMeter,
  quantile,
  summarizeDelays,
  type DelaySummary,
  type StreamCounts,
} from './stream-meter.js';
export { HoldMeter } from './hold-meter.js';
export { PathTap, type PathTapStats } from './path-tap.js';
export { PAYLOAD_BYTES, STAMP_MAGIC, readStamp, stampedPayload, type Stamp } from './stamp.js';
export { hasCommand, startProcess, type ProcessOptions, type StartedProcess } from './process.js';
export {
  LbStandin,
  endpointKey,
  parseEndpoint,
  type LbCounters,
  type LbEndpoint,
  type LbEvent,
  type LbNodeCounters,
  type LbStandinOptions,
} from './lb-standin.js';
