/**
 * One uplink as the sender engine sees it: registration state, liveness, counters and the fields
 * a scheduler reads ({@link SchedulerLink}).
 */
import type { InterfaceKind, ReceiverReport, SenderTelemetry } from '@bond/wire';
import { RttEstimator } from './rtt-estimator.js';
import { settleFields } from './settle-fields.js';
import type { SchedulerLink } from './scheduler.js';
import type {
  ReceiverKind,
  SenderLinkConfig,
  SenderLinkHealth,
  SenderLinkState,
  SenderLinkStats,
} from './sender-types.js';

/**
 * When a link shows as stalled or down (what people see; the schedule and re-registration keep
 * their own clocks). A link is stalled when an answer it is owed is late by max(3 RTT,
 * `stallMinMs`): the SRTLA ACK for `stallPackets` data packets sent since the last proof of life,
 * or the next keepalive's echo (due one keepalive period after the last one). It is down after
 * `downMs` with no proof of life: BELABOX srtla_send's CONN_TIMEOUT (4 s).
 */
export const LINK_HEALTH = {
  stallMinMs: 700,
  stallPackets: 10,
  downMs: 4000,
} as const;

export class SenderLink implements SchedulerLink {
  readonly id: number;
  readonly name: string;
  readonly kind: InterfaceKind;
  priority: number;
  state: SenderLinkState = 'idle';
  inFlight = 0;
  readonly rtt = new RttEstimator();
  receiver: ReceiverKind = 'unknown';
  report: ReceiverReport | undefined;

  /** When the REG2 probe went out (bootstrap), for an RTT sample from the NGP. */
  probeSentAt: number | undefined;
  /** Next REG2 retry (registering) or end of REG_ERR back-off (idle). */
  nextActionAt = 0;
  reg2RetryMs: number;
  regErrBackoffMs: number | undefined;
  nextKeepaliveAt = 0;
  /** Last REG3, SRTLA ACK or keepalive echo: what counts as proof that the link can send. */
  lastProofAt = 0;
  /** SRT data packets sent since the last proof of life, and when the `stallPackets`-th went out. */
  sentSinceProof = 0;
  stallClockAt = 0;
  /** When the latest registration check (REG2 on an up link gone quiet) went out. */
  checkSentAt: number | undefined;
  /** Last datagram of any kind from the receiver on this link. */
  lastHeardAt: number | undefined;
  /** The link went down once; the classic scheduler restarts its window at 1000 when it is back. */
  timedOutBefore = false;

  packetsSent = 0;
  bytesSent = 0;
  packetsAcked = 0;
  packetsNaked = 0;
  packetsRetransmitted = 0;
  sendRate = 0;
  rateSampleAt = 0;
  rateSampleBytes = 0;

  constructor(
    readonly index: number,
    config: SenderLinkConfig,
    reg2RetryMs = 1000,
  ) {
    this.id = config.id;
    this.name = config.name ?? `link${config.id}`;
    this.kind = config.kind ?? 'unspecified';
    this.priority = Math.max(0, config.priority ?? 100);
    this.reg2RetryMs = reg2RetryMs;
    settleFields(this);
  }

  get up(): boolean {
    return this.state === 'up';
  }

  get srttMs(): number | undefined {
    return this.rtt.smoothedMs;
  }

  /** A REG3, SRTLA ACK or keepalive echo arrived at `now`: the link can send. */
  proved(now: number): void {
    this.lastProofAt = now;
    this.sentSinceProof = 0;
  }

  /** An SRT data packet went out on the link at `now`. */
  dataSent(now: number): void {
    this.sentSinceProof++;
    if (this.sentSinceProof === LINK_HEALTH.stallPackets) this.stallClockAt = now;
  }

  /**
   * What the link's answers say at `now` ({@link LINK_HEALTH}); `keepaliveIntervalMs`: how often
   * it sends a keepalive.
   */
  health(now: number, keepaliveIntervalMs: number): SenderLinkHealth {
    if (this.state !== 'up') return this.timedOutBefore ? 'down' : 'connecting';
    const quiet = now - this.lastProofAt;
    if (quiet >= LINK_HEALTH.downMs) return 'down';
    const late = Math.max(LINK_HEALTH.stallMinMs, 3 * (this.rtt.smoothedMs ?? 0));
    if (quiet >= keepaliveIntervalMs + late) return 'stalled';
    if (this.sentSinceProof >= LINK_HEALTH.stallPackets && now - this.stallClockAt >= late) {
      return 'stalled';
    }
    return 'up';
  }

  /** This link's telemetry for bond's keepalive trailer. */
  telemetry(window: number, totalPacketsSent: number): SenderTelemetry {
    return {
      linkId: this.id,
      linkName: this.name,
      interfaceKind: this.kind,
      priority: this.priority,
      srttUs: Math.round((this.rtt.smoothedMs ?? 0) * 1000),
      rttvarUs: Math.round(this.rtt.variationMs * 1000),
      window,
      inFlight: this.inFlight,
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      packetsNaked: this.packetsNaked,
      packetsRetransmitted: this.packetsRetransmitted,
      sendRateBytesPerSec: Math.round(this.sendRate),
      sharePermille:
        totalPacketsSent > 0 ? Math.round((this.packetsSent * 1000) / totalPacketsSent) : 0,
      capabilities: 0,
    };
  }

  stats(now: number, window: number, keepaliveIntervalMs: number): SenderLinkStats {
    return {
      id: this.id,
      name: this.name,
      kind: this.kind,
      priority: this.priority,
      state: this.state,
      health: this.health(now, keepaliveIntervalMs),
      receiver: this.receiver,
      srttMs: this.rtt.smoothedMs,
      rttVarMs: this.rtt.variationMs,
      window,
      inFlight: this.inFlight,
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      packetsAcked: this.packetsAcked,
      packetsNaked: this.packetsNaked,
      packetsRetransmitted: this.packetsRetransmitted,
      sendRateBytesPerSec: this.sendRate,
      lastProofOfLifeAgoMs: this.state === 'up' ? now - this.lastProofAt : undefined,
      report: this.report,
    };
  }
}
