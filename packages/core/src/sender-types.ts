/**
 * The sender engine's options, outputs, events and stats: plain data for the runtime.
 */
import type { InterfaceKind, ReceiverReport } from '@bond/wire';
import type { CoreLogger } from './logger.js';
import type { RandomSource } from './random.js';
import type { Scheduler } from './scheduler.js';

export interface SenderOptions {
  /** Randomness for the sender id (cryptographic in production, seeded in tests). */
  readonly random: RandomSource;
  /** The balancer. Default: a new `AdaptiveScheduler`; `ClassicScheduler` is the reference. */
  readonly scheduler?: Scheduler;
  readonly logger?: CoreLogger;
  /** A link with no proof of life (REG3, SRTLA ACK, keepalive echo) for this long re-registers. Default 15000. */
  readonly linkTimeoutMs?: number;
  /** Keepalive period per up link. Default 1000. */
  readonly keepaliveIntervalMs?: number;
  /** How long to wait for the first probe answer before sending REG1 on the first link anyway. Default 500. */
  readonly probeWaitMs?: number;
  /** How long to wait for REG2 after REG1 before bootstrapping again. Default 2000. */
  readonly reg1TimeoutMs?: number;
  /** Period of REG2 retries for a link waiting for REG3. Default 1000 (doubling to 8000). */
  readonly reg2RetryMs?: number;
  /**
   * An up link with no proof of life for this long asks the receiver whether it still knows the
   * group (REG2 with the group id, at most once per this period): a live receiver answers REG3, a
   * restarted one NGP, and once every up link got an NGP the sender registers a new group instead
   * of waiting for the link timeout. Default 3000; at most `linkTimeoutMs`.
   */
  readonly registrationCheckMs?: number;
  /** After REG2 arrives, NGPs are ignored this long (they race with the REG3s). Default 4000. */
  readonly ngpIgnoreMs?: number;
  /** First back-off after REG_ERR (doubling to 16000). Default 1000. */
  readonly regErrBackoffMs?: number;
  /** Capacity of the sent-packet log (rounded up to a power of two). Default 65536. */
  readonly sentLogCapacity?: number;
  /** Send bond's telemetry trailer in keepalives. Default true. */
  readonly telemetry?: boolean;
  /**
   * Whether an SRT ACK clears the packets it covers from every link's in-flight count
   * (protocol.md 6.3). Default true. `false` counts in-flight from SRTLA ACKs alone, as senders
   * that ignore SRT ACKs for bookkeeping do; it exists to reproduce the ACK-throttling lock-out.
   */
  readonly srtAckClearsInFlight?: boolean;
}

export interface SenderLinkConfig {
  /** The runtime's id for the link (also the keepalive's conn_id). */
  readonly id: number;
  readonly name?: string;
  /** Percent: 100 normal (default), 0 disables. */
  readonly priority?: number;
  readonly kind?: InterfaceKind;
}

/** Where a transmit goes: a link's socket, or back to the encoder. */
export const ENCODER = -1;

/** A datagram to send. Valid until the next call into the engine. */
export interface SenderTransmit {
  /** The link id whose socket sends it, or {@link ENCODER}. */
  linkId: number;
  bytes: Uint8Array;
}

export type SenderLinkState = 'idle' | 'probing' | 'registering' | 'up';
/**
 * A link as people should see it (see `LINK_HEALTH`): `up` (answers arrive), `stalled` (an answer
 * is late by max(3 RTT, 700 ms)), `down` (no proof of life for 4 s, or lost and re-registering),
 * `connecting` (not yet registered).
 */
export type SenderLinkHealth = 'up' | 'stalled' | 'down' | 'connecting';
export type SenderPhase = 'bootstrap' | 'registered' | 'refused';
/** What the link's keepalive echoes say about the receiver. */
export type ReceiverKind = 'unknown' | 'bond' | 'legacy';

export type SenderEvent =
  | { readonly type: 'registered'; readonly linkId: number }
  | { readonly type: 'link-up'; readonly linkId: number }
  | { readonly type: 'link-down'; readonly linkId: number; readonly reason: string }
  | {
      readonly type: 'bootstrap';
      readonly reason: string;
      /** A retry of a bootstrap nobody answered (no REG2 to REG1): worth a debug line only. */
      readonly retry: boolean;
    }
  /** The receiver refused the stream (REG_NAK); the sender registers again in `retryInMs`. */
  | { readonly type: 'refused'; readonly reason: string; readonly retryInMs: number }
  | { readonly type: 'registration-error'; readonly linkId: number; readonly retryInMs: number }
  | { readonly type: 'receiver-kind'; readonly linkId: number; readonly kind: ReceiverKind };

