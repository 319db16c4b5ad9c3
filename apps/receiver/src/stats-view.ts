/**
 * The JSON stats API's document (`/api/v1/stats`, and each server-sent event of the dashboard):
 * the runtime's snapshot in stable, unit-named fields. Addresses are printed by core and `@bond/io`
 * (IPv4-mapped IPv6 as IPv4, IPv6 in brackets).
 */
import type { ReceiverGroupSnapshot, ReceiverSnapshot } from '@bond/runtime';
import type { ReceiverLinkStats, SrtFeedbackStats } from '@bond/core';
import { describeSrtRejection, type SrtRejection } from '@bond/wire';
import type { ListenerProbeState } from './listener-probe.js';

export interface LinkView {
  readonly address: string;
  /**
   * The link's name: from a bond sender (its uplink file's name, made printable), else its
   * address as for legacy senders.
   */
  readonly name: string;
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

/**
 * What the group's SRT listener reports back to the sender, read as it passes (see the README's
 * "Stats for scene switchers"); null where no packet carried it yet.
 */
export interface ListenerFeedbackView {
  /** The listener's smoothed RTT to the encoder (through bond) and its variance, ms (full ACKs). */
  readonly rttMs: number | null;
  readonly rttVarianceMs: number | null;
  /**
   * The listener's packet arrival speed, bits/s and packets/s (full ACKs): libsrt derives it from
   * the median gap between recent arrivals, so for a paced stream it reads far above the average
   * rate (`bitrateBitsPerSecond` is that).
   */
  readonly arrivalSpeedBitsPerSecond: number | null;
  readonly arrivalSpeedPacketsPerSecond: number | null;
  /** The listener's estimate of the path's capacity, packets/s (full ACKs). */
  readonly linkCapacityPacketsPerSecond: number | null;
  /** Free space in the listener's receive buffer, packets. */
  readonly availableBufferPackets: number | null;
  /** The receive latency the listener accepted in its handshake response, ms. */
  readonly latencyMs: number | null;
  /** Distinct packets the listener reported lost in its NAKs. */
  readonly lostPackets: number;
  /** Estimate: lost packets whose retransmission did not arrive before the listener gave up. */
  readonly droppedPackets: number;
  readonly fullAcks: number;
  readonly naks: number;
  /** Control packets from the listener that did not decode (forwarded all the same). */
  readonly malformed: number;
}

export interface GroupView {
  readonly id: number;
  readonly tag: string;
  /** The stream's name from the SRT stream id, as `--stream-label` shows it; null until known. */
  readonly stream: string | null;
  readonly state: 'pending' | 'active';
  readonly ageSeconds: number;
  readonly lastActivityAgoSeconds: number;
  readonly lastAddress: string | null;
  readonly packetsForwarded: number;
  readonly bytesForwarded: number;
  readonly packetsFromListener: number;
  readonly packetsToSenders: number;
  /** Bytes forwarded to the SRT listener over the last second, as bits/s. */
  readonly bitrateBitsPerSecond: number;
  /** Time since the last SRT data packet went to the listener, s; null before one. */
  readonly lastDataAgoSeconds: number | null;
  /** Time since the sender's SRT caller shut the stream down, s; null unless it did (and no data followed). */
  readonly senderShutdownAgoSeconds: number | null;
  readonly listenerFeedback: ListenerFeedbackView;
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
  /** `--stream-label`: how each group's `stream` shows its SRT stream id. */
  readonly streamLabel: ReceiverSnapshot['streamLabel'];
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
    name: link.name ?? link.address,
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

const msOrNull = (us: number | undefined) => (us === undefined ? null : round(us / 1000));

function listenerFeedbackView(feedback: SrtFeedbackStats): ListenerFeedbackView {
  return {
    rttMs: msOrNull(feedback.rttUs),
    rttVarianceMs: msOrNull(feedback.rttVarianceUs),
    arrivalSpeedBitsPerSecond:
      feedback.receivingRateBytesPerSec === undefined
        ? null
        : feedback.receivingRateBytesPerSec * 8,
    arrivalSpeedPacketsPerSecond: feedback.packetsReceivingRate ?? null,
    linkCapacityPacketsPerSecond: feedback.linkCapacityPacketsPerSec ?? null,
    availableBufferPackets: feedback.availableBufferPackets ?? null,
    latencyMs: feedback.latencyMs ?? null,
    lostPackets: feedback.lostPackets,
    droppedPackets: feedback.droppedPackets,
    fullAcks: feedback.fullAcks,
    naks: feedback.naks,
    malformed: feedback.malformed,
  };
}

const secondsOrNull = (ms: number | undefined) => (ms === undefined ? null : round(ms / 1000));

function groupView(group: ReceiverGroupSnapshot): GroupView {
  return {
    id: group.id,
    tag: group.tag,
    stream: group.stream,
    state: group.state,
    ageSeconds: round(group.ageMs / 1000),
    lastActivityAgoSeconds: round(group.lastActivityAgoMs / 1000),
    lastAddress: group.lastAddress ?? null,
    packetsForwarded: group.packetsForwarded,
    bytesForwarded: group.bytesForwarded,
    packetsFromListener: group.packetsFromUpstream,
    packetsToSenders: group.packetsToSenders,
    bitrateBitsPerSecond: Math.round(group.forwardRateBytesPerSec * 8),
    lastDataAgoSeconds: secondsOrNull(group.lastDataAgoMs),
    senderShutdownAgoSeconds: secondsOrNull(group.senderShutdownAgoMs),
    listenerFeedback: listenerFeedbackView(group.listenerFeedback),
    srtAccepted: group.srtAccepted,
    srtRejection:
      group.srtRejection === undefined ? null : (describeSrtRejection(group.srtRejection) ?? null),
    forwardPath: group.forwardPath,
    upstream: group.upstream,
    links: group.links.map(linkView),
  };
}

/**
 * The stats view read from a live receiver group by group: each group's view goes to `visit` as
 * it is made, and the view returned holds everything else (`groups` empty). What `/metrics`
 * reads: a scrape of thousands of groups then leaves short-lived objects only (see
 * `Receiver.statsEach` in `@bond/runtime`).
 */
export type StatsViewSource = (visit: (group: GroupView) => void) => StatsView;

/** The {@link StatsViewSource} of a receiver's `statsEach` and its listener check. */
export function statsViewSource(
  statsEach: (visit: (group: ReceiverGroupSnapshot) => void) => ReceiverSnapshot,
  probe: () => ListenerProbeState,
): StatsViewSource {
  return (visit) =>
    statsView(
      statsEach((group) => {
        visit(groupView(group));
      }),
      probe(),
    );
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
    streamLabel: snapshot.streamLabel,
    limits: snapshot.limits,
    registration: snapshot.registration,
    dropped: snapshot.dropped,
    srtRejections: snapshot.srtRejections,
    totals: snapshot.totals,
    groups: snapshot.groups.map(groupView),
  };
}
