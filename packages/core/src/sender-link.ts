/**
 * One uplink as the sender engine sees it: registration state, liveness, counters and the fields
 * a scheduler reads ({@link SchedulerLink}).
 */
import type { InterfaceKind, ReceiverReport, SenderTelemetry } from '@bond/wire';
import { RttEstimator } from './rtt-estimator.js';
import type { SchedulerLink } from './scheduler.js';
import type {
  ReceiverKind,
  SenderLinkConfig,
  SenderLinkState,
  SenderLinkStats,
} from './sender-types.js';

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
  }

  get up(): boolean {
    return this.state === 'up';
  }

  get srttMs(): number | undefined {
    return this.rtt.smoothedMs;
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

  stats(now: number, window: number): SenderLinkStats {
    return {
      id: this.id,
      name: this.name,
      kind: this.kind,
      priority: this.priority,
      state: this.state,
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
