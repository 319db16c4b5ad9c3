// The receiver's /metrics is rendered scrape after scrape by one renderer, and read group by group
// from a live source (issue 15): the text must stay what a fresh renderer writes for the same
// stats, whatever changed in between (groups and links gone, a stream named, a link renamed, a
// group id reused), and the same whichever way the groups come.
import { describe, expect, it } from 'vitest';
import type { GroupView, LinkView, StatsView } from '../src/index.js';
import { createReceiverMetrics } from '../src/metrics.js';

function link(address: string, name: string, packets: number): LinkView {
  return {
    address,
    name,
    state: 'up',
    ageSeconds: 1,
    lastActivityAgoSeconds: 0.1,
    packetsReceived: packets,
    bytesReceived: packets * 1332,
    dataPackets: packets - 1,
    bitrateBitsPerSecond: 8000,
    queueingDelayMs: 1.5,
    delayOffsetMs: packets % 2 === 0 ? null : 2,
    senderRttMs: packets % 3 === 0 ? null : 40,
    score: 900,
    level: 'good',
    scoreReason: 'steady',
    weightPermille: 500,
    gaps: 1,
    duplicates: 2,
    reordered: 3,
    retransmitted: 4,
    srtlaAcksSent: 5,
    keepalives: 6,
  };
}

function group(id: number, stream: string | null, links: LinkView[]): GroupView {
  return {
    id,
    tag: `0000000${id}`,
    stream,
    state: 'active',
    ageSeconds: 2,
    lastActivityAgoSeconds: 0,
    lastAddress: links[0]?.address ?? null,
    packetsForwarded: 10 * id,
    bytesForwarded: 13320 * id,
    packetsFromListener: id,
    packetsToSenders: id,
    bitrateBitsPerSecond: 16000,
    lastDataAgoSeconds: 0.2,
    senderShutdownAgoSeconds: null,
    listenerFeedback: {} as GroupView['listenerFeedback'],
    srtAccepted: true,
    srtRejection: null,
    forwardPath: id % 2 === 0 ? 'off' : { holdMs: 40, held: id, released: 9, late: 1 },
    upstream: {} as GroupView['upstream'],
    links,
  };
}

function view(groups: GroupView[]): StatsView {
  return {
    version: 1,
    time: '2026-01-01T00:00:00.000Z',
    uptimeSeconds: 5,
    listen: '[::]:5000',
    backend: 'native',
    upstream: '127.0.0.1:4001',
    srtListener: { answered: true } as StatsView['srtListener'],
    reorder: 'auto',
    streamLabel: 'redacted',
    limits: {} as StatsView['limits'],
    registration: {
      reg1Received: 1,
      reg2Received: 2,
      regErrSent: 0,
      regNgpSent: 0,
      groupsCreated: groups.length,
      groupsEvicted: 0,
      groupsRemoved: 0,
      reg2Expired: 0,
      reg2Unverified: 0,
      newNetworkJoins: 0,
    } as StatsView['registration'],
    dropped: {
      unregistered: 1,
      short: 0,
      srtla: 0,
      upstream: 0,
      upstreamNotReady: 0,
      upstreamSendErrors: 0,
      sendQueueFull: 0,
      truncated: 2,
    },
    srtRejections: [],
    totals: {
      datagramsReceived: 1,
      bytesReceived: 2,
      forwardedToListener: 3,
      forwardedBytesToListener: 4,
      fromListener: 5,
      sentToSenders: 6,
    },
    groups,
  };
}

/** bond's series (the process metrics before them vary between two renderers). */
const bondText = (text: string) => text.slice(text.indexOf('# HELP bond_receiver_'));

