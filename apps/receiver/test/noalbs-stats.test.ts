// The /stats routes over hand-made stats documents: which group a name finds, when a group is a
// live publisher, the figures of both forms and their types.
import { describe, expect, it } from 'vitest';
import {
  PUBLISHER_IDLE_MS,
  findPublisher,
  noalbsStatsRoutes,
  openIrlPublisher,
  slsPublisher,
} from '../src/noalbs-stats.js';
import type { GroupView, LinkView, StatsView } from '../src/stats-view.js';
import {
  expectOpenIrlOffline,
  expectOpenIrlPublisher,
  expectSlsOffline,
  expectSlsPublisher,
} from './noalbs-forms.js';

function link(overrides: Partial<LinkView> = {}): LinkView {
  return {
    address: '198.51.100.7:40000',
    name: '198.51.100.7:40000',
    state: 'up',
    ageSeconds: 12.5,
    lastActivityAgoSeconds: 0.1,
    packetsReceived: 1000,
    bytesReceived: 1_332_000,
    dataPackets: 990,
    bitrateBitsPerSecond: 2_500_400,
    queueingDelayMs: 3,
    delayOffsetMs: 0,
    senderRttMs: 41.5,
    score: 900,
    level: 'good',
    scoreReason: 'clean',
    weightPermille: 500,
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    retransmitted: 0,
    srtlaAcksSent: 99,
    keepalives: 12,
    ...overrides,
  };
}

type Group = GroupView & { stream?: string | null };

function group(overrides: Partial<Group> = {}): Group {
  return {
    id: 7,
    tag: '9051075b',
    // Without a label, as a sender that sends no SRT stream id (and as before labels existed).
    stream: null,
    state: 'active',
    ageSeconds: 61.9,
    lastActivityAgoSeconds: 0.05,
    lastAddress: '198.51.100.7:40000',
    packetsForwarded: 10_000,
    bytesForwarded: 13_320_000,
    packetsFromListener: 900,
    packetsToSenders: 1800,
    bitrateBitsPerSecond: 5_000_800,
    lastDataAgoSeconds: 0.01,
    senderShutdownAgoSeconds: null,
    srtAccepted: true,
    srtRejection: null,
    listenerFeedback: {
      rttMs: 48.25,
      rttVarianceMs: 3.1,
      arrivalSpeedBitsPerSecond: 4_900_000,
      arrivalSpeedPacketsPerSecond: 460,
      linkCapacityPacketsPerSecond: 12_000,
      availableBufferPackets: 8000,
      latencyMs: 2000,
      lostPackets: 40,
      droppedPackets: 3,
      fullAcks: 6000,
      naks: 12,
      malformed: 0,
    },
    forwardPath: {},
    upstream: {} as GroupView['upstream'],
    links: [
      link(),
      link({ address: '203.0.113.9:40001', bitrateBitsPerSecond: 2_500_400, senderRttMs: null }),
    ],
    ...overrides,
  };
}

function view(...groups: Group[]): StatsView {
  return { groups } as unknown as StatsView;
}

function get(routes: ReturnType<typeof noalbsStatsRoutes>, url: string) {
  const parsed = new URL(url, 'http://localhost');
  const answer = routes(parsed.pathname, parsed.searchParams);
  if (answer === undefined) return undefined;
  return {
    status: answer.status,
    body: answer.status === 200 ? (JSON.parse(answer.body) as unknown) : answer.body,
  };
}

