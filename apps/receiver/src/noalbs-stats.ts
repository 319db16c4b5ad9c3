/**
 * The stats URLs scene switchers poll (NOALBS, the tool IRL streamers switch OBS scenes with), in
 * the forms of the servers they already know:
 *
 * - `GET /stats/<stream>`: OpenIRL's srt-live-server form,
 *   `{"status":"ok","publisher":{bitrate, buffer, dropped_pkts, uptime, latency, rtt, peers}}`,
 *   one peer per link of the group; without a live publisher `{"status":"ok","message":...}`.
 * - `GET /stats`, `GET /stats?publisher=<stream>`, `GET /stats/<stream>?legacy=1`: the SLS form,
 *   `{"status":"ok","publishers":{"<stream>":{bitrate, bytesRcvDrop, ..., uptime, dropped_pkts}}}`,
 *   which NOALBS reads as SrtLiveServer and as BELABOX alike; `publishers` is empty without a live
 *   publisher.
 *
 * Both answer 200 with status ok for an unknown stream too: NOALBS then switches to its offline
 * scene quietly, where an error status makes it log an error every second.
 *
 * `<stream>` is a group's stream label, its id or its tag as `/api/v1/stats` shows them. A group
 * is a live publisher while it carries data: active, data forwarded within
 * {@link PUBLISHER_IDLE_MS}, and its SRT caller has not shut the stream down.
 */
import type { StatsRouteAnswer, StatsRoutes } from '@bond/app-common';
import type { GroupView, StatsView } from './stats-view.js';

/** 5000 ms: a group that forwarded no data for this long is no live publisher (SRT's idle timeout). */
export const PUBLISHER_IDLE_MS = 5000;

/** The largest value NOALBS's 32-bit signed fields (SLS `pktRcvLoss`, BELABOX `dropped_pkts`) take. */
const I32_MAX = 0x7fffffff;

const NOT_STREAMING = 'publisher is not streaming';

/** A group as this module reads it: the stream label is optional (older documents lack it). */
type Group = GroupView & { readonly stream?: string | null };

export interface OpenIrlPeer {
  readonly bitrate: number;
  readonly rtt: number;
  readonly uptime: number;
  readonly state: 'up' | 'quiet';
}

export interface OpenIrlPublisher {
  readonly bitrate: number;
  readonly buffer: number;
  readonly dropped_pkts: number;
  readonly uptime: number;
  readonly latency: number | null;
  readonly rtt?: number;
  readonly peers: readonly OpenIrlPeer[];
}

export interface SlsPublisher {
  readonly bitrate: number;
  readonly bytesRcvDrop: number;
  readonly bytesRcvLoss: number;
  readonly mbpsBandwidth: number;
  readonly mbpsRecvRate: number;
  readonly msRcvBuf: number;
  readonly pktRcvDrop: number;
  readonly pktRcvLoss: number;
  readonly rtt: number;
  readonly uptime: number;
  readonly dropped_pkts: number;
  readonly latency: number | null;
}

/** True when `group` carries a stream now (see the module comment). */
export function isLivePublisher(group: GroupView): boolean {
  return (
    group.state === 'active' &&
    group.lastDataAgoSeconds !== null &&
    group.lastDataAgoSeconds * 1000 < PUBLISHER_IDLE_MS &&
    group.senderShutdownAgoSeconds === null
  );
}

/** The name a group is listed under in the SLS form: its stream label, else its tag. */
export function publisherName(group: GroupView): string {
  const stream = (group as Group).stream;
  return typeof stream === 'string' && stream !== '' ? stream : group.tag;
}

/**
 * The live group `name` names (stream label, id or tag), or undefined. Of several (a sender that
 * reconnected leaves its old group until it times out), the one that carried data last.
 */
export function findPublisher(view: StatsView, name: string): GroupView | undefined {
  let best: GroupView | undefined;
  for (const group of view.groups) {
    const stream = (group as Group).stream;
    const named = stream === name || String(group.id) === name || group.tag === name;
    if (!named || !isLivePublisher(group)) continue;
    if (best === undefined || (group.lastDataAgoSeconds ?? 0) < (best.lastDataAgoSeconds ?? 0)) {
      best = group;
    }
  }
  return best;
}

const kbps = (bitsPerSecond: number) => Math.round(bitsPerSecond / 1000);
const millis = (value: number) => Number(value.toFixed(3));
const i32 = (value: number) => Math.min(I32_MAX, Math.max(0, Math.round(value)));

