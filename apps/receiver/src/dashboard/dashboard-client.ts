/**
 * The dashboard's page code. {@link dashboardMain} runs in the page with `@bond/app-common`'s
 * {@link DashboardKit} (its source text is inlined by `dashboard-page.ts`), so it must be
 * self-contained: it may use types from other modules but no imported values, and nothing from
 * Node. For each `stats` event it redraws each group, titled by its stream (the stream's label when
 * the stats carry one, else `Group N`) with the total bitrate of its links: charts of every link's
 * bitrate (Mbit/s) and queueing delay (ms) over the last two minutes, and a table of link state,
 * bitrate, delay and score. With `--workers`, each group names the worker that owns it (`node`);
 * with `--cluster`, the node (`nodeId`, its `--node-id`).
 */
import type { DashboardKit } from '@bond/app-common';
import type { GroupView, LinkView, StatsView } from '../stats-view.js';

/**
 * What the page reads beyond today's fields: the stream's display label per group and a name per
 * link, when the stats carry them (null or absent: unknown).
 */
type NamedGroup = GroupView & {
  readonly stream?: string | null;
  /** The node that owns the group (`--workers`, `--cluster`); absent for a receiver on its own. */
  readonly node?: number;
  /** That node's `--node-id` (`--cluster`). */
  readonly nodeId?: string;
};
type NamedLink = LinkView & { readonly name?: string | null };

export function dashboardMain(kit: DashboardKit): void {
  const { element, format } = kit;
  const bitrates = kit.createHistory();
  const delays = kit.createHistory();
  /** A group's key: its number, prefixed by its worker's (each worker numbers from 1). */
  const groupKey = (group: NamedGroup): string =>
    group.node === undefined ? String(group.id) : `${group.node}.${group.id}`;
  const linkKey = (group: NamedGroup, link: LinkView) => `${groupKey(group)}/${link.address}`;

  /** Who owns the group: the cluster node by name, or the worker by number; nothing alone. */
  const ownerText = (group: NamedGroup): string => {
    if (typeof group.nodeId === 'string' && group.nodeId !== '') return `node ${group.nodeId} · `;
    return group.node === undefined ? '' : `worker ${group.node} · `;
  };

  /** The group's title: its stream when known, else its number. */
  const streamTitle = (group: NamedGroup): string =>
    typeof group.stream === 'string' && group.stream !== '' ? group.stream : `Group ${group.id}`;

  function renderGroup(group: NamedGroup): HTMLElement {
    const card = element('section', undefined, `group ${group.state}`);
    card.dataset.groupId = groupKey(group);
    const total = group.links.reduce((sum, link) => sum + link.bitrateBitsPerSecond, 0);
    const title = element('h2');
    title.appendChild(element('span', streamTitle(group), 'stream'));
    title.appendChild(element('span', format.bitrate(total), 'total'));
    title.appendChild(element('span', group.state, `badge ${group.state}`));
    card.appendChild(title);
    const rejection = group.srtRejection;
    if (rejection !== null) {
      // A small line with a badge: the layout is the shared page's.
      const line = element('p', undefined, 'rejection');
      line.appendChild(element('span', 'rejected', 'badge refused'));
      line.appendChild(
        element('span', ` by the SRT server: ${rejection.words} (${rejection.code})`),
      );
      line.title = rejection.name;
      card.appendChild(line);
    }
    card.appendChild(
      element(
        'p',
        ownerText(group) +
          `group ${group.id} · tag ${group.tag} · ${group.links.length} uplinks · ` +
          `${format.count(group.packetsForwarded)} packets forwarded · last address ${group.lastAddress ?? '–'} · ` +
          `SRT socket ${group.upstream.state}`,
        'meta',
      ),
    );
    const links = group.links as readonly NamedLink[];
    const series = (history: typeof bitrates, value: (link: LinkView) => number) =>
      links.map((link, index) => ({
        samples: history.push(linkKey(group, link), value(link)),
        color: kit.color(index),
      }));
    const charts = element('div', undefined, 'charts');
    charts.appendChild(
      kit.lineChart({
        series: series(bitrates, (link) => link.bitrateBitsPerSecond),
        caption: 'bitrate per uplink',
        label: `bitrate per uplink of ${streamTitle(group)}`,
        floor: 1e5,
        axis: 'bitrate',
        className: 'bitrate',
      }),
    );
    charts.appendChild(
      kit.lineChart({
        series: series(delays, (link) => link.queueingDelayMs),
        caption: 'queueing delay per uplink',
        label: `queueing delay per uplink of ${streamTitle(group)}`,
        floor: 10,
        axis: 'ms',
        className: 'delay',
      }),
    );
    card.appendChild(charts);
    const rows = links.map((link, index) => {
      const row = element('tr');
      row.dataset.linkAddress = link.address;
      row.appendChild(kit.swatch(index));
      // A bond sender names its uplinks; others are known by their address.
      const name =
        typeof link.name === 'string' && link.name !== '' && link.name !== link.address
          ? link.name
          : undefined;
      row.appendChild(
        element('td', name === undefined ? link.address : `${name} (${link.address})`, 'address'),
      );
      row.appendChild(element('td', link.state, `state ${link.state}`));
      row.appendChild(element('td', format.bitrate(link.bitrateBitsPerSecond), 'bitrate'));
      row.appendChild(element('td', format.ms(link.queueingDelayMs)));
      row.appendChild(element('td', format.ms(link.delayOffsetMs)));
      row.appendChild(element('td', format.ms(link.senderRttMs)));
      const score = element('td', `${link.score} (${link.level})`, 'score');
      score.title = link.scoreReason;
      row.appendChild(score);
      row.appendChild(element('td', format.count(link.packetsReceived), 'packets'));
      row.appendChild(element('td', format.count(link.gaps)));
      return row;
    });
    card.appendChild(
      kit.table(
        [
          '',
          'uplink',
          'state',
          'bitrate',
          'queueing delay',
          'delay offset',
          'sender RTT',
          'score',
          'packets',
          'gaps',
        ],
        rows,
      ),
    );
    return card;
  }

  function render(stats: StatsView): void {
    const probe = stats.srtListener;
    const listener =
      probe.answered === true
        ? 'answering'
        : probe.answered === false
          ? `not answering (${probe.detail})`
          : 'probing';
    const rejected = stats.srtRejections.reduce((sum, entry) => sum + entry.streams, 0);
    kit.summary.textContent =
      `listening on ${stats.listen} (${stats.backend}) · SRT server ${stats.upstream} ${listener} · ` +
      (rejected > 0 ? `${rejected} streams rejected by the SRT server · ` : '') +
      `reorder ${stats.reorder} · ${stats.groups.length} streams · ${format.count(stats.totals.forwardedToListener)} packets forwarded · ` +
      `up ${Math.round(stats.uptimeSeconds)} s`;
    const fragment = document.createDocumentFragment();
    if (stats.groups.length === 0) {
      fragment.appendChild(element('p', 'No stream: no sender is connected.', 'empty'));
    }
    for (const group of stats.groups) fragment.appendChild(renderGroup(group));
    kit.content.replaceChildren(fragment);
    const live = new Set(
      stats.groups.flatMap((group) => group.links.map((link) => linkKey(group, link))),
    );
    bitrates.keep(live);
    delays.keep(live);
  }

  // The server sends its own stats document: parsed JSON of that type.
  kit.subscribe((stats) => {
    render(stats as StatsView);
  });
}
