/**
 * The JSON stats API's document (`/api/v1/stats`, and each server-sent event of the dashboard):
 * the runtime's snapshot in stable, unit-named fields. Addresses are printed by core and `@bond/io`
 * (IPv4-mapped IPv6 as IPv4, IPv6 in brackets).
 */
import type { ReceiverGroupSnapshot, ReceiverSnapshot } from '@bond/runtime';
import type { ReceiverLinkStats } from '@bond/core';
import { describeSrtRejection, type SrtRejection } from '@bond/wire';
import type { ListenerProbeState } from './listener-probe.js';

export interface LinkView {
  readonly address: string;
  /** `up`: heard from in the last 3 s; `quiet`: registered but silent since. */
  readonly state: 'up' | 'quiet';
  readonly ageSeconds: number;
  readonly lastActivityAgoSeconds: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  readonly dataPackets: number;
  readonly bitrateBitsPerSecond: number;
  readonly queueingDelayMs: number;
  /** This link's base delay above the group's fastest link, ms; null before data. */
  readonly delayOffsetMs: number | null;
  /** The sender's smoothed RTT from its extended keepalives, ms; null when it sends none. */
  readonly senderRttMs: number | null;
  /** The evaluator's score, 0 (unusable) .. 1000 (perfect); 500 before any evidence. */
  readonly score: number;
  /** The evaluator's level (good / fair / poor, with hysteresis) and why. */
  readonly level: string;
  readonly scoreReason: string;
  /** The evaluator's advisory share of the group's traffic for this link, per mille. */
  readonly weightPermille: number;
  readonly gaps: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly retransmitted: number;
  readonly srtlaAcksSent: number;
  readonly keepalives: number;
}

export interface GroupView {
  readonly id: number;
  readonly tag: string;
  readonly state: 'pending' | 'active';
  readonly ageSeconds: number;
  readonly lastActivityAgoSeconds: number;
  readonly lastAddress: string | null;
  readonly packetsForwarded: number;
  readonly bytesForwarded: number;
  readonly packetsFromListener: number;
  readonly packetsToSenders: number;
  /** The SRT listener accepted this group's caller (answered its conclusion handshake). */
  readonly srtAccepted: boolean;
  /** The SRT listener's last rejection of this group's caller, until it accepts; else null. */
  readonly srtRejection: SrtRejection | null;
  readonly forwardPath: unknown;
  readonly upstream: ReceiverGroupSnapshot['upstream'];
  readonly links: readonly LinkView[];
}

export interface StatsView {
  readonly version: 1;
  readonly time: string;
  readonly uptimeSeconds: number;
  readonly listen: string;
  readonly backend: string;
  readonly upstream: string;
  readonly srtListener: ListenerProbeState;
  readonly reorder: string;
  readonly limits: ReceiverSnapshot['limits'];
  readonly registration: ReceiverSnapshot['registration'];
  readonly dropped: ReceiverSnapshot['dropped'];
  /** Streams the SRT listener rejected, by reason: code, SRT's name, words, streams. */
  readonly srtRejections: ReceiverSnapshot['srtRejections'];
  readonly totals: ReceiverSnapshot['totals'];
  readonly groups: readonly GroupView[];
}

/** 3000 ms: a link heard from within this is shown `up` (senders keepalive every second). */
const QUIET_AFTER_MS = 3000;

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

function linkView(link: ReceiverLinkStats): LinkView {
  return {
    address: link.address,
    state: link.lastActivityAgoMs < QUIET_AFTER_MS ? 'up' : 'quiet',
    ageSeconds: round(link.ageMs / 1000),
    lastActivityAgoSeconds: round(link.lastActivityAgoMs / 1000),
    packetsReceived: link.packetsReceived,
    bytesReceived: link.bytesReceived,
    dataPackets: link.dataPackets,
    bitrateBitsPerSecond: Math.round(link.deliveryRateBytesPerSec * 8),
    queueingDelayMs: round(Math.max(0, link.queueingDelayUs) / 1000),
    delayOffsetMs: link.delayOffsetUs === undefined ? null : round(link.delayOffsetUs / 1000),
    senderRttMs:
      link.senderInfo?.rttMs ??
      (link.senderTelemetry === undefined ? null : round(link.senderTelemetry.srttUs / 1000)),
    score: link.score,
    level: link.level,
    scoreReason: link.reason,
    weightPermille: link.weightPermille,
    gaps: link.gaps,
    duplicates: link.duplicates,
    reordered: link.reordered,
    retransmitted: link.retransmitted,
    srtlaAcksSent: link.srtlaAcksSent,
    keepalives: link.keepalives,
  };
}

function groupView(group: ReceiverGroupSnapshot): GroupView {
  return {
    id: group.id,
    tag: group.tag,
    state: group.state,
    ageSeconds: round(group.ageMs / 1000),
    lastActivityAgoSeconds: round(group.lastActivityAgoMs / 1000),
    lastAddress: group.lastAddress ?? null,
    packetsForwarded: group.packetsForwarded,
    bytesForwarded: group.bytesForwarded,
    packetsFromListener: group.packetsFromUpstream,
    packetsToSenders: group.packetsToSenders,
    srtAccepted: group.srtAccepted,
    srtRejection:
      group.srtRejection === undefined ? null : (describeSrtRejection(group.srtRejection) ?? null),
    forwardPath: group.forwardPath,
    upstream: group.upstream,
    links: group.links.map(linkView),
  };
}

export function statsView(snapshot: ReceiverSnapshot, probe: ListenerProbeState): StatsView {
  return {
    version: 1,
    time: new Date().toISOString(),
    uptimeSeconds: round(snapshot.uptimeMs / 1000),
    listen: snapshot.listen,
    backend: snapshot.backend,
    upstream: snapshot.upstream,
    srtListener: probe,
    reorder: snapshot.reorder,
    limits: snapshot.limits,
    registration: snapshot.registration,
    dropped: snapshot.dropped,
    srtRejections: snapshot.srtRejections,
    totals: snapshot.totals,
    groups: snapshot.groups.map(groupView),
  };
}