export interface SenderLinkStats {
  readonly id: number;
  readonly name: string;
  readonly kind: InterfaceKind;
  readonly priority: number;
  readonly state: SenderLinkState;
  /** What the link's answers say now: up, stalled, down or connecting. */
  readonly health: SenderLinkHealth;
  readonly receiver: ReceiverKind;
  readonly srttMs: number | undefined;
  readonly rttVarMs: number;
  readonly window: number;
  readonly inFlight: number;
  readonly packetsSent: number;
  readonly bytesSent: number;
  /** Sequence numbers the receiver acknowledged on this link (SRTLA ACKs). */
  readonly packetsAcked: number;
  readonly packetsNaked: number;
  readonly packetsRetransmitted: number;
  readonly sendRateBytesPerSec: number;
  readonly lastProofOfLifeAgoMs: number | undefined;
  readonly report: ReceiverReport | undefined;
}

export interface SenderStats {
  readonly phase: SenderPhase;
  readonly refusedReason: string | undefined;
  /** While refused: when the sender registers again (engine time, ms). */
  readonly refusedRetryAt: number | undefined;
  /** REG_NAKs not believed: no registration of ours was waiting for one, or a link was up. */
  readonly regNaksIgnored: number;
  readonly scheduler: string;
  readonly linksUp: number;
  /** Links whose `health` is `up`: answers arrive in time. */
  readonly linksHealthy: number;
  /**
   * Nothing at all came back from the receiver (no NGP, REG2, REG3, REG_ERR, ACK or keepalive)
   * for `LINK_HEALTH.downMs` while the sender tries to register a group: wrong address or port,
   * a firewall, or no receiver running there.
   */
  readonly receiverSilent: boolean;
  /** Milliseconds since the last datagram from the receiver on any link (or since the first link was added); undefined without links. */
  readonly receiverSilentForMs: number | undefined;
  readonly packetsFromEncoder: number;
  readonly bytesFromEncoder: number;
  /** Encoder datagrams dropped because no link was up. */
  readonly droppedNoLink: number;
  /**
   * Encoder datagrams the scheduler refused while links were up (every link already held more
   * than it could deliver in time, `queueingBudgetMs`) and that never went out: retransmissions
   * it refused, and new data that found no room while it waited (see `deferredOverload`).
   */
  readonly droppedOverload: number;
  /**
   * New data packets the scheduler refused that waited at the sender to be offered again before
   * later data (at most 128 at a time, until the SRT latency runs out)...
   */
  readonly deferredOverload: number;
  /** ...and those of them that went out later. */
  readonly sentDeferred: number;
  /** Encoder datagrams dropped because they were not SRT. */
  readonly droppedNotSrt: number;
  readonly packetsToEncoder: number;
  /**
   * Repeats of SRT ACKs and NAKs not forwarded to the encoder: the receiver sends each on every
   * link, and the first copy to arrive is the one forwarded.
   */
  readonly feedbackCopiesDropped: number;
  /**
   * The stream's SRT latency, ms, from the HSv5 handshake passing through: the listener's answer
   * (agreed), or the caller's request until the answer arrives; undefined before either (or
   * without HSv5, or not in live mode).
   */
  readonly srtLatencyMs: number | undefined;
  /** Whether `srtLatencyMs` is the listener's answer. */
  readonly srtLatencyAgreed: boolean;
  /**
   * The longest a new data packet may queue on a link before the scheduler drops it here (counted
   * in `droppedOverload`), ms: the adaptive scheduler's budget, derived from `srtLatencyMs` (250
   * without it); undefined when the scheduler never drops (classic).
   */
  readonly queueingBudgetMs: number | undefined;
  /** Datagrams from the receiver that were malformed or of unknown type. */
  readonly droppedFromReceiver: number;
  readonly bootstraps: number;
  readonly sentLogEvicted: number;
  readonly links: readonly SenderLinkStats[];
}
