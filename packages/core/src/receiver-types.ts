/**
 * The receiver engine's options, outputs, events and stats: plain data for the runtime.
 */
import type { KeepaliveConnectionInfo, SenderTelemetry } from '@bond/wire';
import type { EvaluatorMode, QualityLevel } from './evaluator.js';
import type { ForwardPathFactory } from './forward-path.js';
import type { CoreLogger } from './logger.js';
import type { Address } from '@bond/wire';
import type { RandomSource } from './random.js';
import type { SrtFeedbackStats } from './srt-feedback.js';

export interface ReceiverOptions {
  /** Randomness for group ids (cryptographic in production, seeded in tests). */
  readonly random: RandomSource;
  readonly logger?: CoreLogger;
  /** Links per group. Default 16. */
  readonly maxLinksPerGroup?: number;
  /** Groups in the table (pending ones included). Default 200. */
  readonly maxGroups?: number;
  /** A link silent this long is removed. Default 15000. */
  readonly linkTimeoutMs?: number;
  /** A group with no activity on any link this long is removed. Default 30000. */
  readonly groupTimeoutMs?: number;
  /** A group that never carried data is removed after this long without activity. Default 5000. */
  readonly pendingGroupTimeoutMs?: number;
  /**
   * Pending groups (registered, no SRT yet) at once from one source IP; a newer registration
   * from that IP replaces its oldest. One per source address and port always. Default 4.
   */
  readonly maxPendingGroupsPerIp?: number;
  /** Short replies (REG3, NGP, ERR, keepalive echoes) are zero-padded to this. Default 32. */
  readonly padRepliesTo?: number;
  /** The forward path per group (the reorder engine). Default: pass-through. */
  readonly forwardPath?: ForwardPathFactory;
  /** How often timeouts are checked and links evaluated. Default 1000. */
  readonly housekeepingIntervalMs?: number;
  /** Link scoring: bond's evaluator (default) or a compatibility table for comparison. */
  readonly evaluator?: EvaluatorMode;
  /**
   * Gate each link's SRTLA ACKs by its evaluator throttle factor (at most one per 100 ms / factor),
   * as a public receiver once did. Off by default: it starves senders that grow windows from ACKs.
   */
  readonly ackThrottling?: boolean;
  /**
   * A clustered receiver node (issue 14): the cluster-wide registration cookie keys (32 bytes,
   * two SipHash keys; every node of the cluster is given the same) and this node's index, written
   * into every group id it issues. Default: keys drawn from `random` per engine, index 0.
   */
  readonly cluster?: { readonly cookieKeys: Uint8Array; readonly nodeIndex: number };
}

/**
 * What may change on a running engine (`ReceiverEngine.configure`); absent fields keep their
 * value. Limits and timeouts apply to existing and new groups alike; nothing already admitted is
 * dropped because a limit went down.
 */
export interface ReceiverReconfiguration {
  readonly maxLinksPerGroup?: number;
  readonly maxGroups?: number;
  readonly linkTimeoutMs?: number;
  readonly groupTimeoutMs?: number;
  readonly pendingGroupTimeoutMs?: number;
  readonly maxPendingGroupsPerIp?: number;
  /**
   * Another forward path for every group (`createPassThroughForwardPath` for none). Each
   * group's current path first releases everything it holds, in order; the new one starts empty.
   */
  readonly forwardPath?: ForwardPathFactory;
}

/** The limits and timeouts in effect. */
export interface ReceiverLimits {
  readonly maxLinksPerGroup: number;
  readonly maxGroups: number;
  readonly linkTimeoutMs: number;
  readonly groupTimeoutMs: number;
  readonly pendingGroupTimeoutMs: number;
  readonly maxPendingGroupsPerIp: number;
}

/** Where a receiver transmit goes. */
export const ReceiverTarget = {
  /** To a sender's link, from the listening socket. */
  Link: 0,
  /** To the SRT listener, from the group's upstream socket. */
  Upstream: 1,
} as const;
export type ReceiverTarget = (typeof ReceiverTarget)[keyof typeof ReceiverTarget];