describe('receiver /metrics across scrapes', () => {
  it('writes what a fresh renderer writes after groups and links change', async () => {
    const scrapes = [
      view([
        group(1, null, [
          link('127.0.0.2:1000', '127.0.0.2:1000', 10),
          link('127.0.0.3:1000', 'lte', 11),
        ]),
        group(2, 'live/a', [link('[::1]:2000', 'wifi "home"', 12)]),
      ]),
      // Group 1 gets its stream name and loses a link; link of group 2 renamed; group 3 new.
      view([
        group(1, 'live/b', [link('127.0.0.3:1000', 'lte', 20)]),
        group(2, 'live/a', [link('[::1]:2000', 'wifi', 21), link('[::1]:2001', '5g ✓', 22)]),
        group(3, null, [link('127.0.0.4:3000', 'x', 23)]),
      ]),
      // The same group ids and names, group 2 with another tag (a new sender took the id): its
      // label sets are made again.
      view([
        group(1, 'live/b', [link('127.0.0.3:1000', 'lte', 24)]),
        { ...group(2, 'live/a', [link('[::1]:2000', 'wifi', 25)]), tag: 'feedbeef' },
      ]),
      // Group 2 gone, group 1 back to its first links.
      view([
        group(1, 'live/b', [
          link('127.0.0.2:1000', '127.0.0.2:1000', 30),
          link('127.0.0.3:1000', 'lte', 31),
        ]),
        group(3, null, [link('127.0.0.4:3000', 'x', 32)]),
      ]),
      view([]),
      // Group id 2 back, with another stream.
      view([group(2, 'live/c', [link('127.0.0.5:5000', 'eth', 40)])]),
    ];
    const kept = createReceiverMetrics('1.2.3');
    for (const stats of scrapes) {
      const fresh = bondText(await createReceiverMetrics('1.2.3').render(stats));
      const text = bondText(await kept.render(stats));
      expect(text).toBe(fresh);
      for (const each of stats.groups) {
        expect(text).toContain(
          `bond_receiver_group_links{group="${each.id}",tag="${each.tag}",stream="${each.stream ?? ''}"} ${each.links.length}\n`,
        );
      }
    }
    const last = bondText(await kept.render(scrapes.at(-1) ?? view([])));
    expect(last).not.toContain('group="1"');
    expect(last).not.toContain('wifi');
    expect(last).toContain(
      'bond_receiver_link_sequence_events_total{group="2",stream="live/c",link="127.0.0.5:5000",name="eth",event="retransmitted"} 4\n',
    );
    expect(last).toContain(
      'bond_receiver_reorder_packets_total{group="2",tag="00000002",stream="live/c",outcome="released"} 0\n',
    );
  });
});

describe('receiver /metrics read group by group (renderBodyFrom)', () => {
  const decode = (bytes: Uint8Array) => bondText(new TextDecoder().decode(bytes));
  /** A source handing out `stats`'s groups one at a time, as the live receiver's does. */
  const sourceOf = (stats: StatsView, made: { groups: number }) => {
    return (visit: (group: GroupView) => void): StatsView => {
      for (const each of stats.groups) {
        made.groups += 1;
        visit(each);
      }
      return { ...stats, groups: [] };
    };
  };

  it('writes the text a whole view gives, scrape after scrape, on one renderer', async () => {
    const pending = { ...group(4, null, []), state: 'pending' as const };
    const scrapes = [
      view([
        group(1, 'live/a', [link('127.0.0.2:1000', 'lte', 10), link('127.0.0.3:1000', 'wifi', 11)]),
        pending,
      ]),
      view([group(1, 'live/a', [link('127.0.0.3:1000', 'wifi', 12)]), group(2, null, [])]),
      view([]),
    ];
    const whole = createReceiverMetrics('1.2.3');
    const each = createReceiverMetrics('1.2.3');
    for (const stats of scrapes) {
      const made = { groups: 0 };
      const render = each.renderBodyFrom;
      if (render === undefined) throw new Error('the receiver metrics read a live source');
      const text = decode(await render(sourceOf(stats, made)));
      expect(made.groups).toBe(stats.groups.length);
      expect(text).toBe(decode((await whole.renderBody?.(stats)) ?? new Uint8Array()));
      const active = stats.groups.filter((g) => g.state === 'active').length;
      expect(text).toContain(`bond_receiver_groups{state="active"} ${active}\n`);
      expect(text).toContain(
        `bond_receiver_groups{state="pending"} ${stats.groups.length - active}\n`,
      );
      const links = stats.groups.reduce((sum, g) => sum + g.links.length, 0);
      expect(text).toContain(`bond_receiver_links ${links}\n`);
    }
  });
});
