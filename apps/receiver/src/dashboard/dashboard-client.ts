/**
 * The dashboard's page code. {@link dashboardMain} runs in the page with `@bond/app-common`'s
 * {@link DashboardKit} (its source text is inlined by `dashboard-page.ts`), so it must be
 * self-contained: it may use types from other modules but no imported values, and nothing from
 * Node. For each `stats` event it redraws each group: a chart of every link's bitrate over the last
 * two minutes, and a table of link state, bitrate, delay and score.
 */
import type { DashboardKit } from '@bond/app-common';
import type { GroupView, LinkView, StatsView } from '../stats-view.js';

export function dashboardMain(kit: DashboardKit): void {
  const { element, format } = kit;
  const history = kit.createHistory();
  const linkKey = (group: GroupView, link: LinkView) => `${group.id}/${link.address}`;

  function renderGroup(group: GroupView): HTMLElement {
    const card = element('section', undefined, `group ${group.state}`);
    card.dataset.groupId = String(group.id);
    const title = element('h2', `Group ${group.id} `);
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
        `tag ${group.tag} · ${format.count(group.packetsForwarded)} packets forwarded · ${group.links.length} links · last address ${group.lastAddress ?? '–'} · SRT socket ${group.upstream.state}`,
        'meta',
      ),
    );
    const series = group.links.map((link, index) => ({
      link,
      samples: history.push(linkKey(group, link), link.bitrateBitsPerSecond),
      color: kit.color(index),
    }));
    card.appendChild(
      kit.lineChart({
        series,
        caption: 'last 2 minutes: bitrate per link',
        label: `bitrate per link of group ${group.id}`,
        floor: 1e5,
        tick: format.bitrateTick,
      }),
    );
    const table = element('table');
    table.appendChild(
      kit.headRow([
        '',
        'link',
        'state',
        'bitrate',
        'queueing delay',
        'delay offset',
        'sender RTT',
        'score',
        'packets',
        'gaps',
      ]),
    );
    series.forEach(({ link }, index) => {
      const row = element('tr');
      row.dataset.linkAddress = link.address;
      row.appendChild(kit.swatch(index));
      row.appendChild(element('td', link.address, 'address'));
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
      table.appendChild(row);
    });
    card.appendChild(table);
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
      `reorder ${stats.reorder} · ${stats.groups.length} groups · ${format.count(stats.totals.forwardedToListener)} packets forwarded · ` +
      `up ${Math.round(stats.uptimeSeconds)} s`;
    const fragment = document.createDocumentFragment();
    if (stats.groups.length === 0) {
      fragment.appendChild(element('p', 'No senders connected.', 'empty'));
    }
    for (const group of stats.groups) fragment.appendChild(renderGroup(group));
    kit.content.replaceChildren(fragment);
    history.keep(
      new Set(stats.groups.flatMap((group) => group.links.map((link) => linkKey(group, link)))),
    );
  }

  // The server sends its own stats document: parsed JSON of that type.
  kit.subscribe((stats) => {
    render(stats as StatsView);
  });
}