/** A datagram to send. Valid until the next call into the engine. */
export interface ReceiverTransmit {
  target: ReceiverTarget;
  /** For {@link ReceiverTarget.Link}: the link's address. */
  address: Address | undefined;
  /** The group this datagram belongs to (for Upstream: whose socket sends it); -1 for none. */
  groupId: number;
  bytes: Uint8Array;
}

export type ReceiverEvent =
  /**
   * A REG2 brought back a verified id (REG1 creates nothing): the group exists, pending, without
   * an upstream socket. `address` sent that REG2.
   */
  | {
      readonly type: 'group-created';
      readonly groupId: number;
      readonly address: Address;
      /** The group's full 256-byte id (a copy the receiver keeps: do not change it). */
      readonly id: Uint8Array;
      /** True when it was adopted (`ReceiverEngine.adoptGroup`) rather than created by a REG2. */
      readonly adopted: boolean;
    }
  /**
   * The group carried its first SRT packet of any kind, a handshake included (it is no longer
   * pending): open its upstream socket now.
   */
  | { readonly type: 'group-active'; readonly groupId: number }
  /**
   * A new link joined a group that carries SRT from a network none of its other links use (another
   * address family, or another IPv4 /16 or IPv6 /48). Normal when a modem or carrier is added;
   * otherwise someone who knows the group id may be adding a link. Once per link; precedes its
   * `link-added`.
   */
  | { readonly type: 'link-from-new-network'; readonly groupId: number; readonly address: Address }
  /** The evaluator moved a link to another quality level. */
  | {
      readonly type: 'link-quality';
      readonly groupId: number;
      readonly address: Address;
      readonly level: QualityLevel;
      readonly score: number;
      readonly reason: string;
    }
  /**
   * The caller's conclusion handshake named the stream (first time, or a new name after the
   * caller reconnected). `streamId` is as sent and may hold a password: never print it as it is.
   */
  | { readonly type: 'group-stream'; readonly groupId: number; readonly streamId: string }
  /** A bond sender named the link in its keepalive trailer (printable, at most 64 bytes). */
  | {
      readonly type: 'link-named';
      readonly groupId: number;
      readonly address: Address;
      readonly name: string;
    }
  | { readonly type: 'group-removed'; readonly groupId: number; readonly reason: string }
  | { readonly type: 'link-added'; readonly groupId: number; readonly address: Address }
  | {
      readonly type: 'link-removed';
      readonly groupId: number;
      readonly address: Address;
      /** The link's name from a bond sender, when it had one. */
      readonly name?: string;
      readonly reason: string;
    }
  /**
   * The SRT listener answered the group's caller with a handshake rejection (wrong passphrase,
   * stream id...). Once per group and code (again only after the listener accepted in between).
   */
  | { readonly type: 'srt-rejected'; readonly groupId: number; readonly code: number }
  | {
      readonly type: 'registration-refused';
      readonly address: Address;
      readonly reason: string;
    };

export interface ReceiverLinkStats {
  readonly address: string;
  /** The link's name from a bond sender (printable, at most 64 bytes); undefined otherwise. */
  readonly name: string | undefined;
  readonly ageMs: number;
  readonly lastActivityAgoMs: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  readonly dataPackets: number;
  readonly deliveryRateBytesPerSec: number;
  readonly srtlaAcksSent: number;
  readonly keepalives: number;
  /** Smoothed queueing delay from SRT timestamps, us. */
  readonly queueingDelayUs: number;
  /** This link's base delay minus the group's fastest link's, us; undefined before data. */
  readonly delayOffsetUs: number | undefined;
  readonly gaps: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly maxReorderDistance: number;
  readonly retransmitted: number;
  /** The sender's view from its extended keepalives, when it sends them. */
  readonly senderInfo: KeepaliveConnectionInfo | undefined;
  /** bond sender telemetry, when the sender is bond. */
  readonly senderTelemetry: SenderTelemetry | undefined;
  /** The evaluator's view. */
  readonly score: number;
  readonly level: QualityLevel;
  readonly reason: string;
  readonly weightPermille: number;
  /** SRTLA ACKs withheld by ACK throttling (only when enabled). */
  readonly acksThrottled: number;
}

