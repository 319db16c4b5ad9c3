/**
 * The live page's code. {@link dashboardMain} runs in the page with `@bond/app-common`'s
 * {@link DashboardKit} (its source text is inlined by `dashboard-page.ts`), so it must be
 * self-contained: it may use types from other modules but no imported values, and nothing from
 * Node. For each `stats` event it redraws the stream's card, titled by the stream (its label when
 * the stats carry one, else `Links`) with the total send rate: the share of the send rate, charts
 * of every uplink's send rate (Mbit/s), RTT and queueing delay (ms) and loss (%) over the last two
 * minutes, and a table of uplink state, share, rate, RTT, queueing delay, in flight, loss and
 * packets.
 */
import type { DashboardKit } from '@bond/app-common';
import type { LinkStatus } from '../link-status.js';
import type { SenderStatsDocument } from '../stats-document.js';

/** What the page reads beyond today's fields: the stream's display label, when the stats carry it. */
type NamedStats = SenderStatsDocument & { readonly stream?: string | null };

export function dashboardMain(kit: DashboardKit): void {
  const { element, format } = kit;
  /** The alarm first, in words (the document's `alarm`). */
  const ALARM_TEXT: Record<string, string> = {
    'receiver-silent':
      'RECEIVER NOT ANSWERING: check the receiver address and port, that bond-receiver or srtla_rec runs there, and the firewall',
    'all-down': 'ALL LINKS DOWN: the stream is not getting through until one comes back',
    refused: 'REFUSED BY THE RECEIVER',
  };
  const bitrates = kit.createHistory();
  const rtts = kit.createHistory();
  const queues = kit.createHistory();
  const losses = kit.createHistory();

  function shareBar(rows: readonly LinkStatus[]): HTMLElement {
    const bar = element('div', undefined, 'share-bar');
    bar.setAttribute('role', 'img');
    bar.setAttribute(
      'aria-label',
      `share of the send rate: ${rows.map((row) => `${row.name} ${row.sharePercent.toFixed(0)}%`).join(', ')}`,
    );
    rows.forEach((row, index) => {
      const part = element('span');
      part.style.width = `${row.sharePercent.toFixed(2)}%`;
      part.style.background = kit.color(index);
      part.title = `${row.name}: ${format.percent(row.sharePercent)}`;
      bar.appendChild(part);
    });
    return bar;
  }

  function renderLinks(stats: NamedStats): HTMLElement {
    const card = element('section', undefined, 'links');
    const title = element('h2');
    const stream = typeof stats.stream === 'string' && stats.stream !== '' ? stats.stream : 'Links';
    title.appendChild(element('span', stream, 'stream'));
    const total = stats.linkStatus.reduce((sum, row) => sum + row.rateBitsPerSec, 0);
    title.appendChild(element('span', format.bitrate(total), 'total'));
    title.appendChild(element('span', stats.phase, `badge ${stats.phase}`));
    card.appendChild(title);
    card.appendChild(
      element(
        'p',
        `scheduler ${stats.scheduler} · receiver ${stats.receiver} (${stats.receiverKind}) · ` +
          `encoder ${stats.encoder ?? '–'} · IO ${stats.backend}` +
          (stats.refusedReason === undefined ? '' : ` · refused: ${stats.refusedReason}`),
        'meta',
      ),
    );
    const rows = stats.linkStatus;
    if (rows.length === 0) {
      card.appendChild(element('p', 'No links.', 'empty'));
      return card;
    }
    card.appendChild(shareBar(rows));
    const series = (history: typeof bitrates, value: (row: LinkStatus) => number) =>
      rows.map((row, index) => ({
        samples: history.push(String(row.id), value(row)),
        color: kit.color(index),
      }));
    const charts = element('div', undefined, 'charts');
    charts.appendChild(
      kit.lineChart({
        series: series(bitrates, (row) => row.rateBitsPerSec),
        caption: 'send rate per uplink',
        label: 'send rate per uplink',
        floor: 1e5,
        axis: 'bitrate',
        className: 'bitrate',
      }),
    );
    charts.appendChild(
      kit.lineChart({
        series: series(rtts, (row) => row.rttMs ?? 0),
        caption: 'RTT per uplink',
        label: 'RTT per uplink',
        floor: 20,
        axis: 'ms',
        className: 'rtt',
      }),
    );
    charts.appendChild(
      kit.lineChart({
        series: series(queues, (row) => row.queueDelayMs ?? 0),
        caption: 'queueing delay per uplink',
        label: 'queueing delay per uplink',
        floor: 10,
        axis: 'ms',
        className: 'queue',
      }),
    );
    charts.appendChild(
      kit.lineChart({
        series: series(losses, (row) => row.lossPercent),
        caption: 'loss per uplink',
        label: 'loss per uplink',
        floor: 1,
        axis: 'percent',
        className: 'loss',
      }),
    );
    card.appendChild(charts);

    const byId = new Map(stats.links.map((link) => [link.id, link]));
    const tableRows = rows.map((row, index) => {
      const link = byId.get(row.id);
      const tr = element('tr');
      tr.dataset.linkId = String(row.id);
      tr.dataset.linkAddress = row.address;
      tr.appendChild(kit.swatch(index));
      tr.appendChild(element('td', row.name, 'name'));
      tr.appendChild(element('td', row.address, 'address'));
      const state = element('td', row.state, `state ${row.state}`);
      if (link?.socket.failure !== undefined) state.title = link.socket.failure;
      tr.appendChild(state);
      tr.appendChild(element('td', `${row.priority}%`));
      tr.appendChild(element('td', format.percent(row.sharePercent), 'share'));
      tr.appendChild(element('td', format.bitrate(row.rateBitsPerSec), 'bitrate'));
      tr.appendChild(element('td', format.ms(row.rttMs), 'rtt'));
      tr.appendChild(element('td', format.ms(row.queueDelayMs), 'queue'));
      tr.appendChild(element('td', format.count(row.inFlight)));
      const loss = element('td', format.percent(row.lossPercent));
      loss.title = `last 10 s; lifetime ${format.percent(row.lifetimeLossPercent)}`;
      tr.appendChild(loss);
      tr.appendChild(element('td', format.count(link?.engine?.packetsSent ?? 0), 'packets'));
      tr.appendChild(element('td', format.count(link?.engine?.packetsRetransmitted ?? 0)));
      return tr;
    });
    card.appendChild(
      kit.table(
        [
          '',
          'uplink',
          'address',
          'state',
          'priority',
          'share',
          'rate',
          'RTT',
          'queueing delay',
          'in flight',
          'loss (10 s)',
          'packets',
          'retransmitted',
        ],
        tableRows,
      ),
    );
    return card;
  }

  function render(stats: SenderStatsDocument): void {
    const alarm = ALARM_TEXT[stats.alarm ?? ''] ?? '';
    kit.summary.className = alarm === '' ? '' : 'alert';
    kit.summary.textContent =
      (alarm === '' ? '' : `${alarm} · `) +
      `listening on ${stats.listen} → receiver ${stats.receiver} · ${stats.phase} · ` +
      `links up ${stats.linksHealthy}/${stats.links.length} · ` +
      `${format.count(stats.packetsFromEncoder)} packets from the encoder · ` +
      `${format.count(stats.droppedNoLink)} dropped (no link) · up ${Math.round(stats.uptimeMs / 1000)} s`;
    kit.content.replaceChildren(renderLinks(stats));
    const live = new Set(stats.linkStatus.map((row) => String(row.id)));
    for (const history of [bitrates, rtts, queues, losses]) history.keep(live);
  }

  // The server sends its own stats document: parsed JSON of that type.
  kit.subscribe((stats) => {
    render(stats as SenderStatsDocument);
  });
}