describe('/stats for scene switchers', () => {
  it('finds a group by its stream label, id or tag, and a slash in the label either way', () => {
    const live = group({ stream: 'live/feed1' });
    const routes = noalbsStatsRoutes(() => view(live));
    for (const url of ['/stats/live/feed1', '/stats/live%2Ffeed1', '/stats/7', '/stats/9051075b']) {
      const answer = get(routes, url);
      expect(answer?.status, url).toBe(200);
      expectOpenIrlPublisher(answer?.body);
    }
    expectSlsPublisher(get(routes, '/stats?publisher=live/feed1')?.body, 'live/feed1');
    expectSlsPublisher(get(routes, '/stats/live/feed1?legacy=1')?.body, 'live/feed1');
    // The listing names each live group by its label.
    expectSlsPublisher(get(routes, '/stats')?.body, 'live/feed1');
    // Before stream labels existed (no `stream` field), the tag names it in the listing.
    expectSlsPublisher(
      get(
        noalbsStatsRoutes(() => view(group())),
        '/stats',
      )?.body,
      '9051075b',
    );
  });

  it('gives OpenIRL figures from the group: kbps, latency as buffer, the listener’s RTT, one peer per link', () => {
    expect(openIrlPublisher(group())).toEqual({
      bitrate: 5001,
      buffer: 2000,
      dropped_pkts: 3,
      uptime: 61,
      latency: 2000,
      rtt: 48.25,
      peers: [
        { bitrate: 2500, rtt: 41.5, uptime: 12, state: 'up' },
        // No RTT from this link's sender: the group's.
        { bitrate: 2500, rtt: 48.25, uptime: 12, state: 'up' },
      ],
    });
  });

  it('gives SLS figures, bytes and Mbit/s from the average forwarded packet (1332 bytes)', () => {
    expect(slsPublisher(group())).toEqual({
      bitrate: 5001,
      bytesRcvDrop: 3996,
      bytesRcvLoss: 53_280,
      mbpsBandwidth: 127.872,
      mbpsRecvRate: 5.001,
      msRcvBuf: 2000,
      pktRcvDrop: 3,
      pktRcvLoss: 40,
      rtt: 48.25,
      uptime: 61,
      dropped_pkts: 3,
      latency: 2000,
    });
  });

  it('keeps the typed forms before the listener said anything, and caps 32-bit fields', () => {
    const silent = group({
      packetsForwarded: 0,
      bytesForwarded: 0,
      listenerFeedback: {
        rttMs: null,
        rttVarianceMs: null,
        arrivalSpeedBitsPerSecond: null,
        arrivalSpeedPacketsPerSecond: null,
        linkCapacityPacketsPerSecond: null,
        availableBufferPackets: null,
        latencyMs: null,
        lostPackets: 2 ** 40,
        droppedPackets: 0,
        fullAcks: 0,
        naks: 0,
        malformed: 0,
      },
      links: [link({ senderRttMs: null })],
    });
    const routes = noalbsStatsRoutes(() => view(silent));
    const publisher = expectOpenIrlPublisher(get(routes, '/stats/7')?.body);
    // No RTT known: left out, so NOALBS weighs the peers' (here 0).
    expect('rtt' in publisher).toBe(false);
    expect(publisher.latency).toBeNull();
    const entry = expectSlsPublisher(get(routes, '/stats?publisher=7')?.body, '7');
    expect(entry).toMatchObject({
      rtt: 0,
      pktRcvLoss: 0x7fffffff,
      mbpsBandwidth: 0,
      mbpsRecvRate: 5.001,
    });
  });

  it('answers an unknown stream with status ok and no publisher', () => {
    const routes = noalbsStatsRoutes(() => view(group({ stream: 'live/feed1' })));
    const openIrl = get(routes, '/stats/live/other');
    expect(openIrl?.status).toBe(200);
    expectOpenIrlOffline(openIrl?.body);
    expectSlsOffline(get(routes, '/stats?publisher=live/other')?.body, 'live/other');
    expectSlsOffline(get(routes, '/stats/live/other?legacy=1')?.body, 'live/other');
  });

  it('is no publisher while pending, after the caller shut down, or without data for 5 s', () => {
    const cases: Partial<Group>[] = [
      { state: 'pending', lastDataAgoSeconds: null },
      { senderShutdownAgoSeconds: 0.2 },
      { lastDataAgoSeconds: PUBLISHER_IDLE_MS / 1000 },
    ];
    for (const overrides of cases) {
      const routes = noalbsStatsRoutes(() => view(group({ stream: 'live/feed1', ...overrides })));
      expectOpenIrlOffline(get(routes, '/stats/live/feed1')?.body);
      expectSlsOffline(get(routes, '/stats')?.body, 'live/feed1');
    }
  });

  it('picks the group that carried data last when a reconnect left an old one', () => {
    const old = group({ id: 3, stream: 'live/feed1', lastDataAgoSeconds: 2 });
    const current = group({ id: 9, stream: 'live/feed1', lastDataAgoSeconds: 0.01 });
    expect(findPublisher(view(old, current), 'live/feed1')?.id).toBe(9);
    expect(findPublisher(view(current, old), 'live/feed1')?.id).toBe(9);
  });

  it('leaves other paths to the server, and says what is wrong with a bad escape', () => {
    const routes = noalbsStatsRoutes(() => view(group()));
    expect(get(routes, '/statsx')).toBeUndefined();
    expect(get(routes, '/other')).toBeUndefined();
    const bad = get(routes, '/stats/%E0%A4%A');
    expect(bad?.status).toBe(400);
    expect(bad?.body).toMatch(/percent-encoding/);
  });
});