export interface ReceiverGroupStats {
  readonly id: number;
  /** 8 hex digits of the receiver's half of the group id, from its MAC (for logs; not a secret). */
  readonly tag: string;
  /** Pending until the group's first SRT packet (a handshake counts); active after. */
  readonly state: 'pending' | 'active';
  /** Links that joined from a network none of the group's other links used. */
  readonly newNetworkJoins: number;
  /**
   * The SRT stream id from the caller's conclusion handshake (`SRT_CMD_SID`), exactly as sent;
   * undefined until one passes (or when the caller sends none). It often carries a password or a
   * stream key: show it only through a redacting label (`@bond/runtime`'s `streamLabel`).
   */
  readonly streamId: string | undefined;
  /** Handshakes toward the SRT listener whose extension blocks did not decode (still forwarded). */
  readonly malformedHandshakes: number;
  readonly ageMs: number;
  readonly lastActivityAgoMs: number;
  readonly lastAddress: string | undefined;
  readonly packetsForwarded: number;
  readonly bytesForwarded: number;
  readonly packetsFromUpstream: number;
  readonly packetsToSenders: number;
  /** Bytes per second forwarded to the SRT listener over the last housekeeping interval (1 s). */
  readonly forwardRateBytesPerSec: number;
  /** Time since the last SRT data packet went to the listener, ms; undefined before one. */
  readonly lastDataAgoMs: number | undefined;
  /**
   * Time since the sender's SRT caller sent a shutdown, ms, while no data followed it (the stream
   * ended); undefined otherwise.
   */
  readonly senderShutdownAgoMs: number | undefined;
  /** What the SRT listener reported back: ACK RTT and rates, NAK losses, latency. */
  readonly listenerFeedback: SrtFeedbackStats;
  /** The SRT listener accepted the group's caller (answered its conclusion handshake). */
  readonly srtAccepted: boolean;
  /** The handshake type of the listener's last rejection (1000 + reason), until it accepts. */
  readonly srtRejection: number | undefined;
  /** Rejection handshakes the listener sent for this group. */
  readonly srtRejections: number;
  readonly highestSeq: number | undefined;
  readonly forwardPath: unknown;
  readonly links: readonly ReceiverLinkStats[];
}

export interface ReceiverStats {
  readonly groups: readonly ReceiverGroupStats[];
  readonly reg1Received: number;
  readonly reg2Received: number;
  readonly regErrSent: number;
  readonly regNgpSent: number;
  readonly groupsCreated: number;
  /** Groups evicted or replaced before they carried SRT (per-source limits, full table). */
  readonly groupsEvicted: number;
  /** REG2 with an unknown id this receiver issued too long ago (answered REG_NGP). */
  readonly reg2Expired: number;
  /** REG2 with an unknown id this receiver did not issue: forged, tampered, a probe (REG_NGP). */
  readonly reg2Unverified: number;
  /** Groups that carried no SRT yet. */
  readonly pendingGroups: number;
  /** Source IPs holding pending groups (the per-IP table's entries). */
  readonly pendingSourceIps: number;
  /** Links that joined a group carrying SRT from a network none of its other links used. */
  readonly newNetworkJoins: number;
  /** Datagrams from addresses that are no link (and not REG1/REG2): dropped silently. */
  readonly droppedUnregistered: number;
  /** Datagrams shorter than an SRT header from registered links. */
  readonly droppedShort: number;
  /** SRTLA types the receiver does not forward (unknown 0x9xxx, or sender-bound types). */
  readonly droppedSrtla: number;
  /** Upstream datagrams for groups that no longer exist, or not SRT. */
  readonly droppedUpstream: number;
  /**
   * Streams the SRT listener rejected, by handshake type (1000 + reason; wire's
   * `describeSrtRejection` names it), counted once per group and code; in code order.
   */
  readonly srtRejections: readonly { readonly code: number; readonly streams: number }[];
}