/** The average size of what the group forwarded, bytes (for the byte and Mbit/s estimates). */
function averagePacketBytes(group: GroupView): number {
  return group.packetsForwarded === 0 ? 0 : group.bytesForwarded / group.packetsForwarded;
}

/** OpenIRL's `publisher` object for a live group. */
export function openIrlPublisher(group: GroupView): OpenIrlPublisher {
  const feedback = group.listenerFeedback;
  const groupRtt = feedback.rttMs;
  return {
    bitrate: kbps(group.bitrateBitsPerSecond),
    // Estimate: in live mode a packet waits the latency in the listener's buffer.
    buffer: feedback.latencyMs ?? 0,
    dropped_pkts: feedback.droppedPackets,
    uptime: Math.floor(group.ageSeconds),
    latency: feedback.latencyMs,
    ...(groupRtt === null ? {} : { rtt: millis(groupRtt) }),
    peers: group.links.map((link) => ({
      bitrate: kbps(link.bitrateBitsPerSecond),
      rtt: millis(link.senderRttMs ?? groupRtt ?? 0),
      uptime: Math.floor(link.ageSeconds),
      state: link.state,
    })),
  };
}

/** The SLS (and BELABOX) entry for a live group. */
export function slsPublisher(group: GroupView): SlsPublisher {
  const feedback = group.listenerFeedback;
  const packetBytes = averagePacketBytes(group);
  const capacity = feedback.linkCapacityPacketsPerSecond;
  return {
    bitrate: kbps(group.bitrateBitsPerSecond),
    bytesRcvDrop: Math.round(feedback.droppedPackets * packetBytes),
    bytesRcvLoss: Math.round(feedback.lostPackets * packetBytes),
    mbpsBandwidth: capacity === null ? 0 : millis((capacity * packetBytes * 8) / 1e6),
    // What was forwarded: the ACK's arrival speed is a burst speed, not SRT's receive rate.
    mbpsRecvRate: millis(group.bitrateBitsPerSecond / 1e6),
    msRcvBuf: i32(feedback.latencyMs ?? 0),
    pktRcvDrop: i32(feedback.droppedPackets),
    pktRcvLoss: i32(feedback.lostPackets),
    rtt: millis(feedback.rttMs ?? 0),
    uptime: Math.floor(group.ageSeconds),
    dropped_pkts: i32(feedback.droppedPackets),
    latency: feedback.latencyMs,
  };
}

function json(body: unknown): StatsRouteAnswer {
  return { status: 200, contentType: 'application/json', body: `${JSON.stringify(body)}\n` };
}

function openIrlAnswer(view: StatsView, name: string): StatsRouteAnswer {
  const group = findPublisher(view, name);
  if (group === undefined) return json({ status: 'ok', message: NOT_STREAMING });
  return json({ status: 'ok', publisher: openIrlPublisher(group) });
}

function slsAnswer(view: StatsView, name: string | undefined): StatsRouteAnswer {
  const publishers: Record<string, SlsPublisher> = {};
  if (name === undefined) {
    for (const group of view.groups) {
      if (isLivePublisher(group)) publishers[publisherName(group)] = slsPublisher(group);
    }
  } else {
    const group = findPublisher(view, name);
    if (group !== undefined) publishers[name] = slsPublisher(group);
  }
  if (Object.keys(publishers).length === 0) {
    return json({ status: 'ok', publishers, message: NOT_STREAMING });
  }
  return json({ status: 'ok', publishers });
}

/** The `/stats` routes over the receiver's stats document. */
export function noalbsStatsRoutes(view: () => StatsView): StatsRoutes {
  return (path, query) => {
    if (path === '/stats' || path === '/stats/') {
      return slsAnswer(view(), query.get('publisher') ?? undefined);
    }
    if (!path.startsWith('/stats/')) return undefined;
    let name: string;
    try {
      // Stream ids may hold slashes (`live/feed1`), sent as is or as %2F.
      name = decodeURIComponent(path.slice('/stats/'.length));
    } catch {
      return {
        status: 400,
        contentType: 'text/plain',
        body: `bad stream name in ${path}: not valid percent-encoding\n`,
      };
    }
    return query.get('legacy') === '1' ? slsAnswer(view(), name) : openIrlAnswer(view(), name);
  };
}
