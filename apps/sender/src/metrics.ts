/**
 * Prometheus exposition (`/metrics`) with `prom-client`, through `@bond/app-common/metrics`: every
 * scrape takes one stats document and sets every metric from it, so all values of one scrape agree
 * with each other and with `/api/v1/stats` taken at the same moment. Per-link series disappear
 * with their link. Also the process metrics of `collectDefaultMetrics`.
 *
 * prom-client is loaded by {@link createSenderMetrics}, not when this module is: bond-sender runs
 * on small field devices and pays for it (about 40 ms and 14 MB) only with `--http`.
 */
import type { StatsMetrics } from '@bond/app-common';
import type { SenderStatsDocument } from './stats-document.js';

/** Every value of a link's `state` (its socket's while not open, else what its answers say). */
const LINK_STATES = [
  'opening',
  'failed',
  'closed',
  'connecting',
  'up',
  'stalled',
  'down',
  'refused',
];
const ALARMS = ['receiver-silent', 'all-down', 'refused'] as const;
const PHASES = ['bootstrap', 'registered', 'refused'] as const;
const RECEIVER_KINDS = ['unknown', 'bond', 'legacy'] as const;

/** The metrics renderer for `/metrics`; resolves once prom-client is loaded. */
export async function createSenderMetrics(
  version: string,
): Promise<StatsMetrics<SenderStatsDocument>> {
  const { createSnapshotMetrics } = await import('@bond/app-common/metrics');
  const metrics = createSnapshotMetrics('bond_sender_');
  const { gauge, total } = metrics;

  const info = gauge('info', 'Constant 1; labels say how this sender runs.', [
    'version',
    'backend',
    'listen',
    'receiver',
    'scheduler',
  ]);
  const uptime = gauge('uptime_seconds', 'Seconds since the sender started.');
  const phase = gauge('phase', 'The registration phase: 1 for the current one, else 0.', ['phase']);
  const receiverKind = gauge(
    'receiver_kind',
    "What the receiver's keepalive echoes say it is: 1 for the current kind, else 0.",
    ['kind'],
  );
  const links = gauge('links', 'Links running (one per uplink).');
  const linksUp = gauge(
    'links_up',
    'Links whose answers arrive in time (state up: not stalled, down or connecting).',
  );
  const alarm = gauge(
    'alarm',
    'What a streamer must see: 1 for the alarm raised now (receiver-silent, all-down, refused), else 0.',
    ['alarm'],
  );
  const fromEncoder = total('encoder_packets_total', 'SRT datagrams received from the encoder.');
  const fromEncoderBytes = total('encoder_bytes_total', 'Bytes of SRT received from the encoder.');
  const forwarded = total(
    'forwarded_packets_total',
    'Encoder datagrams handed to a link (from the encoder, less those dropped for no link up or overload).',
  );
  const toEncoder = total(
    'encoder_replies_total',
    "Datagrams from the receiver passed back to the encoder (the SRT listener's replies).",
  );
  const dropped = total('dropped_total', 'Datagrams dropped, by cause.', ['cause']);
  const bootstraps = total('bootstraps_total', 'Registrations started from scratch (REG1).');
  const srtLatency = gauge(
    'srt_latency_seconds',
    "The SRT latency read from the HSv5 handshake (the listener's answer, else the caller's request); 0 before one.",
  );
  const queueingBudget = gauge(
    'queueing_budget_seconds',
    'How long a new packet may queue on a link before the scheduler drops it at the sender (adaptive: from the SRT latency); 0 when it never drops (classic).',
  );

  const linkLabels = ['link', 'address'] as const;
  const linkState = gauge('link_state', "The link's state: 1 for the current one, else 0.", [
    ...linkLabels,
    'state',
  ]);
  const linkPriority = gauge(
    'link_priority_percent',
    "The link's priority (100 normal, 0 carries no data).",
    linkLabels,
  );
  const linkShare = gauge(
    'link_share_ratio',
    "The link's part of every link's send rate, 0 to 1.",
    linkLabels,
  );
  const linkRate = gauge(
    'link_send_rate_bits_per_second',
    'Send rate of the link (encoder data and control).',
    linkLabels,
  );
  const linkRtt = gauge(
    'link_rtt_seconds',
    "Smoothed RTT of the link's keepalives (absent before the first).",
    linkLabels,
  );
  const linkQueue = gauge(
    'link_queueing_delay_seconds',
    'Time in queues on the link: what a bond receiver reports, else the RTT above the lowest seen.',
    linkLabels,
  );
  const linkInFlight = gauge(
    'link_in_flight_packets',
    'SRT data packets sent on the link and not yet acknowledged.',
    linkLabels,
  );
  const linkWindow = gauge(
    'link_window_packets',
    "The scheduler's congestion window of the link.",
    linkLabels,
  );
  const linkLoss = gauge(
    'link_loss_ratio',
    'Packets the receiver NAKed over packets sent on the link in the last 10 s, 0 to 1.',
    linkLabels,
  );
  const linkLifetimeLoss = gauge(
    'link_lifetime_loss_ratio',
    'Packets the receiver NAKed over packets sent on the link since it started, 0 to 1.',
    linkLabels,
  );
  const linkPackets = total(
    'link_packets_total',
    'Encoder datagrams sent on the link (retransmissions included).',
    linkLabels,
  );
  const linkBytes = total(
    'link_bytes_total',
    'Bytes of encoder datagrams sent on the link.',
    linkLabels,
  );
  const linkAcked = total(
    'link_acked_packets_total',
    'Sequence numbers the receiver acknowledged on the link (SRTLA ACKs).',
    linkLabels,
  );
  const linkNaked = total(
    'link_naked_packets_total',
    'Packets sent on the link that the receiver reported lost (SRT NAKs).',
    linkLabels,
  );
  const linkRetransmitted = total(
    'link_retransmitted_packets_total',
    'SRT retransmissions sent on the link.',
    linkLabels,
  );
  const linkDatagrams = total(
    'link_socket_datagrams_total',
    "Datagrams through the link's socket (data, keepalives, registration), by direction.",
    [...linkLabels, 'direction'],
  );
  const linkSocketErrors = total(
    'link_socket_errors_total',
    "The link's socket problems: open failures, send errors, sends dropped by the kernel.",
    [...linkLabels, 'error'],
  );

  const fill = (stats: SenderStatsDocument) => {
    info.set(
      {
        version,
        backend: stats.backend,
        listen: stats.listen,
        receiver: stats.receiver,
        scheduler: stats.scheduler,
      },
      1,
    );
    uptime.set(stats.uptimeMs / 1000);
    for (const value of PHASES) phase.set({ phase: value }, stats.phase === value ? 1 : 0);
    for (const kind of RECEIVER_KINDS) {
      receiverKind.set({ kind }, stats.receiverKind === kind ? 1 : 0);
    }
    links.set(stats.links.length);
    linksUp.set(stats.linksHealthy);
    for (const value of ALARMS) alarm.set({ alarm: value }, stats.alarm === value ? 1 : 0);
    fromEncoder.set({}, stats.packetsFromEncoder);
    fromEncoderBytes.set({}, stats.bytesFromEncoder);
    forwarded.set({}, stats.packetsFromEncoder - stats.droppedNoLink - stats.droppedOverload);
    toEncoder.set({}, stats.packetsToEncoder);
    dropped.set({ cause: 'no_link' }, stats.droppedNoLink);
    dropped.set({ cause: 'overload' }, stats.droppedOverload);
    dropped.set({ cause: 'not_srt' }, stats.droppedNotSrt);
    dropped.set({ cause: 'from_receiver' }, stats.droppedFromReceiver);
    dropped.set({ cause: 'feedback_copy' }, stats.feedbackCopiesDropped);
    dropped.set({ cause: 'no_encoder' }, stats.droppedNoEncoder);
    dropped.set({ cause: 'link_not_open' }, stats.droppedLinkNotOpen);
    bootstraps.set({}, stats.bootstraps);
    if (stats.srtLatencyMs !== undefined) srtLatency.set(stats.srtLatencyMs / 1000);
    if (stats.queueingBudgetMs !== undefined) queueingBudget.set(stats.queueingBudgetMs / 1000);

    const statusById = new Map(stats.linkStatus.map((status) => [status.id, status]));
    for (const link of stats.links) {
      const l = { link: link.name, address: link.bindAddress };
      const status = statusById.get(link.id);
      for (const state of LINK_STATES) {
        linkState.set({ ...l, state }, status?.state === state ? 1 : 0);
      }
      linkPriority.set(l, link.priority);
      linkShare.set(l, (status?.sharePercent ?? 0) / 100);
      linkRate.set(l, status?.rateBitsPerSec ?? 0);
      if (status?.rttMs !== undefined) linkRtt.set(l, status.rttMs / 1000);
      if (status?.queueDelayMs !== undefined) linkQueue.set(l, status.queueDelayMs / 1000);
      linkInFlight.set(l, status?.inFlight ?? 0);
      linkLoss.set(l, (status?.lossPercent ?? 0) / 100);
      linkLifetimeLoss.set(l, (status?.lifetimeLossPercent ?? 0) / 100);
      const socket = link.socket;
      linkDatagrams.set({ ...l, direction: 'sent' }, socket.datagramsSent);
      linkDatagrams.set({ ...l, direction: 'received' }, socket.datagramsReceived);
      linkSocketErrors.set({ ...l, error: 'open_failed' }, socket.failures);
      linkSocketErrors.set({ ...l, error: 'send_error' }, socket.sendErrors);
      linkSocketErrors.set({ ...l, error: 'send_dropped' }, socket.sendDropped);
      const engine = link.engine;
      if (engine === undefined) continue;
      linkWindow.set(l, engine.window);
      linkPackets.set(l, engine.packetsSent);
      linkBytes.set(l, engine.bytesSent);
      linkAcked.set(l, engine.packetsAcked);
      linkNaked.set(l, engine.packetsNaked);
      linkRetransmitted.set(l, engine.packetsRetransmitted);
    }
  };

  return metrics.statsMetrics(fill);
}
