/**
 * The dashboard's browser code. {@link dashboardMain} runs in the page (its source text is inlined
 * by `dashboard-page.ts`), so it must be self-contained: it may use types from other modules but no
 * imported values, and nothing from Node. It subscribes to `/api/v1/events` (server-sent events,
 * one `stats` event per second) and redraws each group: a chart of every link's bitrate over the
 * last two minutes, and a table of link state, bitrate, delay and score.
 */
import type { GroupView, LinkView, StatsView } from '../stats-view.js';

export function dashboardMain(): void {
  // 120 samples at one per second: two minutes of history per link.
  const HISTORY = 120;
  const COLORS = [
    '#2f80ed',
    '#eb5757',
    '#27ae60',
    '#f2994a',
    '#9b51e0',
    '#00a3a3',
    '#b8860b',
    '#555',
  ];
  const history = new Map<string, number[]>();
  let updates = 0;

  const byId = (id: string): HTMLElement => {
    const found = document.getElementById(id);
    if (found === null) throw new Error(`dashboard: #${id} missing`);
    return found;
  };
  const status = byId('status');
  const summary = byId('summary');
  const groupsRoot = byId('groups');
  const updated = byId('updated');

  const element = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    text?: string,
    className?: string,
  ): HTMLElementTagNameMap[K] => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className !== undefined) node.className = className;
    return node;
  };
  const mbps = (bits: number) => `${(bits / 1e6).toFixed(2)} Mbit/s`;
  const ms = (value: number | null) => (value === null ? '–' : `${value.toFixed(1)} ms`);
  const count = (value: number) => value.toLocaleString('en-US');

  function remember(group: GroupView, link: LinkView): number[] {
    const key = `${group.id}/${link.address}`;
    let samples = history.get(key);
    if (samples === undefined) {
      samples = [];
      history.set(key, samples);
    }
    samples.push(link.bitrateBitsPerSecond);
    if (samples.length > HISTORY) samples.shift();
    return samples;
  }

  function chart(group: GroupView, series: { link: LinkView; samples: number[] }[]): SVGSVGElement {
    const svgNs = 'http://www.w3.org/2000/svg';
    const width = 640;
    const height = 160;
    const svg = document.createElementNS(svgNs, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('class', 'chart');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `bitrate per link of group ${group.id}`);
    let peak = 1e5;
    for (const { samples } of series) for (const value of samples) peak = Math.max(peak, value);
    for (let line = 0; line <= 4; line++) {
      const y = 10 + ((height - 30) * line) / 4;
      const grid = document.createElementNS(svgNs, 'line');
      grid.setAttribute('x1', '40');
      grid.setAttribute('x2', String(width));
      grid.setAttribute('y1', String(y));
      grid.setAttribute('y2', String(y));
      grid.setAttribute('class', 'grid');
      svg.appendChild(grid);
      const label = document.createElementNS(svgNs, 'text');
      label.setAttribute('x', '0');
      label.setAttribute('y', String(y + 4));
      const value = (peak * (4 - line)) / 4;
      label.textContent =
        peak >= 1e6 ? `${(value / 1e6).toFixed(1)}M` : `${Math.round(value / 1e3)}k`;
      svg.appendChild(label);
    }
    series.forEach(({ samples }, index) => {
      const points = samples.map((value, i) => {
        const x = 40 + ((width - 40) * (HISTORY - samples.length + i)) / (HISTORY - 1);
        const y = 10 + (height - 30) * (1 - value / peak);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      });
      const path = document.createElementNS(svgNs, 'polyline');
      path.setAttribute('points', points.join(' '));
      path.setAttribute('fill', 'none');
      path.setAttribute('stroke', COLORS[index % COLORS.length] ?? '#555');
      path.setAttribute('stroke-width', '2');
      svg.appendChild(path);
    });
    const axis = document.createElementNS(svgNs, 'text');
    axis.setAttribute('x', '40');
    axis.setAttribute('y', String(height - 4));
    axis.textContent = 'last 2 minutes: bitrate per link';
    svg.appendChild(axis);
    return svg;
  }

  function renderGroup(group: GroupView): HTMLElement {
    const card = element('section', undefined, `group ${group.state}`);
    card.dataset.groupId = String(group.id);
    const title = element('h2', `Group ${group.id} `);
    title.appendChild(element('span', group.state, `badge ${group.state}`));
    card.appendChild(title);
    card.appendChild(
      element(
        'p',
        `tag ${group.tag} · ${count(group.packetsForwarded)} packets forwarded · ${group.links.length} links · last address ${group.lastAddress ?? '–'} · SRT socket ${group.upstream.state}`,
        'meta',
      ),
    );
    const series = group.links.map((link) => ({ link, samples: remember(group, link) }));
    card.appendChild(chart(group, series));
    const table = element('table');
    const head = element('tr');
    for (const name of [
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
    ]) {
      head.appendChild(element('th', name));
    }
    table.appendChild(head);
    series.forEach(({ link }, index) => {
      const row = element('tr');
      row.dataset.linkAddress = link.address;
      const swatch = element('td', '■', 'swatch');
      swatch.style.color = COLORS[index % COLORS.length] ?? '#555';
      row.appendChild(swatch);
      row.appendChild(element('td', link.address, 'address'));
      row.appendChild(element('td', link.state, `state ${link.state}`));
      row.appendChild(element('td', mbps(link.bitrateBitsPerSecond), 'bitrate'));
      row.appendChild(element('td', ms(link.queueingDelayMs)));
      row.appendChild(element('td', ms(link.delayOffsetMs)));
      row.appendChild(element('td', ms(link.senderRttMs)));
      const score = element('td', `${link.score} (${link.level})`, 'score');
      score.title = link.scoreReason;
      row.appendChild(score);
      row.appendChild(element('td', count(link.packetsReceived), 'packets'));
      row.appendChild(element('td', count(link.gaps)));
      table.appendChild(row);
    });
    card.appendChild(table);
    return card;
  }

  function render(stats: StatsView): void {
    updates++;
    updated.textContent = String(updates);
    const probe = stats.srtListener;
    const listener =
      probe.answered === true
        ? 'answering'
        : probe.answered === false
          ? `not answering (${probe.detail})`
          : 'probing';
    summary.textContent =
      `listening on ${stats.listen} (${stats.backend}) · SRT listener ${stats.upstream} ${listener} · ` +
      `reorder ${stats.reorder} · ${stats.groups.length} groups · ${count(stats.totals.forwardedToListener)} packets forwarded · ` +
      `up ${Math.round(stats.uptimeSeconds)} s`;
    const fragment = document.createDocumentFragment();
    if (stats.groups.length === 0)
      fragment.appendChild(element('p', 'No senders connected.', 'empty'));
    for (const group of stats.groups) fragment.appendChild(renderGroup(group));
    groupsRoot.replaceChildren(fragment);
    const live = new Set(
      stats.groups.flatMap((group) => group.links.map((link) => `${group.id}/${link.address}`)),
    );
    for (const key of history.keys()) if (!live.has(key)) history.delete(key);
  }

  const events = new EventSource('api/v1/events');
  events.addEventListener('open', () => {
    status.textContent = 'live';
    status.className = 'live';
  });
  events.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.className = 'down';
  });
  events.addEventListener('stats', (event) => {
    render(JSON.parse((event as MessageEvent<string>).data) as StatsView);
  });
}
