/**
 * Prometheus exposition (`/metrics`) through `@bond/app-common/metrics`: every scrape takes one stats snapshot and
 * sets every metric from it, so all values in one scrape agree with each other and with
 * `/api/v1/stats` taken at the same moment. Per-group and per-link series disappear with their group
 * or link. Also the process metrics of `collectDefaultMetrics`.
 */
import type { StatsMetrics } from '@bond/app-common';
import { createSnapshotMetrics, snakeCase } from '@bond/app-common/metrics';
import type { GroupView, StatsView, StatsViewSource } from './stats-view.js';

/** The exposition text for a stats view. */
export interface ReceiverMetrics extends StatsMetrics<StatsView> {
  /**
   * The same text as UTF-8 bytes, read from a live source group by group: each group's view is
   * written and dropped before the next is made (at 1,000 groups a whole view and its snapshot
   * outlived a scrape's young collections: old space grew 2-4 MB per scrape).
   */
  readonly renderBodyFrom?: (source: StatsViewSource) => Promise<Uint8Array>;
}

export function createReceiverMetrics(version: string): ReceiverMetrics {
  const metrics = createSnapshotMetrics('bond_receiver_');
  const { gauge, total } = metrics;

  const info = gauge('info', 'Constant 1; labels say how this receiver runs.', [
    'version',
    'backend',
    'listen',
    'upstream',
    'reorder',
  ]);
  const uptime = gauge('uptime_seconds', 'Seconds since the receiver started.');
  const listenerUp = gauge(
    'srt_listener_answered',
    '1 when the last check found the SRT listener there (traffic from it or an answered handshake), else 0; /healthz is 200 exactly then.',
  );
  const groups = gauge('groups', 'Groups (senders) held, by state.', ['state']);
  const links = gauge('links', 'Links held across all groups.');
  const received = total('datagrams_received_total', 'Datagrams received from senders.');
  const receivedBytes = total('received_bytes_total', 'Bytes received from senders.');
  const forwarded = total('forwarded_packets_total', 'Datagrams sent to the SRT listener.');
  const forwardedBytes = total('forwarded_bytes_total', 'Bytes sent to the SRT listener.');
  const fromListener = total('listener_packets_total', 'Datagrams received from the SRT listener.');
  const toSenders = total(
    'sender_packets_total',
    'Datagrams sent to senders (replies, ACKs, SRT).',
  );
  const registrations = total('registrations_total', 'Registration requests, by type.', ['type']);
  const refusals = total('registration_replies_total', 'REG_ERR and REG_NGP replies, by type.', [
    'type',
  ]);
  const groupEvents = total('group_events_total', 'Groups created, evicted and removed.', [
    'event',
  ]);
  const newNetworkJoins = total(
    'links_from_new_network_total',
    'Links that joined a stream carrying SRT from a network (IPv4 /16, IPv6 /48, or address family) none of its other links used.',
  );
  const unverified = total(
    'registration_ids_refused_total',
    'REG2 with an unknown group id this receiver did not issue (unverified) or issued too long ago (expired), by reason.',
    ['reason'],
  );
  const dropped = total('dropped_total', 'Datagrams dropped, by cause.', ['cause']);
  const rejections = total(
    'srt_rejections_total',
    'Streams the SRT listener rejected (handshake rejection), once per group, by reason (SRT_REJ_*/SRT_REJX_*) and code (the handshake type, 1000 + reason).',
    ['reason', 'code'],
  );

  // Thousands of groups: each sample is written as it is set, nothing kept between scrapes
  // (each group and link is set once per scrape).
  const ONCE = { once: true };
  // `stream`: the group's stream label (--stream-label; empty until the stream id is known).
  const groupLabels = ['group', 'tag', 'stream'] as const;
  const groupForwarded = total(
    'group_forwarded_packets_total',
    'Datagrams the group forwarded toward its SRT listener (data and control).',
    groupLabels,
    ONCE,
  );
  const groupForwardedBytes = total(
    'group_forwarded_bytes_total',
    'Bytes the group forwarded toward its SRT listener.',
    groupLabels,
    ONCE,
  );
  const groupFromListener = total(
    'group_listener_packets_total',
    'Datagrams from the SRT listener for the group.',
    groupLabels,
    ONCE,
  );
  const groupLinks = gauge('group_links', 'Links of the group.', groupLabels, ONCE);
  const groupActive = gauge(
    'group_active',
    '1 once the group carried SRT data, else 0.',
    groupLabels,
    ONCE,
  );

  // `link`: the address (unique); `name`: the bond sender's name for it, else the address too.
  const linkLabels = ['group', 'stream', 'link', 'name'] as const;
  const linkPackets = total(
    'link_packets_total',
    'Datagrams received on the link.',
    linkLabels,
    ONCE,
  );
  const linkBytes = total('link_bytes_total', 'Bytes received on the link.', linkLabels, ONCE);
  const linkData = total(
    'link_data_packets_total',
    'SRT data packets on the link.',
    linkLabels,
    ONCE,
  );
  const linkRate = gauge(
    'link_bitrate_bits_per_second',
    'Delivery rate of the link.',
    linkLabels,
    ONCE,
  );
  const linkRtt = gauge(
    'link_rtt_seconds',
    "The sender's smoothed RTT of the link (from its extended keepalives; absent when it sends none).",
    linkLabels,
    ONCE,
  );
  const linkQueue = gauge(
    'link_queueing_delay_seconds',
    "Queueing delay on the link from SRT timestamps (excess over the link's base delay).",
    linkLabels,
    ONCE,
  );
  const linkOffset = gauge(
    'link_delay_offset_seconds',
    "The link's base delay above the group's fastest link.",
    linkLabels,
    ONCE,
  );
  const linkScore = gauge(
    'link_score',
    "The evaluator's score of the link, 0 (unusable) to 1000 (perfect); 500 before any evidence.",
    linkLabels,
    ONCE,
  );
  const linkEvents = total(
    'link_sequence_events_total',
    'Sequence observations on the link: gaps, duplicates, reordered, retransmitted.',
    [...linkLabels, 'event'],
    ONCE,
  );
  const linkAcks = total('link_srtla_acks_total', 'SRTLA ACKs sent on the link.', linkLabels, ONCE);
  const linkKeepalives = total(
    'link_keepalives_total',
    'Keepalives echoed on the link.',
    linkLabels,
    ONCE,
  );

  const reorderHold = gauge(
    'reorder_hold_seconds',
    "The group's current reorder hold (0 with reorder off).",
    groupLabels,
    ONCE,
  );
  const reorderHeld = gauge(
    'reorder_held_packets',
    'Packets the reorder engine holds now.',
    groupLabels,
    ONCE,
  );
  const reorderPackets = total(
    'reorder_packets_total',
    'Reorder engine outcomes: released, reordered, skipped, duplicates, late, jumps, overflows.',
    [...groupLabels, 'outcome'],
    ONCE,
  );

  // Everything but the groups' series; `pending` and `linkCount` are counted while those are written.
  const fillHead = (view: StatsView, pending: number, groupCount: number, linkCount: number) => {
    info.set(
      {
        version,
        backend: view.backend,
        listen: view.listen,
        upstream: view.upstream,
        reorder: view.reorder,
      },
      1,
    );
    uptime.set(view.uptimeSeconds);
    listenerUp.set(view.srtListener.answered === true ? 1 : 0);
    groups.set({ state: 'pending' }, pending);
    groups.set({ state: 'active' }, groupCount - pending);
    links.set(linkCount);
    received.set({}, view.totals.datagramsReceived);
    receivedBytes.set({}, view.totals.bytesReceived);
    forwarded.set({}, view.totals.forwardedToListener);
    forwardedBytes.set({}, view.totals.forwardedBytesToListener);
    fromListener.set({}, view.totals.fromListener);
    toSenders.set({}, view.totals.sentToSenders);
    registrations.set({ type: 'reg1' }, view.registration.reg1Received);
    registrations.set({ type: 'reg2' }, view.registration.reg2Received);
    refusals.set({ type: 'err' }, view.registration.regErrSent);
    refusals.set({ type: 'ngp' }, view.registration.regNgpSent);
    groupEvents.set({ event: 'created' }, view.registration.groupsCreated);
    groupEvents.set({ event: 'evicted' }, view.registration.groupsEvicted);
    groupEvents.set({ event: 'removed' }, view.registration.groupsRemoved);
    newNetworkJoins.set({}, view.registration.newNetworkJoins);
    unverified.set({ reason: 'unverified' }, view.registration.reg2Unverified);
    unverified.set({ reason: 'expired' }, view.registration.reg2Expired);
    for (const [cause, value] of Object.entries(view.dropped)) {
      dropped.set({ cause: snakeCase(cause) }, value);
    }
    for (const rejection of view.srtRejections) {
      rejections.set({ reason: rejection.name, code: String(rejection.code) }, rejection.streams);
    }
  };

  // One group's series and its links'. Their label sets are made here each scrape and dropped
  // with the group's view: kept across scrapes they were most of what 1,000 groups' metrics held.
  const groupSchema = metrics.labelSchema(groupLabels);
  const outcomeSchema = metrics.labelSchema([...groupLabels, 'outcome']);
  const linkSchema = metrics.labelSchema(linkLabels);
  const eventSchema = metrics.labelSchema([...linkLabels, 'event']);
  const fillGroup = (group: GroupView) => {
    const id = String(group.id);
    const stream = group.stream ?? '';
    const g = groupSchema.make([id, group.tag, stream]);
    groupForwarded.set(g, group.packetsForwarded);
    groupForwardedBytes.set(g, group.bytesForwarded);
    groupFromListener.set(g, group.packetsFromListener);
    groupLinks.set(g, group.links.length);
    groupActive.set(g, group.state === 'active' ? 1 : 0);
    const reorder = reorderRecord(group.forwardPath);
    reorderHold.set(g, reorderNumber(reorder, 'holdMs') / 1000);
    reorderHeld.set(g, reorderNumber(reorder, 'held'));
    for (const outcome of REORDER_OUTCOMES) {
      reorderPackets.set(
        outcomeSchema.make([id, group.tag, stream, outcome]),
        reorderNumber(reorder, outcome),
      );
    }
    for (const link of group.links) {
      const l = linkSchema.make([id, stream, link.address, link.name]);
      linkPackets.set(l, link.packetsReceived);
      linkBytes.set(l, link.bytesReceived);
      linkData.set(l, link.dataPackets);
      linkRate.set(l, link.bitrateBitsPerSecond);
      if (link.senderRttMs !== null) linkRtt.set(l, link.senderRttMs / 1000);
      linkQueue.set(l, link.queueingDelayMs / 1000);
      if (link.delayOffsetMs !== null) linkOffset.set(l, link.delayOffsetMs / 1000);
      linkScore.set(l, link.score);
      for (const event of SEQUENCE_EVENTS) {
        linkEvents.set(eventSchema.make([id, stream, link.address, link.name, event]), link[event]);
      }
      linkAcks.set(l, link.srtlaAcksSent);
      linkKeepalives.set(l, link.keepalives);
    }
  };

  // A scrape: the groups first, each written as the source makes it, then the rest.
  const fillFrom = (source: StatsViewSource) => {
    let pending = 0;
    let groupCount = 0;
    let linkCount = 0;
    const view = source((group) => {
      if (group.state === 'pending') pending += 1;
      groupCount += 1;
      linkCount += group.links.length;
      fillGroup(group);
    });
    fillHead(view, pending, groupCount, linkCount);
  };
  // A whole view: its groups are the source's.
  const fill = (view: StatsView) => {
    fillFrom((visit) => {
      for (const group of view.groups) visit(group);
      return view;
    });
  };

  return {
    ...metrics.statsMetrics(fill),
    renderBodyFrom: (source) =>
      metrics.renderBody(() => {
        fillFrom(source);
      }),
  };
}

/** The link's sequence events, each a value of `event`: the link view's field of that name. */
const SEQUENCE_EVENTS = ['gaps', 'duplicates', 'reordered', 'retransmitted'] as const;

const REORDER_OUTCOMES = [
  'released',
  'reordered',
  'skipped',
  'duplicates',
  'late',
  'jumps',
  'overflows',
];

/** The reorder engine's plain-data stats; pass-through (`off`) has none of them. */
function reorderRecord(forwardPath: unknown): Record<string, unknown> {
  return (typeof forwardPath === 'object' && forwardPath !== null ? forwardPath : {}) as Record<
    string,
    unknown
  >;
}

/** One of the reorder stats' numbers; 0 when absent or not finite. */
function reorderNumber(record: Record<string, unknown>, key: string): number {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
